// aedes' hook signatures, named (aedes.d.ts declares them but does not export the names).
import type { AedesOptions } from 'aedes';

export type PreConnectHook = NonNullable<AedesOptions['preConnect']>;
export type AuthenticateHook = NonNullable<AedesOptions['authenticate']>;
export type AuthorizePublishHook = NonNullable<AedesOptions['authorizePublish']>;
export type AuthorizeSubscribeHook = NonNullable<AedesOptions['authorizeSubscribe']>;
export type PublishedHook = NonNullable<AedesOptions['published']>;

/** A refusal with the CONNACK return code it maps to (MQTT 3.1.1 section 3.2.2.3). */
export class ConnectRefused extends Error {
  override name = 'ConnectRefused';
  constructor(
    readonly returnCode: 2 | 3 | 4 | 5,
    message: string,
  ) {
    super(message);
  }
}
