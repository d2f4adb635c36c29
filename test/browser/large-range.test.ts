/**
 * The dashboard on 90 days × hourly buckets × 20 agents (43,200 stored events): the chart draws all
 * 20 series over 2,160 buckets and the total still equals the API's. The time from choosing the
 * range to a drawn page, and the chart's own drawing time, are written to
 * test-artifacts/browser/<engine>/render-90d.json as information only (the machine is shared: no timed assertion).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { BearLumen } from '@bearlumen/node-sdk';
import type { NewUsageEvent } from '@bearlumen/node-sdk/server';
import { ensureBuilt } from '../package/ensure-built';
import { startServer, type StartedServer } from '../helpers/start-server';
import { ARTIFACTS, chromiumAvailable, launchChromium, screenshot, type LaunchedBrowser } from './chromium';
import { generation, legendLabels, loaded, shownRange, signIn, text, usd } from './pages';

const HOUR = 3_600_000;
const DAYS = 90;
const AGENTS = 20;
const available = chromiumAvailable();

let server: StartedServer;
let key: string;
let browser: LaunchedBrowser;
let page: Page;

describe.skipIf(!available)('dashboard on 90 days × hourly × 20 series', () => {
  beforeAll(async () => {
    await ensureBuilt();
    server = await startServer();
    key = await server.createKey('large');
    const tenant = await server.store.ensureTenant('large');
    // Straight into the store: ingest only accepts events of the last 35 days.
    const end = Math.floor(Date.now() / HOUR) * HOUR;
    const start = end - DAYS * 24 * HOUR;
    let batch: NewUsageEvent[] = [];
    for (let h = start; h < end; h += HOUR) {
      for (let a = 0; a < AGENTS; a++) {
        const n = batch.length;
        batch.push({
          id: `evt_large_${h}_${a}`,
          idempotencyKey: `large-${h}-${a}`,
          eventType: 'token_usage',
          metricName: 'llm_tokens_input',
          quantity: 1000 + a,
          subscriptionId: null,
          timestampMs: h + 60_000,
          receivedAtMs: h + 60_001,
          metadataJson: JSON.stringify({ model: `model-${a % 4}` }),
          agentId: `agent-${String(a).padStart(2, '0')}`,
          workflowId: `wf-${a % 5}`,
          tokenKind: 'input',
          costNanoUsd: Math.round((a + 1) * 1_000_000 * (1 + Math.sin((h / HOUR / 24) * Math.PI * 2) ** 2)) + n,
          priced: true,
          priceSource: 'test',
        });
        if (batch.length === 1000) {
          expect((await server.store.insertUsageEvents(tenant.id, batch)).ok).toBe(true);
          batch = [];
        }
      }
    }
    if (batch.length > 0) expect((await server.store.insertUsageEvents(tenant.id, batch)).ok).toBe(true);
    browser = await launchChromium();
    page = await browser.context.newPage();
    await page.goto(server.url);
    const before = await generation(page);
    await signIn(page, key);
    expect(await loaded(page, before), await text(page, 'status')).toBe('ready');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('draws 20 series over 2,160 hourly buckets; the total equals the API’s', async () => {
    // Custom range (its "to" is today), hourly, then the 90-day "from": that last load is the one timed.
    let before = await generation(page);
    await page.getByTestId('range').selectOption('custom');
    expect(await loaded(page, before)).toBe('ready');
    before = await generation(page);
    await page.getByTestId('bucket').selectOption('HOUR');
    expect(await loaded(page, before)).toBe('ready');
    expect(await page.getByTestId('range-to').inputValue()).toBe(new Date().toISOString().slice(0, 10));
    before = await generation(page);
    const started = performance.now();
    await page.getByTestId('range-from').fill(new Date(Date.now() - (DAYS - 1) * 24 * HOUR).toISOString().slice(0, 10));
    expect(await loaded(page, before)).toBe('ready');
    const ms = performance.now() - started;
    const client = new BearLumen({ apiKey: key, baseUrl: server.url, handleExit: false });
    const range = await shownRange(page);
    const series = await client.costAttribution.timeseries({ ...range, dimension: 'agent_id', bucket: 'HOUR', limit: 20 });
    const report = await client.costAttribution.breakdown({ ...range, dimension: 'agent_id' });
    await client.shutdown();
    expect(series.buckets.length).toBeGreaterThanOrEqual(DAYS * 24 - 24);
    expect(series.series).toHaveLength(AGENTS);
    expect(await legendLabels(page)).toHaveLength(AGENTS);
    expect(await text(page, 'total-cost')).toBe(usd(report.totalCostNanoUsd));
    expect(report.eventCount).toBeGreaterThan(40_000);
    mkdirSync(ARTIFACTS, { recursive: true });
    const chartMs = Number(await page.getByTestId('chart').getAttribute('data-render-ms'));
    expect(chartMs).toBeGreaterThan(0);
    const figures = { buckets: series.buckets.length, series: AGENTS, loadAndRenderMs: Math.round(ms), chartDrawMs: chartMs };
    writeFileSync(`${ARTIFACTS}render-90d.json`, `${JSON.stringify(figures, null, 2)}\n`);
    await screenshot(page, '07-90-days-hourly-20-series');
  });
});
