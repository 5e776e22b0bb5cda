// Where webhook deliveries may go: http(s) only, and with WEBHOOK_ALLOW_PRIVATE off only
// public addresses, checked on the literal address, on the name, and again at connection time.
import dns from 'node:dns';
import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  checkResolves,
  checkUrl,
  isPublicAddress,
  publicOnlyLookup,
} from '../../server/webhooks/url-guard.js';
import { sendWebhook } from '../../server/webhooks/webhook-sender.js';

// This machine's name usually resolves to a loopback or private address (/etc/hosts, a
// container's address): a name the URL check cannot judge, so only the connection's lookup can.
const own = await dns.promises.lookup(os.hostname(), { all: true }).catch(() => []);
const ownIsPrivate = own.length > 0 && own.some((a) => !isPublicAddress(a.address));

describe('webhook URL guard', () => {
  it('refuses other schemes and credentials in the URL, whatever the setting', () => {
    for (const allow of [true, false]) {
      expect(() => checkUrl('ftp://example.com/x', allow)).toThrow(/only http/);
      expect(() => checkUrl('file:///etc/passwd', allow)).toThrow(/only http/);
      expect(() => checkUrl('javascript:alert(1)', allow)).toThrow(/only http/);
      expect(() => checkUrl('not a url', allow)).toThrow(/not a valid URL/);
      expect(() => checkUrl('https://user:pw@example.com/', allow)).toThrow(/no user name/);
    }
    expect(checkUrl('https://example.com/hooks?x=1', false).toString()).toBe('https://example.com/hooks?x=1');
  });

  it('refuses non-public addresses unless private addresses are allowed', () => {
    const refused = [
      'http://127.0.0.1:8080/',
      'http://10.1.2.3/',
      'http://172.16.0.1/',
      'http://192.168.1.10/',
      'http://169.254.169.254/latest/meta-data/',
      'http://100.64.0.1/',
      'http://0.0.0.0/',
      'http://[::1]/',
      'http://[fd00::1]/',
      'http://[fe80::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://localhost:3000/',
      'http://api.localhost/',
    ];
    for (const u of refused) {
      expect(() => checkUrl(u, false), u).toThrow();
      expect(() => checkUrl(u, true), u).not.toThrow();
    }
    expect(() => checkUrl('http://93.184.216.34/', false)).not.toThrow();
    expect(() => checkUrl('http://[2606:4700::1111]/', false)).not.toThrow();
    expect(isPublicAddress('8.8.8.8')).toBe(true);
    expect(isPublicAddress('::ffff:10.0.0.1')).toBe(false);
  });

  it('refuses a name that resolves to a private address, when saving and when connecting', async () => {
    await expect(checkResolves(new URL('http://localhost/'), false)).rejects.toThrow(/not public/);
    await expect(checkResolves(new URL('http://localhost/'), true)).resolves.toBeUndefined();
    const err = await new Promise<Error | null>((resolve) =>
      publicOnlyLookup('localhost', { all: false }, (e) => resolve(e)),
    );
    expect(err?.message).toMatch(/not a public address/);
  });

  it('sends nothing to a loopback receiver when private addresses are not allowed', async () => {
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const input = {
      secret: 's'.repeat(20),
      body: '{}',
      deliveryUid: 'd',
      eventUid: 'e',
      eventType: 'webhook.test',
    };
    try {
      const refused = await sendWebhook(
        { ...input, url: `http://127.0.0.1:${port}/` },
        { timeoutMs: 2000, allowPrivate: false },
      );
      expect(refused).toMatchObject({ statusCode: null, error: expect.stringMatching(/^refused: /) });
      expect(hits).toBe(0);
      const sent = await sendWebhook(
        { ...input, url: `http://127.0.0.1:${port}/` },
        { timeoutMs: 2000, allowPrivate: true },
      );
      expect(sent).toMatchObject({ statusCode: 200, error: null, snippet: 'ok' });
      expect(hits).toBe(1);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it.skipIf(!ownIsPrivate)(
    'refuses at connection time a name that resolves to a private address',
    async () => {
      let hits = 0;
      const server = http.createServer((_req, res) => {
        hits++;
        res.end('ok');
      });
      await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
      const url = `http://${os.hostname()}:${(server.address() as AddressInfo).port}/`;
      const input = {
        url,
        secret: 's'.repeat(20),
        body: '{}',
        deliveryUid: 'd',
        eventUid: 'e',
        eventType: 'webhook.test',
      };
      try {
        expect(() => checkUrl(url, false)).not.toThrow(); // the name alone says nothing
        const refused = await sendWebhook(input, { timeoutMs: 2000, allowPrivate: false });
        expect(refused.error).toMatch(/not a public address/);
        expect(hits).toBe(0);
        expect((await sendWebhook(input, { timeoutMs: 2000, allowPrivate: true })).statusCode).toBe(200);
        expect(hits).toBe(1);
      } finally {
        await new Promise((r) => server.close(r));
      }
    },
  );

  it('gives up an attempt at the timeout', async () => {
    const server = http.createServer(() => {}); // never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const r = await sendWebhook(
        {
          url,
          secret: 's'.repeat(20),
          body: '{}',
          deliveryUid: 'd',
          eventUid: 'e',
          eventType: 'webhook.test',
        },
        { timeoutMs: 300, allowPrivate: true },
      );
      expect(r).toMatchObject({ statusCode: null, error: 'timed out after 300 ms' });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
