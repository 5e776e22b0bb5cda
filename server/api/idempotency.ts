// Idempotent POSTs under /api/v1 (the `Idempotency-Key` header). The first request with a key
// claims it and does the work; its response is stored before it is sent. A request with the same
// key and the same method, path and body within 24 hours gets that response again (header
// `Idempotent-Replayed: true`) without the work being done again; the same key with anything
// else gets 422. A duplicate arriving while the first is still running waits for it (a few
// seconds), then gets 409. Keys are per caller: each API key (or signed-in user) has its own.
// Server errors (5xx) and refusals that say nothing about the request (401, 403, 409, 429) are
// not stored: the key is given back, so the caller can retry with it.
import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { ConflictError, UnprocessableError, ValidationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Pool } from '../db/pool.js';
import * as repo from './idempotency-repo.js';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
/** How long a claim is honoured before another request may take a key whose first request vanished. */
const LOCK_SECONDS = 300;
/** How long a duplicate waits for the first request to finish before 409. */
const WAIT_MS = 5000;
const KEY_RE = /^[\x21-\x7e]{1,255}$/;
const NOT_STORED = new Set([401, 403, 408, 409, 429]);

export type Begin = { kind: 'claimed' } | { kind: 'replay'; status: number; body: string };

export class IdempotencyService {
  private claims = 0;

  constructor(
    private readonly pool: Pool,
    private readonly log: Pick<Logger, 'warn'>,
  ) {}

  async begin(c: Omit<repo.IdempotencyClaim, 'lockSeconds' | 'ttlSeconds'>): Promise<Begin> {
    const claim = { ...c, lockSeconds: LOCK_SECONDS, ttlSeconds: IDEMPOTENCY_TTL_SECONDS };
    const until = Date.now() + WAIT_MS;
    for (;;) {
      if ((await repo.insertClaim(this.pool, claim)) || (await repo.takeOverStale(this.pool, claim))) {
        if (++this.claims % 500 === 0) void this.sweep();
        return { kind: 'claimed' };
      }
      const row = await repo.findKey(this.pool, c.scope, c.key);
      if (row && !row.expired) {
        if (row.request_hash !== c.requestHash)
          throw new UnprocessableError(
            `This ${IDEMPOTENCY_HEADER} was used for a different request (${row.method} ${row.path} with another body). Use a new key for a new request.`,
            'idempotency_key_reused',
          );
        if (row.state === 'done') return { kind: 'replay', status: row.status!, body: row.response! };
      }
      if (Date.now() >= until)
        throw new ConflictError(
          `A request with this ${IDEMPOTENCY_HEADER} is still being processed. Retry it later with the same key.`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  complete(scope: string, key: string, requestHash: string, status: number, body: string) {
    return repo.completeKey(this.pool, scope, key, requestHash, status, body);
  }

  release(scope: string, key: string, requestHash: string) {
    return repo.releaseKey(this.pool, scope, key, requestHash);
  }

  private async sweep() {
    try {
      await repo.deleteExpired(this.pool, 1000);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not delete expired idempotency keys');
    }
  }
}

/** JSON with object keys sorted, so the same body sent with its fields in another order matches. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/**
 * The body as kept for replays. A route whose answer carries a secret shown once names its
 * fields in `res.locals.idempotencyRedact`: they are kept as null, so the secret never rests
 * in MySQL and a replay says so.
 */
function storedJson(body: unknown, res: Response): string {
  const redact = res.locals.idempotencyRedact as string[] | undefined;
  if (!redact?.length || !body || typeof body !== 'object') return JSON.stringify(body);
  return JSON.stringify({ ...body, ...Object.fromEntries(redact.map((k) => [k, null])) });
}

/** The middleware for /api/v1; runs after authentication, before the routes. */
export function idempotentPosts(service: IdempotencyService, log: Pick<Logger, 'warn'>) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const key = req.get(IDEMPOTENCY_HEADER);
    if (req.method !== 'POST' || key === undefined) return next();
    const scope =
      req.apiKeyId !== undefined ? `key:${req.apiKeyId}` : req.user ? `user:${req.user.id}` : null;
    if (!scope) return next(); // answered 401 by the route's scope check
    if (!KEY_RE.test(key))
      throw new ValidationError(`${IDEMPOTENCY_HEADER} must be 1-255 visible ASCII characters.`, {
        [IDEMPOTENCY_HEADER]: 'must be 1-255 visible ASCII characters, e.g. a UUID',
      });
    const path = (req.baseUrl + req.path).slice(0, 255);
    const requestHash = crypto
      .createHash('sha256')
      .update(`${req.method} ${path}\n${canonicalJson(req.body ?? null)}`)
      .digest('hex');
    const r = await service.begin({ scope, key, requestHash, method: req.method, path });
    if (r.kind === 'replay') {
      res.setHeader('Idempotent-Replayed', 'true');
      res.status(r.status).type('application/json').send(r.body);
      return;
    }

    let settled = false;
    const release = () =>
      service.release(scope, key, requestHash).catch((err: Error) => {
        log.warn({ err: err.message, scope }, 'could not release an idempotency key');
      });
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      if (settled) return send(body);
      settled = true;
      const status = res.statusCode;
      const stored =
        status < 500 && !NOT_STORED.has(status)
          ? service.complete(scope, key, requestHash, status, storedJson(body, res)).catch((err: Error) => {
              log.warn({ err: err.message, scope }, 'could not store an idempotent response');
              return release();
            })
          : release();
      void stored.finally(() => send(body));
      return res;
    };
    res.on('close', () => {
      if (settled) return;
      settled = true;
      void release();
    });
    next();
  };
}
