// `npm run bench:render`: label images per second for 10,000 distinct labels (cold: drawn,
// then stored in MySQL) and for the same content again (cache: looked up by content key),
// through the batch path the worker uses, on the embedded MariaDB. Prints the ratio
// cached/cold, and the drawing alone (no MySQL) as the floor of the cold figure.
// Then the share of a price change's end-to-end time spent rendering, with images on: bench:e2e
// (100,000 labels by default) without images (the reference, BENCH_RENDER_PLAIN=0 skips it) and
// with every simulated AP image-capable, both times side by side, and the worker's CPU time
// rendering against the end-to-end time as the last line (BENCH_RENDER_E2E=0 skips both runs).
// Knobs: BENCH_RENDER_LABELS (default 10000), BENCH_RENDER_BATCH (default 200), and bench:e2e's.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../server/config.js';
import { startEmbeddedServices } from '../server/embedded/embedded-services.js';
import { migrate } from '../server/db/migrate.js';
import { createPool } from '../server/db/pool.js';
import { querySingle } from '../server/db/query.js';
import { RenderService, type RenderJob } from '../server/render/render-service.js';
import { fieldValues, type LabelFacts } from '../server/render/label-content.js';
import { createScratchDatabase } from '../test/support/scratch.js';

const N = Number(process.env.BENCH_RENDER_LABELS ?? 10_000);
const BATCH = Number(process.env.BENCH_RENDER_BATCH ?? 200);
const say = (s: string) => process.stdout.write(`${s}\n`);

const BRANDS = ['农夫山泉', '康师傅', '统一', '伊利', '蒙牛', '娃哈哈', '青岛', '海天', '金龙鱼', '三只松鼠'];
const GOODS = [
  '饮用天然水',
  '红烧牛肉面',
  '纯牛奶',
  '酸奶',
  '啤酒',
  '酱油',
  '食用油',
  '坚果礼盒',
  '绿茶',
  '矿泉水',
];

function facts(i: number): LabelFacts {
  return {
    labelId: `BENCH-${i}`,
    sku: `SKU${String(i).padStart(9, '0')}`,
    name: `${BRANDS[i % 10]} ${GOODS[Math.floor(i / 10) % 10]} ${(i % 997) + 1}号`,
    nameLatin: `Product ${i}`,
    unit: 'pcs',
    currency: 'CNY',
    origin: '中国',
    spec: `${(i % 50) + 1} × 100g`,
    netQuantity: String(((i % 50) + 1) * 100),
    netUnit: 'g',
    storeName: 'Bench',
    storeTimezone: 'Asia/Shanghai',
    price: {
      price: `${1 + (i % 500)}.${String(i % 100).padStart(2, '0')}`,
      promoPrice: null,
      promoFrom: null,
      promoTo: null,
    },
  };
}

async function main() {
  const urls = await startEmbeddedServices(path.join(PROJECT_ROOT, '.data'));
  const db = await createScratchDatabase(
    urls.mysqlUrl,
    `esl_bench_render_${crypto.randomBytes(3).toString('hex')}`,
  );
  try {
    await migrate(db.url);
    const pool = createPool(db.url, 4);
    const render = new RenderService(pool, { memoryImages: 1 });
    const model = await render.model('bwr-290');
    const template = { id: null, name: 'built-in', version: 0, body: render.builtIn(model) };
    const at = new Date('2026-12-01T00:00:00Z');
    const jobs: RenderJob[] = Array.from({ length: N }, (_, i) => ({
      model,
      template,
      values: fieldValues(facts(i), at),
      page: 1,
    }));
    say(
      `bench:render: ${N} distinct labels, model ${model.code} (${model.width}x${model.height}, ${model.colours}), batches of ${BATCH}`,
    );

    // warm-up: load the fonts, JIT the layout code (not counted)
    for (const j of jobs.slice(0, 20)) render.draw(j);

    const run = async () => {
      const t0 = performance.now();
      let errors = 0;
      for (let i = 0; i < jobs.length; i += BATCH)
        errors += (await render.batch(jobs.slice(i, i + BATCH))).filter((r) => 'error' in r).length;
      return { seconds: (performance.now() - t0) / 1000, errors };
    };
    const cold = await run();
    const stored = await querySingle<{ n: string; bytes: string }>(
      pool,
      'SELECT COUNT(*) AS n, SUM(LENGTH(png)) AS bytes FROM label_images',
    );
    const cached = await run();

    const floorN = Math.min(N, 2000);
    const t1 = performance.now();
    for (const j of jobs.slice(0, floorN)) render.draw(j);
    const drawOnly = floorN / ((performance.now() - t1) / 1000);

    const coldRate = N / cold.seconds;
    const cachedRate = N / cached.seconds;
    say(
      `cold   (draw + store in MySQL): ${coldRate.toFixed(0)} labels/s  (${cold.seconds.toFixed(1)} s, ${cold.errors} errors)`,
    );
    say(
      `cached (look up by content key): ${cachedRate.toFixed(0)} labels/s  (${cached.seconds.toFixed(2)} s)`,
    );
    say(`ratio cached/cold: ${(cachedRate / coldRate).toFixed(1)}x`);
    say(`drawing alone (no MySQL, ${floorN} labels): ${drawOnly.toFixed(0)} labels/s`);
    say(
      `stored: ${stored.n} images, ${(Number(stored.bytes) / Number(stored.n) / 1024).toFixed(1)} KB per PNG on average`,
    );
    await pool.end();
  } finally {
    await db.drop();
  }
}

interface E2eResult {
  labels: number;
  seconds: number;
  renderCpuSeconds: number;
  drawn: number;
  itemImages: number;
  workerCpuSeconds: number;
}

/** One bench:e2e in its own process, its output shown; its figures, or null when it failed. */
function e2e(imageAps: string): E2eResult | null {
  const out = path.join(os.tmpdir(), `esl-bench-render-${process.pid}-${imageAps}.json`);
  fs.rmSync(out, { force: true });
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'bench/e2e.ts')], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_IMAGE_APS: imageAps, BENCH_E2E_RESULT: out },
  });
  if (r.status !== 0 || !fs.existsSync(out)) return null;
  const res = JSON.parse(fs.readFileSync(out, 'utf8')) as E2eResult;
  fs.rmSync(out, { force: true });
  return res;
}

/**
 * bench:e2e without images (the reference) and with every simulated AP image-capable, one after
 * the other; the rendering share is the last line.
 */
function e2eWithImages() {
  if (process.env.BENCH_RENDER_E2E === '0') return 0;
  const aps = process.env.BENCH_IMAGE_APS ?? process.env.BENCH_APS_PER_STORE ?? '4';
  say('');
  say('reference: bench:e2e without images');
  const plain = process.env.BENCH_RENDER_PLAIN === '0' ? null : e2e('0');
  say('');
  say(`bench:e2e with ${aps} image-capable APs per store (every label's image rendered and delivered)`);
  const img = e2e(aps);
  if (!img) return 1;
  const rate = (r: E2eResult) => `${(r.labels / r.seconds).toFixed(0)} labels/s`;
  say('');
  say(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  if (plain)
    say(
      `end to end without images: ${plain.labels} labels in ${plain.seconds.toFixed(2)} s (${rate(plain)})`,
    );
  say(
    `end to end with images:    ${img.labels} labels in ${img.seconds.toFixed(2)} s (${rate(img)})` +
      (plain ? `, ${(img.seconds / plain.seconds).toFixed(2)}x the time without` : ''),
  );
  say(
    `images: ${img.itemImages} items, ${img.drawn} images drawn; the worker's rendering CPU ${img.renderCpuSeconds.toFixed(2)} s of its ${img.workerCpuSeconds.toFixed(1)} s`,
  );
  say(
    `share of the ${img.labels}-label price change's end-to-end time spent rendering: ${((img.renderCpuSeconds / img.seconds) * 100).toFixed(1)} %`,
  );
  return 0;
}

main().then(
  () => process.exit(e2eWithImages()),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
