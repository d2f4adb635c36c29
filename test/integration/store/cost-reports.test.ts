/**
 * Conformance of the cost-report reads (`dimensionCosts`, `costSeries`) on every engine: they agree
 * with `costBreakdown` exactly (nano-USD) and with each other, group `metadata.model` /
 * `metadata.provider` strings (the provider trimmed and lower-cased alike whether a whole hour comes
 * from the rollups or a ragged edge from the raw events; anything else is the null group), align
 * buckets to UTC, honour the range and the drill-down filters, and never read another tenant.
 * (test/integration/store/rollups.test.ts compares them with a raw scan over random workloads.)
 */
import { beforeAll, expect, it } from 'vitest';
import type { CostDimension, NewUsageEvent, UsageFilter } from '@bearlumen/node-sdk/server';
import { HOUR, T0, describeEachStore, freshTenant, usageEvent } from './engines';

const DAY = 24 * HOUR;
const ALL: UsageFilter = { startMs: T0 - DAY, endMs: T0 + 3 * DAY };
const meta = (model: unknown, provider?: unknown): string => JSON.stringify({ model, ...(provider === undefined ? {} : { provider }) });

function workload(): NewUsageEvent[] {
  const ev = (o: Partial<NewUsageEvent>) => usageEvent(o);
  return [
    ev({ timestampMs: T0, quantity: 100, tokenKind: 'input', costNanoUsd: 3_000_000, agentId: 'bot', workflowId: 'wf1', metadataJson: meta('gpt-4o', 'openai') }),
    ev({ timestampMs: T0 + 10, metricName: 'llm_tokens_output', quantity: 50, tokenKind: 'output', costNanoUsd: 700, agentId: 'bot', workflowId: 'wf2', metadataJson: meta('gpt-4o', 'openai') }),
    ev({ timestampMs: T0 + HOUR + 5, quantity: 7, tokenKind: 'input', costNanoUsd: 0, priced: false, agentId: 'Alpha', metadataJson: meta('mystery') }),
    ev({ timestampMs: T0 + HOUR + 6, metricName: 'llm_tokens_cache_read', quantity: 9, tokenKind: 'cache_read', costNanoUsd: 2, agentId: 'bot', metadataJson: meta('claude', 'anthropic') }),
    ev({ timestampMs: T0 + DAY + 1, metricName: 'llm_tokens_cache_write', quantity: 11, tokenKind: 'cache_write', costNanoUsd: 5, workflowId: 'wf1', metadataJson: meta('claude', 'anthropic') }),
    // A non-string model is not a model: the null group.
    ev({ timestampMs: T0 + 2, metricName: 'gpu', eventType: 'gpu', quantity: 0.5, tokenKind: null, costNanoUsd: 1, agentId: '<img src=x onerror=alert(1)>', metadataJson: meta(42) }),
    ev({ timestampMs: T0 + 4, metricName: 'gpu', eventType: 'gpu', quantity: 1e15, tokenKind: null, costNanoUsd: 4_000_000_000_000, metadataJson: '{}' }),
    // Outside ALL on both ends.
    ev({ timestampMs: T0 - DAY - 1, costNanoUsd: 99, agentId: 'bot', metadataJson: meta('gpt-4o') }),
    ev({ timestampMs: T0 + 3 * DAY, costNanoUsd: 99, agentId: 'bot', metadataJson: meta('gpt-4o') }),
  ];
}

const DIMENSIONS: CostDimension[] = ['agent_id', 'workflow_id', 'model', 'provider'];
/** Sorted by value in code-unit order, null last. */
const byValue = <T extends { value: string | null }>(rows: T[]): T[] =>
  [...rows].sort((a, b) => (a.value === b.value ? 0 : a.value === null ? 1 : b.value === null ? -1 : a.value < b.value ? -1 : 1));

describeEachStore('store: cost reports', (store) => {
  let t: string;
  beforeAll(async () => {
    t = await freshTenant(store());
    expect((await store().insertUsageEvents(t, workload())).ok).toBe(true);
    // Another tenant with the same values: must never show up.
    expect((await store().insertUsageEvents(await freshTenant(store()), workload())).ok).toBe(true);
  });

  it('dimensionCosts by agent / workflow equals costBreakdown exactly, plus cache tokens', async () => {
    for (const dimension of ['agent_id', 'workflow_id'] as const) {
      const rows = await store().dimensionCosts(t, dimension, ALL);
      const legacy = await store().costBreakdown(t, dimension, ALL);
      expect(byValue(rows.map(({ cacheReadTokens: _r, cacheWriteTokens: _w, ...rest }) => rest))).toEqual(byValue(legacy));
    }
    const agents = byValue(await store().dimensionCosts(t, 'agent_id', ALL));
    expect(agents).toEqual([
      { value: '<img src=x onerror=alert(1)>', costNanoUsd: 1, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, eventCount: 1, unpricedEventCount: 0 },
      { value: 'Alpha', costNanoUsd: 0, inputTokens: 7, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, eventCount: 1, unpricedEventCount: 1 },
      { value: 'bot', costNanoUsd: 3_000_702, inputTokens: 100, outputTokens: 50, cacheReadTokens: 9, cacheWriteTokens: 0, eventCount: 3, unpricedEventCount: 0 },
      { value: null, costNanoUsd: 4_000_000_000_005, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 11, eventCount: 2, unpricedEventCount: 0 },
    ]);
  });

  it('dimensionCosts by model / provider groups the metadata strings; every dimension sums to the same total', async () => {
    const models = byValue(await store().dimensionCosts(t, 'model', ALL));
    expect(models.map((r) => [r.value, r.costNanoUsd, r.eventCount])).toEqual([
      ['claude', 7, 2],
      ['gpt-4o', 3_000_700, 2],
      ['mystery', 0, 1],
      [null, 4_000_000_000_001, 2],
    ]);
    const providers = byValue(await store().dimensionCosts(t, 'provider', ALL));
    expect(providers.map((r) => [r.value, r.costNanoUsd])).toEqual([
      ['anthropic', 7],
      ['openai', 3_000_700],
      [null, 4_000_000_000_001],
    ]);
    const totals = await store().summarizeUsage(t, ALL);
    for (const dimension of DIMENSIONS) {
      const rows = await store().dimensionCosts(t, dimension, ALL);
      expect(rows.reduce((n, r) => n + r.costNanoUsd, 0), dimension).toBe(totals.costNanoUsd);
      expect(rows.reduce((n, r) => n + r.eventCount, 0), dimension).toBe(totals.totalEvents);
    }
  });

  it('costSeries: UTC-aligned buckets whose cells sum to dimensionCosts per value', async () => {
    const hourly = await store().costSeries(t, 'agent_id', 'HOUR', ALL);
    expect(hourly.every((r) => r.bucketStartMs % HOUR === 0)).toBe(true);
    const bot = hourly.filter((r) => r.value === 'bot').sort((a, b) => a.bucketStartMs - b.bucketStartMs);
    expect(bot).toEqual([
      { bucketStartMs: T0, value: 'bot', costNanoUsd: 3_000_700 },
      { bucketStartMs: T0 + HOUR, value: 'bot', costNanoUsd: 2 },
    ]);
    for (const dimension of DIMENSIONS) {
      for (const bucket of ['HOUR', 'DAY'] as const) {
        const cells = await store().costSeries(t, dimension, bucket, ALL);
        const sums = new Map<string | null, number>();
        for (const c of cells) sums.set(c.value, (sums.get(c.value) ?? 0) + c.costNanoUsd);
        const expected = new Map((await store().dimensionCosts(t, dimension, ALL)).map((r) => [r.value, r.costNanoUsd]));
        expect(sums, `${dimension} ${bucket}`).toEqual(expected);
      }
    }
    const daily = await store().costSeries(t, 'model', 'DAY', ALL);
    expect(daily.filter((r) => r.value === 'claude').sort((a, b) => a.bucketStartMs - b.bucketStartMs)).toEqual([
      { bucketStartMs: T0, value: 'claude', costNanoUsd: 2 },
      { bucketStartMs: T0 + DAY, value: 'claude', costNanoUsd: 5 },
    ]);
  });

  it('drill-down filters and the half-open range narrow both reads', async () => {
    const botOnly = { ...ALL, agentId: 'bot' };
    expect(byValue(await store().dimensionCosts(t, 'workflow_id', botOnly)).map((r) => [r.value, r.costNanoUsd])).toEqual([
      ['wf1', 3_000_000],
      ['wf2', 700],
      [null, 2],
    ]);
    expect((await store().costSeries(t, 'model', 'DAY', botOnly)).map((r) => r.value).sort()).toEqual(['claude', 'gpt-4o']);
    const firstHour = { startMs: T0, endMs: T0 + HOUR };
    const cells = await store().costSeries(t, 'agent_id', 'HOUR', firstHour);
    expect(cells.every((c) => c.bucketStartMs === T0)).toBe(true);
    expect(cells.reduce((n, c) => n + c.costNanoUsd, 0)).toBe(3_000_700 + 1 + 4_000_000_000_000);
  });

  it('metadata holding \\u0000 or a lone surrogate escape elsewhere still yields its model (PostgreSQL cannot parse those)', async () => {
    const tenant = await freshTenant(store());
    const metadataJson = JSON.stringify({ note: 'a\u0000b', odd: '\ud800', model: 'gpt-4o', provider: 'openai' });
    expect(metadataJson).toContain('\\u0000');
    expect((await store().insertUsageEvents(tenant, [usageEvent({ metadataJson, costNanoUsd: 5 }), usageEvent({ metadataJson: meta('\ud83d\ude00x'), costNanoUsd: 1 })])).ok).toBe(true);
    expect(byValue(await store().dimensionCosts(tenant, 'model', ALL)).map((r) => [r.value, r.costNanoUsd])).toEqual([
      ['gpt-4o', 5],
      ['\ud83d\ude00x', 1],
    ]);
    expect((await store().costSeries(tenant, 'provider', 'DAY', ALL)).map((r) => String(r.value)).sort()).toEqual(['null', 'openai']);
  });

  it('provider spellings meet in one normalised group, from the rollups and the raw edges alike', async () => {
    const tenant = await freshTenant(store());
    const events = [
      usageEvent({ timestampMs: T0 + 10 * 60_000, costNanoUsd: 1, metadataJson: meta('m', ' OpenAI ') }),
      usageEvent({ timestampMs: T0 + HOUR + 10 * 60_000, costNanoUsd: 10, metadataJson: meta('m', 'OPENAI') }),
      usageEvent({ timestampMs: T0 + HOUR + 20 * 60_000, costNanoUsd: 100, metadataJson: meta('m', '\u00a0Ünïcode\t') }),
      usageEvent({ timestampMs: T0 + 30 * 60_000, costNanoUsd: 1000, metadataJson: meta('', '  ') }),
    ];
    expect((await store().insertUsageEvents(tenant, events)).ok).toBe(true);
    // [T0, T0 + 1 h) from the hour rollups; [T0 + 1 h, T0 + 1 h 30 min) from the raw events.
    const ragged = { startMs: T0, endMs: T0 + HOUR + 30 * 60_000 };
    expect(byValue(await store().dimensionCosts(tenant, 'provider', ragged)).map((r) => [r.value, r.costNanoUsd, r.eventCount])).toEqual([
      ['openai', 11, 2],
      ['ünïcode', 100, 1],
      [null, 1000, 1],
    ]);
    expect(byValue(await store().dimensionCosts(tenant, 'model', ragged)).map((r) => [r.value, r.costNanoUsd])).toEqual([
      ['m', 111],
      [null, 1000],
    ]);
    const daily = await store().costSeries(tenant, 'provider', 'DAY', ragged);
    expect(byValue(daily)).toEqual([
      { bucketStartMs: T0, value: 'openai', costNanoUsd: 11 },
      { bucketStartMs: T0, value: 'ünïcode', costNanoUsd: 100 },
      { bucketStartMs: T0, value: null, costNanoUsd: 1000 },
    ]);
  });

  it('an empty tenant has no rows', async () => {
    const empty = await freshTenant(store());
    expect(await store().dimensionCosts(empty, 'model', ALL)).toEqual([]);
    expect(await store().costSeries(empty, 'agent_id', 'DAY', ALL)).toEqual([]);
  });
});
