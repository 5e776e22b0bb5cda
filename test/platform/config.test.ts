import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.js';

describe('config', () => {
  it('has working defaults and is frozen', () => {
    const c = loadConfig({});
    expect(c.HTTP_PORT).toBe(3000);
    expect(c.ROLES).toEqual(['web', 'broker', 'worker']);
    expect(c.embedded).toBe(true);
    expect(c.sls).toBeNull();
    expect(Object.isFrozen(c)).toBe(true);
    expect(() => {
      (c as { HTTP_PORT: number }).HTTP_PORT = 1;
    }).toThrow(TypeError);
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ HTTP_PORT: 'eighty' })).toThrow(/HTTP_PORT/);
    expect(() => loadConfig({ ROLES: 'web,mailer' })).toThrow(/ROLES/);
    expect(() => loadConfig({ MYSQL_URL: 'not a url' })).toThrow(/MYSQL_URL/);
    expect(() => loadConfig({ ADMIN_PASSWORD: 'short' })).toThrow(ConfigError);
  });

  it('wants all SLS settings or none', () => {
    expect(() => loadConfig({ SLS_PROJECT: 'p' })).toThrow(/SLS_ENDPOINT/);
    const c = loadConfig({
      SLS_ENDPOINT: 'http://cn-hangzhou.log.aliyuncs.com',
      SLS_PROJECT: 'p',
      SLS_LOGSTORE: 'audit',
      SLS_ACCESS_KEY_ID: 'id',
      SLS_ACCESS_KEY_SECRET: 'secret',
    });
    expect(c.sls?.project).toBe('p');
  });

  it('uses external services when both URLs are set, and requires them in production', () => {
    expect(loadConfig({ MYSQL_URL: 'mysql://u:p@db/esl', REDIS_URL: 'redis://r:6379' }).embedded).toBe(false);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/MYSQL_URL, REDIS_URL, SESSION_SECRET/);
  });

  it('keeps the hard MQTT packet bound above the payload limit', () => {
    const c = loadConfig({});
    expect(c.MQTT_MAX_PACKET_BYTES).toBe(256 * 1024);
    expect(c.MQTT_HEARTBEAT_INTERVAL_MS).toBe(60_000);
    expect(() => loadConfig({ MQTT_MAX_PAYLOAD_BYTES: '300000' })).toThrow(/MQTT_MAX_PACKET_BYTES/);
    expect(
      loadConfig({ MQTT_MAX_PAYLOAD_BYTES: '300000', MQTT_MAX_PACKET_BYTES: '301024' }).MQTT_MAX_PACKET_BYTES,
    ).toBe(301_024);
  });
});
