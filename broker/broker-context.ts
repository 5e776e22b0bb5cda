// What the hooks share: options, the registry view, presence, the event queues, the log.
import type { Aedes } from 'aedes';
import type { Logger } from '../server/core/logger.js';
import type { BrokerOptions } from './options.js';
import type { RegistryView } from './registry/registry-view.js';
import type { Presence } from './presence.js';
import type { EventQueues } from './event-queues.js';
import type { P2pStore } from './p2p-store.js';
import type { NodeLiveness } from './node-liveness.js';

export interface BrokerContext {
  opts: BrokerOptions;
  log: Logger;
  registry: RegistryView;
  presence: Presence;
  queues: EventQueues;
  p2p: P2pStore;
  /** whether another node really answers (a take-over vs an AP resumed after node loss) */
  liveness?: NodeLiveness;
  instanceId: string;
  platformSecret: string;
  aedes?: Aedes;
}
