// `npm run sim`: simulated smart APs over real MQTT (ap-protocol.md v1; `--command-caps led,page`
// makes them carry out label commands, section 12).
//   npm run sim -- --mysql-url mysql://... --groups GID_S001,GID_S002 --aps-per-group 4 \
//     --url mqtt://localhost:1883 --access-key-id LTAI... --access-key-secret ... --instance-id ...
// The labels of each group are read from the platform's database and dealt to its APs.
// Secrets may also come from SIM_ACCESS_KEY_SECRET, so they stay out of the process list.
// Device credentials (one per AP, as real APs carry): --credentials-file FILE --instance-id I, where
// FILE has lines `clientId,deviceAccessKeyId,deviceAccessKeySecret` (as issued on the admin's
// MQTT credentials page or by POST /api/v1/registry/device-credentials); they win over an AccessKey.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { Fleet, type FleetDeviceCredentials } from './fleet.js';
import { labelsByGroup } from './sim-repo.js';

const { values: a } = parseArgs({
  options: {
    url: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
    parent: { type: 'string', default: 'esl' },
    'mysql-url': { type: 'string' },
    groups: { type: 'string' },
    'aps-per-group': { type: 'string', default: '1' },
    'image-aps': { type: 'string', default: '0' },
    'access-key-id': { type: 'string' },
    'access-key-secret': { type: 'string' },
    'instance-id': { type: 'string' },
    'credentials-file': { type: 'string' },
    'device-prefix': { type: 'string', default: 'SIM' },
    // label command capabilities every AP declares (docs/ap-protocol.md section 12), e.g. led,page
    'command-caps': { type: 'string', default: '' },
    'latency-ms': { type: 'string', default: '0' },
    'failure-rate': { type: 'string', default: '0' },
    'duplicate-rate': { type: 'string', default: '0' },
    'status-interval-ms': { type: 'string', default: '30000' },
    'offline-every-ms': { type: 'string', default: '0' },
    'offline-for-ms': { type: 'string', default: '5000' },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

function fail(msg: string): never {
  process.stderr.write(`sim: ${msg}\nsee the header of sim/main.ts for usage\n`);
  process.exit(2);
}

async function main() {
  if (a.help) {
    process.stdout.write(
      'usage: npm run sim -- --mysql-url URL --groups G1,G2 [--aps-per-group N] [--image-aps N] [--url mqtt://host:port] [--parent esl]\n' +
        '  [--access-key-id ID --access-key-secret S --instance-id I | --credentials-file F --instance-id I] [--latency-ms 0] [--failure-rate 0] [--duplicate-rate 0]\n' +
        '  [--status-interval-ms 30000] [--offline-every-ms 0 --offline-for-ms 5000] [--quiet]\n',
    );
    return;
  }
  if (!a['mysql-url'] || !a.groups) fail('--mysql-url and --groups are required');
  const num = (k: keyof typeof a, lo: number, hi: number) => {
    const v = Number(a[k]);
    if (!Number.isFinite(v) || v < lo || v > hi) fail(`--${k} must be a number from ${lo} to ${hi}`);
    return v;
  };
  const secret = a['access-key-secret'] ?? process.env.SIM_ACCESS_KEY_SECRET;
  const creds =
    a['access-key-id'] && secret && a['instance-id']
      ? { accessKeyId: a['access-key-id'], accessKeySecret: secret, instanceId: a['instance-id'] }
      : undefined;
  if (a['access-key-id'] && !creds)
    fail('--access-key-id needs --access-key-secret (or SIM_ACCESS_KEY_SECRET) and --instance-id');

  let deviceCredentials: FleetDeviceCredentials | undefined;
  if (a['credentials-file']) {
    if (!a['instance-id']) fail('--credentials-file needs --instance-id');
    const byClientId = new Map<string, { deviceAccessKeyId: string; deviceAccessKeySecret: string }>();
    fs.readFileSync(a['credentials-file'], 'utf8')
      .split(/\r?\n/)
      .forEach((line, i) => {
        if (!line.trim() || line.startsWith('#')) return;
        const [clientId, deviceAccessKeyId, deviceAccessKeySecret, extra] = line
          .split(',')
          .map((x) => x.trim());
        if (!clientId || !deviceAccessKeyId || !deviceAccessKeySecret || extra !== undefined) {
          fail(
            `${a['credentials-file']} line ${i + 1}: expected clientId,deviceAccessKeyId,deviceAccessKeySecret`,
          );
        }
        byClientId.set(clientId, { deviceAccessKeyId, deviceAccessKeySecret });
      });
    deviceCredentials = { instanceId: a['instance-id']!, byClientId };
  }

  const db = mysql.createPool({ uri: a['mysql-url'], connectionLimit: 2 });
  const groups = await labelsByGroup(
    db,
    a.groups
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean),
  );
  await db.end();
  for (const [g, l] of groups) if (!l.length) fail(`group ${g} has no labels`);

  const fleet = new Fleet({
    url: a.url!,
    parentTopic: a.parent!,
    groups,
    apsPerGroup: num('aps-per-group', 1, 1000),
    imageAps: num('image-aps', 0, 1000),
    credentials: creds,
    deviceCredentials,
    devicePrefix: a['device-prefix'],
    commandCaps: a['command-caps']!.split(',')
      .map((c) => c.trim())
      .filter(Boolean),
    knobs: {
      latencyMs: num('latency-ms', 0, 600_000),
      failureRate: num('failure-rate', 0, 1),
      duplicateRate: num('duplicate-rate', 0, 1),
      statusIntervalMs: num('status-interval-ms', 1000, 60_000),
    },
    offlineEveryMs: num('offline-every-ms', 0, 86_400_000),
    offlineForMs: num('offline-for-ms', 0, 86_400_000),
  });
  await fleet.start();
  // One machine-readable line for scripts (the benchmark waits for it), then the progress line.
  process.stdout.write(
    `${JSON.stringify({ ready: true, aps: fleet.aps.length, labels: [...groups.values()].reduce((n, l) => n + l.length, 0) })}\n`,
  );
  const tick = setInterval(() => {
    if (!a.quiet) process.stderr.write(`\r${fleet.progressLine()}   `);
  }, 1000);
  const stop = async () => {
    clearInterval(tick);
    process.stdout.write(`\n${JSON.stringify({ done: true, ...fleet.totals() })}\n`);
    await fleet.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((err) => {
  process.stderr.write(`sim: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
