// Where deliveries may go. Only http(s) URLs; unless WEBHOOK_ALLOW_PRIVATE, only public
// unicast addresses: a host name is checked when the endpoint is saved and again at every
// connection (the lookup the HTTP request uses refuses private answers, so a name that
// later resolves to 127.0.0.1 or 169.254.169.254 is still refused).
import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

export class UrlRefused extends Error {
  override name = 'UrlRefused';
}

/** Public unicast only: not loopback, private, link-local, unique-local, CGNAT, multicast, reserved... */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const a = ipaddr.process(address); // IPv4-mapped IPv6 is judged as IPv4
  return a.range() === 'unicast';
}

/** The URL parsed, or why it is refused (scheme, credentials, an address that is not public). */
export function checkUrl(raw: string, allowPrivate: boolean): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UrlRefused('not a valid URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new UrlRefused('only http:// and https:// URLs');
  if (u.username || u.password) throw new UrlRefused('no user name or password in the URL');
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate) {
    if (net.isIP(host) && !isPublicAddress(host))
      throw new UrlRefused('the address is not public (loopback, private or reserved)');
    if (host === 'localhost' || host.endsWith('.localhost')) throw new UrlRefused('localhost is not allowed');
  }
  return u;
}

/** Resolves a URL's host now and refuses private answers (saving an endpoint). */
export async function checkResolves(u: URL, allowPrivate: boolean): Promise<void> {
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (allowPrivate || net.isIP(host)) return;
  let addrs: dns.LookupAddress[];
  try {
    addrs = await dns.promises.lookup(host, { all: true });
  } catch {
    throw new UrlRefused(`the host ${host} does not resolve`);
  }
  if (addrs.some((a) => !isPublicAddress(a.address)))
    throw new UrlRefused(`the host ${host} resolves to an address that is not public`);
}

/** A `lookup` for http.request that refuses non-public answers. */
export const publicOnlyLookup: net.LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addrs) => {
    if (err) return callback(err, '', 0);
    const list = addrs as unknown as dns.LookupAddress[];
    const bad = list.find((a) => !isPublicAddress(a.address));
    if (bad || !list.length) {
      const e = new UrlRefused(`${hostname} resolves to ${bad?.address ?? 'nothing'}, not a public address`);
      return callback(e as NodeJS.ErrnoException, '', 0);
    }
    if ((options as dns.LookupOptions).all)
      return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
    callback(null, list[0].address, list[0].family);
  });
};
