/**
 * How the backend sends to devices. In one process this is the broker itself
 * (aedes.publish); when the worker runs apart from the broker it is an MQTT client
 * connected with the platform's service identity. Resolves once the broker has
 * accepted the message (for QoS 1: stored for every matching persistent session).
 */
export interface DownlinkPublisher {
  publish(topic: string, payload: Buffer | string, qos: 0 | 1): Promise<void>;
}
