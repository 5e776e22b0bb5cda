// Runs one of the package's entry points (`node scripts/run.mjs server/main.ts [args]`):
// the compiled JavaScript in dist/ when NODE_ENV is production (after `npm run build`) or when
// tsx is not installed (`npm ci --omit=dev`); otherwise the TypeScript source through tsx, as in
// a development checkout. Plain JavaScript, so it runs without any devDependency.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = process.argv[2];
if (!entry || !entry.endsWith('.ts')) {
  process.stderr.write('usage: node scripts/run.mjs <entry.ts> [args...]\n');
  process.exit(2);
}
const source = path.join(root, entry);
const compiled = path.join(root, 'dist', entry.replace(/\.ts$/, '.js'));
const hasCompiled = fs.existsSync(compiled);

async function tsxAvailable() {
  try {
    await import('tsx');
    return true;
  } catch (err) {
    if (err?.code === 'ERR_MODULE_NOT_FOUND') return false;
    throw err;
  }
}

let target;
if (process.env.NODE_ENV === 'production' && hasCompiled) target = compiled;
else if (await tsxAvailable()) target = source;
else if (hasCompiled) target = compiled;
else {
  process.stderr.write(
    `${path.relative(root, compiled)} is missing and tsx is not installed: run \`npm run build\` ` +
      '(with the devDependencies installed) before installing with --omit=dev.\n',
  );
  process.exit(1);
}
// The entry sees the arguments as if it had been started directly: node <entry> [args...].
process.argv.splice(1, 2, target);
await import(pathToFileURL(target).href);
