/**
 * The dashboard in headless Chromium against the real server (127.0.0.1, port 0, SQLite): sign-in,
 * the selectors, figures equal to the API's answers for the same range (to the cent), the chart, the
 * sortable table, the agent drill-down, sign-out, a wrong key, an agent name that is HTML, tenant
 * isolation, and where the key may and may not appear. Screenshots go to test-artifacts/browser/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { BearLumen, type CostDimension, type CostDimensionResponse, type UsageRecordInput } from '@bearlumen/node-sdk';
import { ensureBuilt } from '../package/ensure-built';
import { startServer, type StartedServer } from '../helpers/start-server';
import { chromiumAvailable, launchChromium, screenshot, type LaunchedBrowser } from './chromium';
import { count, generation, legendLabels, loaded, shownRange, signIn, tableRows, text, usd } from './pages';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const XSS = '<img src=x onerror=alert(1)>';
const available = chromiumAvailable();

let server: StartedServer;
let client: BearLumen;
let otherKey: string;
let browser: LaunchedBrowser;
let page: Page;
const requests: { url: string; authorization: string | undefined }[] = [];
const problems: string[] = [];

/** Token events of one LLM call `ageMs` ago. */
function call(agent: string | undefined, workflow: string, model: string, input: number, output: number, ageMs: number, key: string): UsageRecordInput[] {
  const base = {
    eventType: 'token_usage',
    workflow_id: workflow,
    metadata: { model, provider: model.startsWith('claude') ? 'anthropic' : 'openai' },
    timestamp: new Date(Date.now() - ageMs).toISOString(),
    ...(agent === undefined ? {} : { agent_id: agent }),
  };
  return [
    { ...base, metricName: 'llm_tokens_input', quantity: input, idempotencyKey: `${key}-in` },
    { ...base, metricName: 'llm_tokens_output', quantity: output, idempotencyKey: `${key}-out` },
    { ...base, metricName: 'llm_tokens_cache_read', quantity: Math.round(input / 4), idempotencyKey: `${key}-cr` },
  ];
}

/** The breakdown the page should show for the range it last loaded. */
async function apiFor(dimension: CostDimension, extra: { agentId?: string } = {}): Promise<CostDimensionResponse> {
  return client.costAttribution.breakdown({ ...(await shownRange(page)), dimension, ...extra });
}

/** The figures on the page equal the API's for the range the page shows, to the cent. */
async function expectFiguresMatchApi(dimension: CostDimension): Promise<CostDimensionResponse> {
  const api = await apiFor(dimension);
  expect(await text(page, 'total-cost')).toBe(usd(api.totalCostNanoUsd));
  expect(await text(page, 'events')).toBe(count(api.eventCount));
  expect(await text(page, 'unpriced')).toBe(count(api.unpricedEventCount));
  expect(await text(page, 'tokens-input')).toBe(count(api.inputTokens));
  expect(await text(page, 'tokens-output')).toBe(count(api.outputTokens));
  expect(await text(page, 'tokens-cache-read')).toBe(count(api.cacheReadTokens));
  expect(await page.getByTestId('unpriced-warning').isVisible()).toBe(api.unpricedEventCount > 0);
  const rows = await tableRows(page, 'breakdown-table');
  expect(rows).toEqual(
    api.items.map((i) => [
      i.value ?? '',
      usd(i.totalCostNanoUsd),
      `${i.percentOfTotal.toFixed(2)}%`,
      count(i.inputTokens),
      count(i.outputTokens),
      count(i.cacheReadTokens),
      count(i.cacheWriteTokens),
      count(i.eventCount),
    ]),
  );
  return api;
}

/** Change a selector and wait for the reload it causes. */
async function select(testId: string, value: string): Promise<string> {
  const before = await generation(page);
  await page.getByTestId(testId).selectOption(value);
  return loaded(page, before);
}

describe.skipIf(!available)('dashboard in Chromium', () => {
  beforeAll(async () => {
    await ensureBuilt();
    server = await startServer();
    client = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false });
    await client.usage.recordBatch([
      ...call('support-agent', 'ticket-triage', 'gpt-4o', 120_000, 30_000, 2 * HOUR, 'a1'),
      ...call('support-agent', 'onboarding', 'claude-3-5-sonnet', 80_000, 9_000, 3 * DAY, 'a2'),
      ...call('sales-agent', 'onboarding', 'gpt-4o-mini', 40_000, 4_000, 5 * HOUR, 'a3'),
      ...call('sales-agent', 'lead-scoring', 'gpt-4o', 60_000, 6_000, 12 * DAY, 'a4'),
      ...call(XSS, 'ticket-triage', 'gpt-4o-mini', 5_000, 500, 4 * HOUR, 'a5'),
      ...call(undefined, 'batch-jobs', 'gpt-4o', 10_000, 1_000, 20 * DAY, 'a6'),
      ...call('research-agent', 'report', 'no-such-model-xyz', 7_000, 700, 6 * HOUR, 'a7'),
    ]);
    otherKey = await server.createKey('other-tenant');
    const other = new BearLumen({ apiKey: otherKey, baseUrl: server.url, handleExit: false });
    await other.usage.recordBatch(call('secret-agent', 'secret-flow', 'gpt-4o', 900_000, 90_000, HOUR, 'b1'));
    await other.shutdown();
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('request', (r) => requests.push({ url: r.url(), authorization: r.headers()['authorization'] }));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      // A rejected key's 401 is logged by Chromium as a failed resource; anything else is a defect.
      if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    await page.goto(server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await client?.shutdown();
    await server?.close();
  });

  it('the page is served with a strict Content-Security-Policy and no inline script or style', async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|<style|\son[a-z]+=/i);
    await screenshot(page, '01-sign-in');
  });

  it('a wrong key shows a clear message and is not kept', async () => {
    await signIn(page, 'bl_test_this_key_does_not_exist_123');
    await page.getByTestId('sign-in-error').waitFor({ state: 'visible' });
    expect(await text(page, 'sign-in-error')).toMatch(/not accepted/);
    expect(await page.getByTestId('dashboard').isVisible()).toBe(false);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await screenshot(page, '02-wrong-key');
  });

  it('signs in; the figures equal the API’s for the range shown (7 days, hourly, by agent)', async () => {
    const before = await generation(page);
    await signIn(page, server.apiKey);
    expect(await loaded(page, before)).toBe('ready');
    const { startDate, endDate } = await shownRange(page);
    expect(Date.parse(endDate) - Date.parse(startDate)).toBe(7 * DAY);
    const api = await expectFiguresMatchApi('agent_id');
    expect(api.items.map((i) => i.value)).toContain('support-agent');
    expect(await text(page, 'total-cost')).toMatch(/^\$\d[\d,]*\.\d\d$/);
    // The unknown model's events: counted, not priced, and said so.
    expect(await text(page, 'unpriced-warning')).toMatch(/3 events had no price/);
    await screenshot(page, '03-signed-in');
  });

  it('the chart draws one band per series of the API’s time series', async () => {
    const range = await shownRange(page);
    const series = await client.costAttribution.timeseries({ ...range, dimension: 'agent_id', bucket: 'HOUR', limit: 20 });
    expect(await page.locator('[data-testid="chart"] canvas').count()).toBe(1);
    const labels = await legendLabels(page);
    expect([...labels].sort()).toEqual(series.series.map((s) => s.value ?? '(none)').sort());
  });

  it('range, bucket and dimension selectors reload figures that still equal the API’s', async () => {
    expect(await select('range', '24h')).toBe('ready');
    const day = await expectFiguresMatchApi('agent_id');
    expect(day.items.map((i) => i.value)).not.toContain(null);
    expect(await select('range', '30d')).toBe('ready');
    expect(await page.getByTestId('bucket').inputValue()).toBe('DAY');
    const month = await expectFiguresMatchApi('agent_id');
    expect(month.totalCostNanoUsd).toBeGreaterThan(day.totalCostNanoUsd);
    expect(month.items.map((i) => i.value)).toContain(null);
    expect(await select('dimension', 'model')).toBe('ready');
    await expectFiguresMatchApi('model');
    expect(await text(page, 'chart-title')).toMatch(/by model \(daily/);
    expect(await select('bucket', 'HOUR')).toBe('ready');
    expect(await text(page, 'chart-title')).toMatch(/by model \(hourly/);
    expect(await select('dimension', 'workflow_id')).toBe('ready');
    await expectFiguresMatchApi('workflow_id');
    await screenshot(page, '04-30d-by-workflow');
    // A custom range of whole days (both included).
    await page.getByTestId('range').selectOption('custom');
    await loaded(page, (await generation(page)) - 1);
    const from = new Date(Date.now() - 13 * DAY).toISOString().slice(0, 10);
    const to = new Date(Date.now() - 2 * DAY).toISOString().slice(0, 10);
    await page.getByTestId('range-from').fill(from);
    const before = await generation(page);
    await page.getByTestId('range-to').fill(to);
    expect(await loaded(page, before)).toBe('ready');
    expect(await shownRange(page)).toEqual({ startDate: `${from}T00:00:00.000Z`, endDate: new Date(Date.parse(to) + DAY).toISOString() });
    await expectFiguresMatchApi('workflow_id');
  });

  it('tables sort by any column', async () => {
    await select('range', '30d');
    await select('dimension', 'agent_id');
    const eventsOf = async () => (await tableRows(page, 'breakdown-table')).map((r) => Number((r[7] ?? '').replace(/,/g, '')));
    await page.getByTestId('sort-events').click();
    const descending = await eventsOf();
    expect(descending).toEqual([...descending].sort((a, b) => b - a));
    await page.getByTestId('sort-events').click();
    const ascending = await eventsOf();
    expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
    await page.getByTestId('sort-value').click();
    const names = await page.$$eval('[data-testid="breakdown-table"] tbody th', (cells) => cells.map((c) => c.textContent ?? ''));
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(names).toHaveLength(5);
  });

  it('an agent named like HTML renders as that text; nothing runs', async () => {
    const row = page.locator(`[data-testid="breakdown-table"] tr[data-value="${XSS.replace(/"/g, '\\"')}"]`);
    expect(await row.count()).toBe(1);
    expect((await row.locator('th').textContent())?.trim()).toBe(XSS);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await legendLabels(page)).toContain(XSS);
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('clicking an agent drills down to its workflows and models over the same range', async () => {
    const before = await generation(page);
    await page.locator('[data-testid="breakdown-table"] tr[data-value="support-agent"] [data-testid="drill"]').click();
    expect(await loaded(page, before)).toBe('ready');
    await page.getByTestId('drilldown').waitFor({ state: 'visible' });
    expect(await text(page, 'drilldown-title')).toContain('support-agent');
    const workflows = await apiFor('workflow_id', { agentId: 'support-agent' });
    const models = await apiFor('model', { agentId: 'support-agent' });
    expect((await tableRows(page, 'drill-workflows')).map((r) => [r[0], r[1], r[7]])).toEqual(workflows.items.map((i) => [i.value ?? '', usd(i.totalCostNanoUsd), count(i.eventCount)]));
    expect((await tableRows(page, 'drill-models')).map((r) => [r[0], r[1]])).toEqual(models.items.map((i) => [i.value ?? '', usd(i.totalCostNanoUsd)]));
    expect(models.items.map((i) => i.value).sort()).toEqual(['claude-3-5-sonnet', 'gpt-4o']);
    const agentRow = (await tableRows(page, 'breakdown-table')).find((r) => r[0] === 'support-agent');
    expect(await text(page, 'drilldown-title')).toContain(agentRow?.[1] ?? 'missing');
    await screenshot(page, '05-drill-down');
    await page.getByTestId('drill-close').click();
    expect(await page.getByTestId('drilldown').isVisible()).toBe(false);
  });

  it('the key is only in sessionStorage and the Authorization header: never in a URL or the page', async () => {
    expect(await page.evaluate('Object.keys(sessionStorage).map((k) => sessionStorage.getItem(k))')).toEqual([server.apiKey]);
    expect(await page.content()).not.toContain(server.apiKey);
    expect(await page.getByTestId('api-key').inputValue()).toBe('');
    const api = requests.filter((r) => new URL(r.url).pathname.startsWith('/v1/'));
    expect(api.length).toBeGreaterThan(5);
    for (const r of requests) expect(r.url).not.toContain(server.apiKey);
    expect(api.filter((r) => r.authorization === `Bearer ${server.apiKey}`).length).toBeGreaterThan(5);
  });

  it('a reload keeps the session (same tab); sign out forgets the key and the figures', async () => {
    const before = await generation(page);
    await page.reload();
    expect(await loaded(page, before - before)).toBe('ready');
    expect(await page.getByTestId('dashboard').isVisible()).toBe(true);
    await page.getByTestId('sign-out').click();
    expect(await page.getByTestId('sign-in-view').isVisible()).toBe(true);
    expect(await page.getByTestId('dashboard').isVisible()).toBe(false);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expect(await page.locator('[data-testid="breakdown-table"]').count()).toBe(0);
    await page.reload();
    expect(await page.getByTestId('sign-in-view').isVisible()).toBe(true);
    await screenshot(page, '06-signed-out');
  });

  it('another tenant’s key sees only that tenant’s data', async () => {
    const before = await generation(page);
    await signIn(page, otherKey);
    expect(await loaded(page, before)).toBe('ready');
    await select('range', '30d');
    const rows = await tableRows(page, 'breakdown-table');
    expect(rows.map((r) => r[0])).toEqual(['secret-agent']);
    const theirs = new BearLumen({ apiKey: otherKey, baseUrl: server.url, handleExit: false });
    const api = await theirs.costAttribution.breakdown({ ...(await shownRange(page)), dimension: 'agent_id' });
    await theirs.shutdown();
    expect(await text(page, 'total-cost')).toBe(usd(api.totalCostNanoUsd));
    expect(await page.content()).not.toContain('support-agent');
    await page.getByTestId('sign-out').click();
    expect(problems).toEqual([]);
  });
});
