import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Service } from '../core/lifecycle.js';

/** The HTTP listener as a Service: stop() refuses new connections and waits for open requests. */
export class HttpService implements Service {
  readonly name = 'http';
  private server: http.Server | null = null;
  port = 0;

  constructor(
    /** The Express app it serves (tests read its registered routes). */
    readonly app: Express,
    private readonly host: string,
    private readonly wantedPort: number,
  ) {}

  async start() {
    const server = http.createServer(this.app);
    // Server-sent event streams are long-lived; everything else is bounded.
    server.headersTimeout = 20_000;
    server.requestTimeout = 0;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.wantedPort, this.host, () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async stop() {
    const s = this.server;
    if (!s) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeIdleConnections();
      // Open SSE streams would hold close() forever; give in-flight requests a moment, then cut them.
      setTimeout(() => s.closeAllConnections(), 2000).unref();
    });
  }
}
