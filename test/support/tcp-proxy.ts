// A TCP proxy in front of MariaDB or Redis that a test can freeze: while frozen, connections
// (open and new) are accepted but no byte passes either way, as with a server that hangs or a
// network that drops packets. Thawing drops the frozen connections, so clients reconnect afresh.
import net from 'node:net';

export interface TcpProxy {
  /** The target URL rewritten to go through the proxy. */
  url: string;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket | null }>();
  let frozen = false;

  const server = net.createServer((client) => {
    const pair: { client: net.Socket; upstream: net.Socket | null } = { client, upstream: null };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      pair.upstream?.destroy();
    };
    client.on('error', drop).on('close', drop);
    if (frozen) {
      client.pause();
      return;
    }
    const upstream = net.connect(Number(target.port), target.hostname);
    pair.upstream = upstream;
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);

  const proxy: TcpProxy = {
    url: url.toString(),
    freeze() {
      frozen = true;
      for (const { client, upstream } of pairs) {
        client.unpipe();
        upstream?.unpipe();
        client.pause();
        upstream?.pause();
      }
    },
    thaw() {
      frozen = false;
      for (const { client, upstream } of [...pairs]) {
        client.destroy();
        upstream?.destroy();
      }
      pairs.clear();
    },
    async close() {
      proxy.thaw();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
