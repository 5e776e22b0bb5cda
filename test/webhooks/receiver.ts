// A webhook receiver on an ephemeral loopback port, as an integrator would write one: it
// checks X-ESL-Signature with its own copy of the secret (plain node:crypto, as in
// docs/webhooks.md) and answers with the status codes a test scripts per path.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: { id: string; type: string; createdAt: string; data: Record<string, unknown> };
  /** the signature checked with the receiver's secret for this path */
  signatureValid: boolean;
  status: number;
}

/** The check of docs/webhooks.md: HMAC-SHA256 over `${t}.${body}`, compared in constant time, t within 5 minutes. */
export function verify(secret: string, body: string, header: string | undefined): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  if (Math.abs(Date.now() / 1000 - Number(m[1])) > 300) return false;
  const expected = crypto.createHmac('sha256', secret).update(`${m[1]}.${body}`).digest();
  return crypto.timingSafeEqual(expected, Buffer.from(m[2], 'hex'));
}

export class Receiver {
  readonly received: Received[] = [];
  /** per path: the secret it verifies with, and the statuses to answer (the last one repeats) */
  private readonly paths = new Map<string, { secret: string; statuses: number[] }>();
  private server!: http.Server;
  port = 0;

  async start() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const p = this.paths.get(req.url ?? '') ?? { secret: '', statuses: [404] };
        const status = p.statuses.length > 1 ? p.statuses.shift()! : p.statuses[0];
        this.received.push({
          path: req.url ?? '',
          headers: req.headers,
          body,
          json: JSON.parse(body),
          signatureValid: verify(p.secret, body, req.headers['x-esl-signature'] as string | undefined),
          status,
        });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Registers a path; returns its URL. */
  path(path: string, secret: string, statuses: number[] = [200]): string {
    this.paths.set(path, { secret, statuses });
    return `http://127.0.0.1:${this.port}${path}`;
  }

  answer(path: string, statuses: number[]) {
    this.paths.get(path)!.statuses = statuses;
  }

  setSecret(path: string, secret: string) {
    this.paths.get(path)!.secret = secret;
  }

  at(path: string, type?: string) {
    return this.received.filter((r) => r.path === path && (!type || r.json.type === type));
  }

  close() {
    this.server.closeAllConnections();
    return new Promise<void>((r) => this.server.close(() => r()));
  }
}
