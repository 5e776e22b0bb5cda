// Wraps the authenticate hook (hooks/authenticate.ts) with what a CONNECT storm needs: the
// per-AccessKey and per-IP rate limits (connect-limits.ts), checked before any credential work,
// and the summaries of refused attempts (connect-summaries.ts), telling a revoked credential
// apart from a wrong one. The platform's own identity is neither limited nor summarised.
import type { Client } from 'aedes';
import type { Pool } from '../server/db/pool.js';
import type { ConnectLimits } from './connect-limits.js';
import type { ConnectSummaries } from './connect-summaries.js';
import { ConnectRefused, type AuthenticateHook } from './hooks/types.js';
import { findAccessKey, findDeviceCredential } from './registry/credentials-repo.js';
import { PLATFORM_CLIENT_RE } from './rules.js';

/** How long a "was this key revoked?" answer is kept (a storm of one revoked key costs one query). */
const REVOKED_TTL_MS = 60_000;
const REVOKED_MAX = 10_000;

export function clientIp(c: Client): string | null {
  const sock = (c.req?.socket ?? c.conn) as { remoteAddress?: string } | undefined;
  const ip = sock?.remoteAddress ?? null;
  return ip?.startsWith('::ffff:') ? ip.slice(7) : ip;
}

/** The AccessKey (or device credential) id of a `<Mode>|<KeyId>|<InstanceId>` user name. */
function keyOf(username: string | undefined): { mode: string; keyId: string } | null {
  const parts = (username ?? '').split('|');
  if (parts.length !== 3 || !parts[1]) return null;
  if (parts[0] !== 'Signature' && parts[0] !== 'Token' && parts[0] !== 'DeviceCredential') return null;
  return { mode: parts[0], keyId: parts[1].slice(0, 64) };
}

export function guardConnect(
  inner: AuthenticateHook,
  deps: { limits: ConnectLimits; summaries: ConnectSummaries; pool: Pool },
): AuthenticateHook {
  const revoked = new Map<string, { at: number; revoked: Promise<boolean> }>();
  const wasRevoked = (mode: string, keyId: string): Promise<boolean> => {
    const k = `${mode}|${keyId}`;
    const hit = revoked.get(k);
    if (hit && Date.now() - hit.at < REVOKED_TTL_MS) return hit.revoked;
    if (revoked.size >= REVOKED_MAX) revoked.clear();
    const p = (
      mode === 'DeviceCredential' ? findDeviceCredential(deps.pool, keyId) : findAccessKey(deps.pool, keyId)
    ).then(
      (row) => !!row?.revoked_at,
      () => false,
    );
    revoked.set(k, { at: Date.now(), revoked: p });
    return p;
  };

  return (client, username, password, done) => {
    if (PLATFORM_CLIENT_RE.test(client.id ?? '')) return inner(client, username, password, done);
    const key = keyOf(username);
    const ip = clientIp(client);
    const over = deps.limits.admit(key?.keyId ?? null, ip);
    if (over) {
      deps.summaries.add({
        kind: 'rate_limited',
        limit: over,
        accessKeyId: key?.keyId ?? null,
        ip,
        clientId: client.id,
        code: 3,
        reason: `over the per-${over === 'ip' ? 'IP' : 'AccessKey'} CONNECT rate`,
      });
      const err = new ConnectRefused(3, 'CONNECT rate limit');
      return done(Object.assign(err, { returnCode: 3 }), false);
    }
    inner(client, username, password, (err, ok) => {
      const code = (err as { returnCode?: number } | null)?.returnCode;
      if (err && (code === 4 || code === 5 || code === 2)) {
        const reason = err instanceof ConnectRefused ? err.message : 'refused';
        const record = (kind: 'refused' | 'revoked_credential') =>
          deps.summaries.add({
            kind,
            accessKeyId: key?.keyId ?? null,
            ip,
            clientId: client.id,
            code,
            reason,
          });
        // a key that exists but is revoked reads as "unknown" to the registry view: look it up
        if (code === 4 && key)
          void wasRevoked(key.mode, key.keyId).then((r) => record(r ? 'revoked_credential' : 'refused'));
        else record('refused');
      }
      done(err, ok);
    });
  };
}
