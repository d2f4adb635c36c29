/**
 * Writes docs/dashboard.png, the README's picture of the dashboard: `npm run dashboard:screenshot`.
 * Starts the server on a temporary SQLite file, records the demo's workload (src/demo/workload.ts,
 * seed 42: its agents, workflows, models and token sizes) spread over the last 7 days with a daily
 * rhythm, so the chart has a shape (`bearlumen demo` records everything "now"), then signs in to the
 * page in headless Chromium (test/browser/chromium.ts) and takes the picture.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BearLumen, type UsageRecordInput } from '../src/index';
import { createCallGenerator, seededRandom } from '../src/demo/workload';
import { createApiKey, createServer, createStore } from '../src/server/index';
import { launchChromium } from '../test/browser/chromium';
import { generation, loaded, signIn } from '../test/browser/pages';

const CALLS = 10_000;
const DAY = 86_400_000;
const target = new URL('../docs/dashboard.png', import.meta.url);

const dir = mkdtempSync(join(tmpdir(), 'bearlumen-screenshot-'));
const store = await createStore({ dbPath: join(dir, 'demo.db') });
const app = await createServer({ store, prices: '' });
try {
  const apiKey = await createApiKey(store, 'demo');
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const url = `http://127.0.0.1:${address.port}`;

  const client = new BearLumen({ apiKey, baseUrl: url, batching: false, handleExit: false });
  const nextCall = createCallGenerator([], 42);
  const random = seededRandom(7);
  const now = Date.now();
  let batch: UsageRecordInput[] = [];
  for (let i = 0; i < CALLS; i++) {
    // More calls in working hours (UTC) than at night.
    let ts: number;
    do ts = now - 60_000 - random() * 7 * DAY;
    while (random() > 0.25 + 0.75 * Math.sin((((ts % DAY) / DAY) * Math.PI)) ** 2);
    const timestamp = new Date(ts).toISOString();
    batch.push(...nextCall().map((event) => ({ ...event, timestamp })));
    if (batch.length >= 1000) {
      await client.usage.recordBatch(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await client.usage.recordBatch(batch);
  await client.shutdown();

  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 1000 });
    await page.goto(url);
    const before = await generation(page);
    await signIn(page, apiKey);
    if ((await loaded(page, before)) !== 'ready') throw new Error('the dashboard did not load');
    await page.screenshot({ path: target.pathname, fullPage: false });
    process.stdout.write(`wrote ${target.pathname}\n`);
  } finally {
    await browser.close();
  }
} finally {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}
