// Topic filters the authorize-subscribe hook granted to a client. aedes stores a SUBSCRIBE's
// whole topic list in a persistent session, refused filters included (storeSubscriptions in
// lib/handlers/subscribe.js); persistence.ts stores only the granted ones, so a refused
// filter never collects offline messages.
import type { Client } from 'aedes';

const granted = new WeakMap<object, Set<string>>();

export function grant(c: Client, topic: string) {
  let s = granted.get(c);
  if (!s) granted.set(c, (s = new Set()));
  s.add(topic);
}

export const isGranted = (c: object, topic: string) => granted.get(c)?.has(topic) ?? false;
