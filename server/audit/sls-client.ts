// The audit trail's door to Alibaba Cloud Log Service, through the real @alicloud/log SDK.
// Two things the SDK (1.2.6) does not do are added here, with the SDK's own hooks:
// - it ignores the HTTP status and fails only on a JSON body with errorCode/errorMessage,
//   so a proxy's 502 page or an empty 503 would pass as success. We watch the status of
//   each response on the agent we hand it (node:diagnostics_channel) and fail on non-2xx.
// - it sends to `<project>.<endpoint host>`; connectAddress pins the connection to an IP
//   (like curl --resolve) while Host, SNI and certificate checks keep that name.
import dc from 'node:diagnostics_channel';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import Client from '@alicloud/log';
import type { SlsConfig } from '../config.js';
import type { AuditRecord } from './audit-chain.js';
import { recordToLog } from './sls-records.js';

export class SlsError extends Error {
  override name = 'SlsError';
  constructor(
    message: string,
    readonly code: string = 'SlsError',
  ) {
    super(message);
  }
}

const lastStatus = new WeakMap<http.Agent, number>();
dc.subscribe('http.client.response.finish', (msg) => {
  const { request, response } = msg as {
    request: http.ClientRequest & { agent?: http.Agent };
    response: http.IncomingMessage;
  };
  if (request.agent && lastStatus.has(request.agent)) lastStatus.set(request.agent, response.statusCode ?? 0);
});

export interface SlsClientOptions {
  /** Connect to this IP instead of resolving `<project>.<endpoint host>`. */
  connectAddress?: string;
  /** Connect and read timeout of one call. */
  timeoutMs?: number;
  /** The `source` of shipped log groups (this node). */
  source?: string;
}

const TOPIC = 'audit';

export class SlsAuditClient {
  private readonly client: Client;
  /** PutLogs calls go one at a time through this agent (the shipper is serial), so its last status is theirs. */
  private readonly putAgent: http.Agent;
  private readonly queryAgent: http.Agent;
  private readonly timeoutMs: number;

  constructor(
    readonly sls: SlsConfig,
    private readonly opts: SlsClientOptions = {},
  ) {
    this.client = new Client({
      endpoint: sls.endpoint,
      accessKeyId: sls.accessKeyId,
      accessKeySecret: sls.accessKeySecret,
    });
    const secure = sls.endpoint.startsWith('https://');
    const addr = opts.connectAddress;
    const lookup: net.LookupFunction | undefined = addr
      ? (_host, o, cb) => {
          const family = net.isIP(addr);
          // Node asks for all addresses (happy eyeballs) or for one, depending on the version.
          if ((o as { all?: boolean }).all)
            (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
              { address: addr, family },
            ]);
          else cb(null, addr, family);
        }
      : undefined;
    const make = () =>
      secure ? new https.Agent({ keepAlive: true, lookup }) : new http.Agent({ keepAlive: true, lookup });
    this.putAgent = make();
    this.queryAgent = make();
    lastStatus.set(this.putAgent, 0);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** Sends records as one log group (PutLogs); resolves only when SLS answered 2xx. */
  async put(records: AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    lastStatus.set(this.putAgent, 0);
    let body: unknown;
    try {
      body = await this.client.postLogStoreLogs(
        this.sls.project,
        this.sls.logstore,
        { logs: records.map(recordToLog), topic: TOPIC, source: this.opts.source },
        { agent: this.putAgent, timeout: this.timeoutMs },
      );
    } catch (err) {
      throw toSlsError(err);
    }
    const status = lastStatus.get(this.putAgent) ?? 0;
    if (status < 200 || status >= 300) {
      throw new SlsError(
        `SLS answered HTTP ${status || '(none)'}: ${String(body ?? '').slice(0, 120) || '(empty body)'}`,
        `Http${status}`,
      );
    }
  }

  /** GetLogs with an SLS query (search, optionally `| select ...`) over [from, to), whole seconds. */
  async query(query: string, from: Date, to: Date): Promise<Record<string, unknown>[]> {
    let body: unknown;
    try {
      body = await this.client.getLogs(
        this.sls.project,
        this.sls.logstore,
        from,
        to,
        { query },
        { agent: this.queryAgent, timeout: this.timeoutMs },
      );
    } catch (err) {
      throw toSlsError(err);
    }
    if (!Array.isArray(body)) {
      throw new SlsError(
        `SLS GetLogs did not answer with rows: ${String(body ?? '').slice(0, 120) || '(empty body)'}`,
        'BadResponse',
      );
    }
    return body as Record<string, unknown>[];
  }

  /** Destroys the sockets of PutLogs calls in flight, which then fail; later calls open new ones. */
  abort() {
    this.putAgent.destroy();
  }

  close() {
    this.putAgent.destroy();
    this.queryAgent.destroy();
  }
}

function toSlsError(err: unknown): SlsError {
  const e = err as { code?: string; message?: string };
  return new SlsError(`SLS: ${e?.message ?? String(err)}`.slice(0, 500), e?.code ?? 'SlsError');
}
