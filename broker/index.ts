// The integrated MQTT broker's public face. See broker/README.md. The backend imports only this.
export { BrokerService, loadPlatformSecret, type ServerUrl } from './broker-service.js';
export { brokerOptionsFrom, type BrokerOptions } from './options.js';
export type { DownlinkPublisher } from './downlink.js';
export { MqttDownlink } from './mqtt-downlink.js';
export { Presence, type PresenceEntry } from './presence.js';
export { announceRegistryChange, bumpRegistryVersion, type RegistryChange } from './registry-channel.js';
export { SecretBox } from './registry/secret-box.js';
export { sha256 } from './registry/registry-view.js';
export * as topicsRepo from './registry/topics-repo.js';
export * as credentialsRepo from './registry/credentials-repo.js';
export * as settingsRepo from './registry/settings-repo.js';
export type { BrokerSettings } from './registry/settings-repo.js';
export { ensureInstanceId } from './registry/instance-repo.js';
export {
  GROUP_ID_RE,
  PARENT_TOPIC_RE,
  parseClientId,
  CLIENT_ID_MAX,
  APP_CLIENT_RE,
  TOKEN_PERMS,
  type TokenPerms,
} from './rules.js';
export { hmacB64 } from './hooks/authenticate.js';
export {
  CLIENT_CLASSES,
  POLICY_ACTIONS,
  parsePolicies,
  validFilter,
  type ClientClass,
  type Policy,
} from './permissions.js';
export * as applicationsRepo from './registry/applications-repo.js';
export * from './uplink.js';
export { createBrokerModule, type BrokerPorts } from './module.js';
