// What a client of a 'general' Group ID may do: access policies like the seed's (publish and/or
// subscribe on topic filters under registered parent topics), carried by its AccessKey or by
// its tokens. Pure functions; the hooks call them with the grants decided at CONNECT, so a
// PUBLISH or SUBSCRIBE costs a match against a few filters in memory, no store round trip.

/** The client classes an admin chooses per Group ID. */
export const CLIENT_CLASSES = ['ap', 'general'] as const;
export type ClientClass = (typeof CLIENT_CLASSES)[number];

export const POLICY_ACTIONS = ['publish', 'subscribe'] as const;
export type PolicyAction = (typeof POLICY_ACTIONS)[number];

/** One access policy: the actions it allows on its topic filters. */
export interface Policy {
  actions: PolicyAction[];
  topics: string[];
}

/** A general client's rights, decided once at CONNECT. */
export interface Grants {
  publish: string[];
  subscribe: string[];
}

export const NO_GRANTS: Grants = { publish: [], subscribe: [] };

export function grantsOf(policies: readonly Policy[]): Grants {
  const g: Grants = { publish: [], subscribe: [] };
  for (const p of policies) for (const a of p.actions) g[a].push(...p.topics);
  return g;
}

/** A topic filter per MQTT 3.1.1 section 4.7: `#` only last and alone in its level, `+` alone in its level. */
export function validFilter(filter: string): boolean {
  if (!filter || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every((l, i) =>
    l === '#' ? i === levels.length - 1 : l === '+' || (!l.includes('#') && !l.includes('+')),
  );
}

/** Whether a topic name matches a filter (MQTT 3.1.1 section 4.7). Filters here start with a parent topic, never a wildcard. */
export function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Whether every topic that `inner` matches is matched by `outer` too (a subscription inside a grant). */
export function covers(outer: string, inner: string): boolean {
  const o = outer.split('/');
  const n = inner.split('/');
  for (let i = 0; i < o.length; i++) {
    if (o[i] === '#') return true;
    if (i >= n.length) return false;
    if (n[i] === '#') return false;
    if (o[i] === '+') continue;
    if (n[i] === '+' || n[i] !== o[i]) return false;
  }
  return o.length === n.length;
}

export const mayPublish = (g: Grants, topic: string) => g.publish.some((f) => matches(f, topic));
export const maySubscribe = (g: Grants, filter: string) => g.subscribe.some((f) => covers(f, filter));

/** The stored form of an AccessKey's policies (JSON); null = none. */
export function parsePolicies(stored: string | null): Policy[] {
  if (!stored) return [];
  try {
    const v = JSON.parse(stored) as unknown;
    if (!Array.isArray(v)) return [];
    return v.flatMap((p: { actions?: unknown; topics?: unknown }) =>
      Array.isArray(p?.actions) && Array.isArray(p?.topics)
        ? [
            {
              actions: p.actions.filter((a): a is PolicyAction => POLICY_ACTIONS.includes(a as PolicyAction)),
              topics: p.topics.filter((t): t is string => typeof t === 'string' && validFilter(t)),
            },
          ]
        : [],
    );
  } catch {
    return [];
  }
}
