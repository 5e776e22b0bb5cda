// One attempt: POST the body with its signature and ids, within the timeout, and report the
// status code, latency and the start of the answer (redirects are not followed: a 3xx fails).
import http from 'node:http';
import https from 'node:https';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature.js';
import { checkUrl, publicOnlyLookup } from './url-guard.js';
import type { AttemptResult } from './deliveries-repo.js';

export interface SendInput {
  url: string;
  secret: string;
  body: string;
  deliveryUid: string;
  eventUid: string;
  eventType: string;
}

export interface SenderOptions {
  timeoutMs: number;
  allowPrivate: boolean;
  userAgent?: string;
}

const SNIPPET = 255;

export async function sendWebhook(input: SendInput, opts: SenderOptions): Promise<AttemptResult> {
  const startedAt = new Date();
  const t0 = performance.now();
  const done = (statusCode: number | null, error: string | null, snippet: string | null = null) => ({
    startedAt,
    statusCode,
    latencyMs: Math.round(performance.now() - t0),
    error,
    snippet,
  });
  let u: URL;
  try {
    u = checkUrl(input.url, opts.allowPrivate);
  } catch (err) {
    return done(null, `refused: ${(err as Error).message}`);
  }
  const timestamp = Math.floor(Date.now() / 1000);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const finish = (r: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = mod.request(
      u,
      {
        method: 'POST',
        agent: false,
        lookup: opts.allowPrivate ? undefined : publicOnlyLookup,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(input.body),
          'User-Agent': opts.userAgent ?? 'esl-platform-webhooks/1',
          [SIGNATURE_HEADER]: signatureHeader(input.secret, input.body, timestamp),
          [DELIVERY_HEADER]: input.deliveryUid,
          [EVENT_HEADER]: input.eventType,
          'X-ESL-Event-Id': input.eventUid,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < SNIPPET) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const snippet = Buffer.concat(chunks).toString('utf8').slice(0, SNIPPET) || null;
          finish(done(status, status >= 200 && status < 300 ? null : `HTTP ${status}`, snippet));
        });
        res.on('error', (err) => finish(done(res.statusCode ?? null, err.message)));
      },
    );
    const timer = setTimeout(() => {
      finish(done(null, `timed out after ${opts.timeoutMs} ms`));
      req.destroy();
    }, opts.timeoutMs);
    req.on('error', (err) => finish(done(null, err.message || String(err))));
    req.end(input.body);
  });
}
