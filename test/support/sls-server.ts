// A local endpoint that speaks enough of Alibaba Cloud Log Service's HTTP API for the
// real @alicloud/log SDK: it checks the SDK's request signature exactly as SLS does
// (LOG <AccessKeyId>:base64(hmac-sha1(secret, verb\nmd5\ntype\ndate\nx-log-headers resource))),
// decodes PutLogs' protobuf LogGroup, keeps the logs in memory and answers GetLogs with
// the query subset in sls-query.ts. Tests can take it down or make it answer errors.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import querystring from 'node:querystring';
import protobuf from 'protobufjs';
import { compileQuery, SlsQueryError, type Contents } from './sls-query.js';

// Written out here rather than loaded from the SDK, so the wire format is checked independently.
const PROTO = `syntax = "proto2"; package sls;
message Log { required uint32 Time = 1; message Content { required string Key = 1; required string Value = 2; }
  repeated Content Contents = 2; optional fixed32 TimeNs = 4; }
message LogTag { required string Key = 1; required string Value = 2; }
message LogGroup { repeated Log Logs = 1; optional string Reserved = 2; optional string Topic = 3; optional string Source = 4; repeated LogTag LogTags = 6; }`;
const LogGroup = protobuf.parse(PROTO).root.lookupType('sls.LogGroup');

interface DecodedGroup {
  Logs?: { Time: number; Contents?: { Key: string; Value: string }[] }[];
  Topic?: string;
  Source?: string;
}

export interface StoredLog {
  time: number;
  topic: string;
  source: string;
  contents: Contents;
}

/**
 * none: answer normally. error: SLS-style JSON error (500 InternalServerError).
 * bad-gateway: 502 with an HTML body (what a proxy in front of SLS says).
 * empty-503: 503 with an empty body, which the SDK alone would take for success.
 * drop-after-store / hang-after-store (PutLogs only): keep the logs, then cut the
 * connection or never answer, as when SLS stored a batch but the reply was lost.
 */
export type FaultMode =
  'none' | 'error' | 'bad-gateway' | 'empty-503' | 'drop-after-store' | 'hang-after-store';

export interface FakeSlsOptions {
  project: string;
  logstore: string;
  accessKeyId: string;
  accessKeySecret: string;
}

export class FakeSlsServer {
  readonly logs: StoredLog[] = [];
  /** Why requests were refused (bad signature, unknown project, ...), for assertions. */
  readonly refused: string[] = [];
  putRequests = 0;
  getRequests = 0;
  fault: FaultMode = 'none';
  /** While true, PutLogs replies wait (logs already stored) until releaseReplies(): a slow SLS. */
  holdReplies = false;
  private held: (() => void)[] = [];
  /** Called with each PutLogs batch once stored (tests wait on it). */
  onPut: ((logs: StoredLog[]) => void) | null = null;
  private server: http.Server | null = null;
  private port = 0;

  constructor(readonly opts: FakeSlsOptions) {}

  /** What SLS_ENDPOINT should say; the SDK prefixes `<project>.` to the host. */
  get endpoint() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    await this.listen(this.port);
  }

  /** Connection refused from now on (listener closed, open connections cut). */
  async down() {
    const s = this.server;
    this.server = null;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  /** Back on the same port. */
  async up() {
    if (!this.server) await this.listen(this.port);
  }

  /** Sends the held PutLogs replies and stops holding. */
  releaseReplies() {
    this.holdReplies = false;
    for (const reply of this.held.splice(0)) reply();
  }

  stop() {
    this.held = [];
    return this.down();
  }

  /** Logs carrying a given content key, in arrival order (duplicates included). */
  values(key: string): string[] {
    return this.logs.map((l) => l.contents[key]);
  }

  private async listen(port: number) {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          this.handle(req, res, Buffer.concat(chunks));
        } catch (err) {
          this.fail(res, 500, 'InternalServerError', `fake SLS crashed: ${(err as Error).message}`);
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  private fail(res: http.ServerResponse, status: number, errorCode: string, errorMessage: string) {
    res.writeHead(status, { 'content-type': 'application/json', 'x-log-requestid': crypto.randomUUID() });
    res.end(JSON.stringify({ errorCode, errorMessage }));
  }

  private refuse(res: http.ServerResponse, status: number, code: string, message: string) {
    this.refused.push(`${code}: ${message}`);
    this.fail(res, status, code, message);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) {
    const url = new URL(req.url ?? '/', 'http://x');
    const queries = querystring.parse(url.search.slice(1)) as Record<string, string>;
    const host = String(req.headers.host ?? '');
    const project = host.split('.')[0];
    if (project !== this.opts.project)
      return this.refuse(res, 404, 'ProjectNotExist', `project ${project} does not exist (host ${host})`);
    const bad = this.checkSignature(req, url.pathname, queries, body);
    if (bad) return this.refuse(res, 401, bad.code, bad.message);

    switch (this.fault) {
      case 'error':
        return this.fail(res, 500, 'InternalServerError', 'the fake SLS was told to fail');
      case 'bad-gateway':
        res.writeHead(502, { 'content-type': 'text/html' });
        return res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      case 'empty-503':
        res.writeHead(503);
        return res.end();
      default:
    }

    const put = /^\/logstores\/([^/]+)\/shards\/lb$/.exec(url.pathname);
    const get = /^\/logstores\/([^/]+)$/.exec(url.pathname);
    const logstore = (put ?? get)?.[1];
    if (logstore !== undefined && logstore !== this.opts.logstore) {
      return this.refuse(res, 404, 'LogStoreNotExist', `logstore ${logstore} does not exist`);
    }
    if (put && req.method === 'POST') return this.putLogs(req, res, body);
    if (get && req.method === 'GET' && queries.type === 'log') return this.getLogs(res, queries);
    return this.refuse(
      res,
      404,
      'NotSupported',
      `${req.method} ${url.pathname} is not served by the fake SLS`,
    );
  }

  private checkSignature(
    req: http.IncomingMessage,
    path: string,
    queries: Record<string, string>,
    body: Buffer,
  ) {
    const h = req.headers;
    const auth = String(h.authorization ?? '');
    const m = /^LOG ([^:]+):(.+)$/.exec(auth);
    if (!m) return { code: 'Unauthorized', message: 'missing or malformed Authorization header' };
    if (m[1] !== this.opts.accessKeyId) return { code: 'Unauthorized', message: 'unknown AccessKeyId' };
    const date = Date.parse(String(h.date ?? ''));
    if (!Number.isFinite(date) || Math.abs(Date.now() - date) > 15 * 60_000) {
      return { code: 'RequestTimeExpired', message: 'Date header missing or more than 15 minutes off' };
    }
    if (h['x-log-signaturemethod'] !== 'hmac-sha1')
      return { code: 'InvalidSignatureMethod', message: 'expected hmac-sha1' };
    const md5 = String(h['content-md5'] ?? '');
    if (body.length) {
      if (md5 !== crypto.createHash('md5').update(body).digest('hex').toUpperCase()) {
        return { code: 'InvalidContentMD5', message: 'Content-MD5 does not match the body' };
      }
      if (h['x-log-compresstype'])
        return { code: 'NotSupported', message: 'the fake SLS takes uncompressed bodies only' };
      if (Number(h['x-log-bodyrawsize']) !== body.length)
        return { code: 'InvalidBodyRawSize', message: 'x-log-bodyrawsize is not the body size' };
    }
    const headers = Object.keys(h)
      .filter((k) => k.startsWith('x-log-') || k.startsWith('x-acs-'))
      .sort()
      .map((k) => `${k}:${String(h[k]).trim()}\n`)
      .join('');
    const pairs = Object.entries(queries)
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join('&');
    const resource = pairs ? `${path}?${pairs}` : path;
    const signString = `${req.method}\n${md5}\n${h['content-type'] ?? ''}\n${h.date}\n${headers}${resource}`;
    const expected = crypto.createHmac('sha1', this.opts.accessKeySecret).update(signString).digest('base64');
    const given = Buffer.from(m[2]);
    const want = Buffer.from(expected);
    if (given.length !== want.length || !crypto.timingSafeEqual(given, want)) {
      return { code: 'SignatureNotMatch', message: 'signature does not match' };
    }
    return null;
  }

  private putLogs(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) {
    this.putRequests++;
    if (req.headers['content-type'] !== 'application/x-protobuf') {
      return this.refuse(res, 400, 'InvalidContentType', 'PutLogs takes application/x-protobuf');
    }
    let group: DecodedGroup;
    try {
      group = LogGroup.toObject(LogGroup.decode(body)) as DecodedGroup;
    } catch (err) {
      return this.refuse(res, 400, 'InvalidLogGroup', `not a LogGroup: ${(err as Error).message}`);
    }
    const batch = (group.Logs ?? []).map((l) => ({
      time: l.Time,
      topic: group.Topic ?? '',
      source: group.Source ?? '',
      contents: Object.fromEntries((l.Contents ?? []).map((c) => [c.Key, c.Value])),
    }));
    this.logs.push(...batch);
    this.onPut?.(batch);
    if (this.fault === 'drop-after-store') return req.socket.destroy();
    if (this.fault === 'hang-after-store') return;
    const reply = () => {
      res.writeHead(200, { 'x-log-requestid': crypto.randomUUID(), 'content-length': '0' });
      res.end();
    };
    if (this.holdReplies) this.held.push(reply);
    else reply();
  }

  private getLogs(res: http.ServerResponse, q: Record<string, string>) {
    this.getRequests++;
    const from = Number(q.from);
    const to = Number(q.to);
    if (!Number.isInteger(from) || !Number.isInteger(to) || from >= to) {
      return this.fail(res, 400, 'ParameterInvalid', 'from and to must be unix seconds with from < to');
    }
    let compiled;
    try {
      compiled = compileQuery(q.query ?? '');
    } catch (err) {
      if (err instanceof SlsQueryError)
        return this.fail(res, 400, 'ParameterInvalid', `query: ${err.message}`);
      throw err;
    }
    let rows = this.logs.filter((l) => l.time >= from && l.time < to && compiled.filter(l.contents));
    if (compiled.sql) {
      const { orderBy, desc, limit } = compiled.sql;
      if (orderBy) {
        const key = (l: StoredLog) => l.contents[orderBy] ?? '';
        rows = [...rows].sort((a, b) => {
          const x = key(a);
          const y = key(b);
          const c =
            /^-?\d+$/.test(x) && /^-?\d+$/.test(y)
              ? Number(BigInt(x) - BigInt(y))
              : x < y
                ? -1
                : x > y
                  ? 1
                  : 0;
          return desc ? -c : c;
        });
      }
      rows = rows.slice(0, limit);
    } else {
      const line = q.line === undefined || q.line === '' ? 100 : Number(q.line);
      const offset = q.offset === undefined || q.offset === '' ? 0 : Number(q.offset);
      if (!Number.isInteger(line) || line < 0 || line > 100)
        return this.fail(res, 400, 'ParameterInvalid', 'line must be 0..100');
      if (q.reverse === 'true') rows = [...rows].reverse();
      rows = rows.slice(offset, offset + line);
    }
    const out = rows.map((l) => ({
      __time__: String(l.time),
      __source__: l.source,
      __topic__: l.topic,
      ...l.contents,
    }));
    res.writeHead(200, {
      'content-type': 'application/json',
      'x-log-count': String(out.length),
      'x-log-progress': 'Complete',
      'x-log-requestid': crypto.randomUUID(),
    });
    res.end(JSON.stringify(out));
  }
}
