// Who is behind an MQTT connection, decided once by the authenticate hook and read by the
// authorize hooks. Kept under a symbol of this module on aedes' Client objects (no name aedes
// could use; a WeakMap costs several times more per connection, in its set and in the
// garbage collector's ephemeron work, and is read on every packet).
import type { Client } from 'aedes';
import type { ClientClass, Grants } from './permissions.js';
import type { DeviceIdentity } from './rules.js';

export type Principal =
  | {
      kind: 'device';
      identity: DeviceIdentity;
      /** Token auth: what the token allows. Signature/DeviceCredential: both. */
      read: boolean;
      write: boolean;
      /** Token auth: the connection's rights end with the token. */
      expiresAt: number | null;
      /** Credential references a revocation matches ('ak:<id>', 'dc:<id>', 'tok:<id>', 'grp:<GroupID>'). */
      refs: string[];
      /** The Group ID's class: 'ap' keeps the device contract, 'general' follows `grants`. */
      clientClass: ClientClass;
      /** A general client's topics (permissions.ts); empty for an AP. */
      grants: Grants;
    }
  /** A server-side application, the platform's own identity ('platform') among them. */
  | { kind: 'app'; clientId: string; appId: string; refs: string[] };

const PRINCIPAL = Symbol('esl.principal');
type Holder = { [PRINCIPAL]?: Principal };

export const setPrincipal = (c: Client, p: Principal) => {
  (c as unknown as Holder)[PRINCIPAL] = p;
};
export const principalOf = (c: Client | null | undefined): Principal | null =>
  c ? ((c as unknown as Holder)[PRINCIPAL] ?? null) : null;
