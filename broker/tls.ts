// TLS material: the configured certificate and key, else (embedded default) a self-signed
// certificate for localhost kept in DATA_DIR/broker, made once and reused across restarts.
import fs from 'node:fs';
import path from 'node:path';
import { generate } from 'selfsigned';

export interface TlsMaterial {
  cert: string;
  key: string;
}

export async function loadTls(
  certFile: string | undefined,
  keyFile: string | undefined,
  dataDir: string,
  host: string,
): Promise<TlsMaterial> {
  if (certFile && keyFile)
    return { cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') };
  const dir = path.join(dataDir, 'broker');
  // Key and certificate in one file, replaced by one rename: two nodes starting together
  // never pair one's key with the other's certificate.
  const file = path.join(dir, 'tls-localhost.pem');
  if (fs.existsSync(file)) return split(fs.readFileSync(file, 'utf8'));
  const names = [...new Set(['localhost', host])].filter((h) => !/^[\d.:]+$/.test(h));
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 825 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...names.map((value) => ({ type: 2 as const, value })),
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}`;
  fs.writeFileSync(tmp, pems.private + pems.cert, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return split(fs.readFileSync(file, 'utf8'));
}

function split(pem: string): TlsMaterial {
  const key = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/.exec(pem)?.[0];
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (!key || !cert) throw new Error('broker TLS file holds no key and certificate');
  return { key: key + '\n', cert: cert + '\n' };
}
