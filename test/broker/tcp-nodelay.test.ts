// Every TCP connection the broker accepts has TCP_NODELAY (an AP's PUBACK or a label's ack is
// not held back by Nagle's algorithm), now set once on the listener and inherited on Linux
// rather than set on each accepted socket (broker/listeners.ts; each socket still gets it set
// in the first second of listening). The option is read from the
// accepted socket itself, by perl (perl-base: on every Debian) on the descriptor handed over.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { Aedes, type Client } from 'aedes';
import { generate } from 'mqtt-packet';
import { afterAll, expect, it } from 'vitest';
import { Listeners, NO_DELAY_GRACE_MS } from '../../broker/listeners.js';

const aedes = new Aedes();
const listeners = new Listeners(aedes, '127.0.0.1', 1 << 20);
afterAll(async () => {
  await listeners.stop();
  await new Promise<void>((r) => aedes.close(() => r()));
});

/** TCP_NODELAY of an open descriptor of this process, as the kernel reports it. */
function noDelayOf(fd: number): Promise<number> {
  const script =
    'use Socket qw(IPPROTO_TCP TCP_NODELAY); open(my $s, "+<&=3") or die $!; ' +
    'print unpack("i", getsockopt($s, IPPROTO_TCP, TCP_NODELAY))';
  return new Promise((resolve, reject) => {
    const p = spawn('perl', ['-e', script], { stdio: ['ignore', 'pipe', 'inherit', fd] });
    let out = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`perl exited ${code}`))));
  });
}

it.runIf(process.platform === 'linux')('accepts every TCP connection with TCP_NODELAY on', async () => {
  await aedes.listen();
  await listeners.start({ tcp: 0, tls: null, ws: null, wss: null }, null);
  // the listener carries the option, and the sockets below are accepted past the grace in which
  // each accepted socket gets it set on its own: theirs is inherited
  expect(listeners.noDelayOnListener).toBe(true);
  await new Promise((r) => setTimeout(r, NO_DELAY_GRACE_MS + 100));
  const fds: number[] = [];
  aedes.on('client', (c: Client) => {
    fds.push((c.conn as unknown as { _handle: { fd: number } })._handle.fd);
  });
  const sockets = await Promise.all(
    [1, 2, 3].map(
      (i) =>
        new Promise<net.Socket>((resolve) => {
          const s = net.connect(listeners.bound.tcp!, '127.0.0.1', () =>
            s.write(
              generate({
                cmd: 'connect',
                protocolId: 'MQTT',
                protocolVersion: 4,
                clean: true,
                keepalive: 60,
                clientId: `nd${i}`,
              }),
            ),
          );
          s.once('data', () => resolve(s));
        }),
    ),
  );
  expect(fds).toHaveLength(3);
  for (const fd of fds) expect(await noDelayOf(fd)).toBe(1);
  for (const s of sockets) s.destroy();
});
