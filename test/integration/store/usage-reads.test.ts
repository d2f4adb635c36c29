import { beforeAll, expect, it } from 'vitest';
import type { NewUsageEvent, UsageFilter } from '@bearlumen/node-sdk/server';
import { HOUR, T0, describeEachStore, freshTenant, usageEvent } from './engines';

const DAY = 24 * HOUR;
const ALL: UsageFilter = { startMs: T0 - DAY, endMs: T0 + 3 * DAY };

/**
 * A small fixed workload: two subscriptions, three metrics (byte order 'B' < '_x' < 'a'), agents,
 * workflows, fractional quantities whose naive float sum differs from SQLite's compensated TOTAL.
 */
function workload(): NewUsageEvent[] {
  const ev = (o: Partial<NewUsageEvent>) => usageEvent(o);
  return [
    ev({ timestampMs: T0, metricName: 'llm_tokens_input', quantity: 100, tokenKind: 'input', costNanoUsd: 3_000_000, agentId: 'bot', subscriptionId: 'sub_a' }),
    ev({ timestampMs: T0 + 10, metricName: 'llm_tokens_output', quantity: 50, tokenKind: 'output', costNanoUsd: 700, agentId: 'bot', workflowId: 'wf1' }),
    ev({ timestampMs: T0 + HOUR, metricName: 'llm_tokens_input', quantity: 7, tokenKind: 'input', costNanoUsd: 0, priced: false, agentId: 'Alpha' }),
    ev({ timestampMs: T0 + HOUR + 1, metricName: 'llm_tokens_cache_read', quantity: 9, tokenKind: 'cache_read', costNanoUsd: 2, workflowId: 'wf1' }),
    ev({ timestampMs: T0 + DAY, metricName: 'llm_tokens_cache_write', quantity: 11, tokenKind: 'cache_write', costNanoUsd: 5, subscriptionId: 'sub_b' }),
    ev({ timestampMs: T0 + 2, metricName: 'B', eventType: 'gpu', quantity: 0.1, tokenKind: null, costNanoUsd: 1, agentId: '_x' }),
    ev({ timestampMs: T0 + 3, metricName: 'B', eventType: 'gpu', quantity: 0.2, tokenKind: null, costNanoUsd: 1 }),
    ev({ timestampMs: T0 + DAY + 5, metricName: '_x', eventType: 'gpu', quantity: 2.5, tokenKind: null, costNanoUsd: 10 }),
    ev({ timestampMs: T0 + 4, metricName: 'a', eventType: 'gpu', quantity: 1e15, tokenKind: null, costNanoUsd: 4_000_000_000_000 }),
    // Outside ALL's range on both ends: never counted.
    ev({ timestampMs: T0 - DAY - 1, metricName: 'B', quantity: 1000, tokenKind: null }),
    ev({ timestampMs: T0 + 3 * DAY, metricName: 'B', quantity: 1000, tokenKind: null }),
  ];
}

describeEachStore('store: usage reads', (store) => {
  let t: string;
  let events: NewUsageEvent[];
  beforeAll(async () => {
    t = await freshTenant(store());
    events = workload();
    const result = await store().insertUsageEvents(t, events);
    expect(result.ok).toBe(true);
    // Another tenant's events must never show up.
    await store().insertUsageEvents(await freshTenant(store()), workload());
  });

  it('query: newest first, half-open range, total and pages', async () => {
    const all = await store().queryUsageEvents(t, ALL, 100, 0);
    expect(all.total).toBe(9);
    const times = all.events.map((e) => Date.parse(e.timestamp));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const page = await store().queryUsageEvents(t, ALL, 3, 2);
    expect(page.events.map((e) => e.eventId)).toEqual(all.events.slice(2, 5).map((e) => e.eventId));
    expect(page.total).toBe(9);
    const edge = await store().queryUsageEvents(t, { startMs: T0 + HOUR, endMs: T0 + HOUR + 1 }, 10, 0);
    expect(edge.events.map((e) => e.metricName)).toEqual(['llm_tokens_input']);
  });

  it('query: events with one timestamp come back in reverse insertion order', async () => {
    const tenant = await freshTenant(store());
    const same = [usageEvent(), usageEvent(), usageEvent()];
    await store().insertUsageEvents(tenant, same);
    const { events: got } = await store().queryUsageEvents(tenant, ALL, 10, 0);
    expect(got.map((e) => e.eventId)).toEqual(same.map((e) => e.id).reverse());
  });

  it('query: maps every field of the stored event', async () => {
    const e = events[0] as NewUsageEvent;
    const { events: got } = await store().queryUsageEvents(t, { ...ALL, subscriptionId: 'sub_a' }, 10, 0);
    expect(got).toEqual([
      {
        eventId: e.id,
        eventType: 'token_usage',
        metricName: 'llm_tokens_input',
        quantity: 100,
        subscriptionId: 'sub_a',
        idempotencyKey: e.idempotencyKey,
        timestamp: new Date(T0).toISOString(),
        receivedAt: new Date(T0 + 1).toISOString(),
        metadata: {},
        costUsd: 0.003,
        costNanoUsd: 3_000_000,
        priced: true,
        priceSource: e.priceSource,
      },
    ]);
    expect(got[0]?.priceSource).toBe('test');
  });

  it('query: filters by metric, event type, agent and workflow', async () => {
    const count = async (f: Partial<UsageFilter>) => (await store().queryUsageEvents(t, { ...ALL, ...f }, 100, 0)).total;
    expect(await count({ metricName: 'B' })).toBe(2);
    expect(await count({ eventType: 'gpu' })).toBe(4);
    expect(await count({ agentId: 'bot' })).toBe(2);
    expect(await count({ workflowId: 'wf1', agentId: 'bot' })).toBe(1);
    expect(await count({ subscriptionId: 'sub_none' })).toBe(0);
  });

  it('aggregate without a window: one row per metric in byte order, exact float totals', async () => {
    const rows = await store().aggregateUsage(t, ALL, null);
    expect(rows.map((r) => r.metricName)).toEqual(['B', '_x', 'a', 'llm_tokens_cache_read', 'llm_tokens_cache_write', 'llm_tokens_input', 'llm_tokens_output']);
    expect(rows[0]).toEqual({ metricName: 'B', windowStartMs: null, totalQuantity: 0.30000000000000004, eventCount: 2, minQuantity: 0.1, maxQuantity: 0.2, costNanoUsd: 2 });
    expect(rows.find((r) => r.metricName === 'llm_tokens_input')).toEqual({
      metricName: 'llm_tokens_input',
      windowStartMs: null,
      totalQuantity: 107,
      eventCount: 2,
      minQuantity: 7,
      maxQuantity: 100,
      costNanoUsd: 3_000_000,
    });
    expect(rows.find((r) => r.metricName === 'a')?.costNanoUsd).toBe(4_000_000_000_000);
  });

  it('aggregate by HOUR and DAY: UTC-aligned windows sorted by metric then start', async () => {
    const hourly = await store().aggregateUsage(t, { ...ALL, metricName: 'llm_tokens_input' }, 'HOUR');
    expect(hourly.map((r) => [r.windowStartMs, r.totalQuantity, r.eventCount])).toEqual([
      [T0, 100, 1],
      [T0 + HOUR, 7, 1],
    ]);
    const daily = await store().aggregateUsage(t, { ...ALL, eventType: 'gpu' }, 'DAY');
    expect(daily.map((r) => [r.metricName, r.windowStartMs, r.eventCount])).toEqual([
      ['B', T0, 2],
      ['_x', T0 + DAY, 1],
      ['a', T0, 1],
    ]);
  });

  it('summary: token totals by kind, cost, unpriced count and per-metric totals', async () => {
    const s = await store().summarizeUsage(t, ALL);
    expect(s).toMatchObject({
      totalEvents: 9,
      inputTokens: 107,
      outputTokens: 50,
      cacheReadTokens: 9,
      cacheWriteTokens: 11,
      costNanoUsd: 4_000_003_000_719,
      unpricedEventCount: 1,
    });
    expect(s.metrics.map((m) => m.metricName)).toEqual(['B', '_x', 'a', 'llm_tokens_cache_read', 'llm_tokens_cache_write', 'llm_tokens_input', 'llm_tokens_output']);
    expect(s.metrics[0]).toEqual({ metricName: 'B', totalQuantity: 0.30000000000000004, eventCount: 2 });
  });

  it('a fractional metric sums to the compensated sum on every engine, a token metric to its exact sum', async () => {
    // 652.272 + 20.287: the compensated sum (SQLite's TOTAL) rounds the exact binary sum to
    // 672.5590000000001; summing the decimals the two doubles print as gives 672.559 instead.
    const tenant = await freshTenant(store());
    const fractional = [652.272, 20.287].map((quantity, i) => usageEvent({ timestampMs: T0 + i, metricName: 'gpu_seconds', eventType: 'gpu', quantity, tokenKind: null }));
    const tokens = [2 ** 52, 1, 1].map((quantity, i) => usageEvent({ timestampMs: T0 + i, quantity }));
    // Past 2^53: summed without overflow or error, every digit kept (a float8 cast to NUMERIC keeps 15).
    const huge = Array.from({ length: 11 }, (_, i) => usageEvent({ timestampMs: T0 + i, metricName: 'llm_tokens_output', tokenKind: 'output', quantity: 987_654_321_098_765 }));
    expect((await store().insertUsageEvents(tenant, [...fractional, ...tokens, ...huge])).ok).toBe(true);
    const totals = { gpu_seconds: 672.5590000000001, llm_tokens_input: 2 ** 52 + 2, llm_tokens_output: Number(987_654_321_098_765n * 11n) };
    for (const window of [null, 'DAY'] as const) {
      const rows = await store().aggregateUsage(tenant, ALL, window);
      expect(Object.fromEntries(rows.map((row) => [row.metricName, row.totalQuantity]))).toEqual(totals);
    }
    const summary = await store().summarizeUsage(tenant, ALL);
    expect(Object.fromEntries(summary.metrics.map((row) => [row.metricName, row.totalQuantity]))).toEqual(totals);
    expect(summary).toMatchObject({ inputTokens: totals.llm_tokens_input, outputTokens: totals.llm_tokens_output });
  });

  it('metrics named next to the token prefix sum by their own kind (PostgreSQL picks the sum per metric)', async () => {
    const tenant = await freshTenant(store());
    // Names that sort just before, at and after `llm_tokens…`: only those starting with it are token
    // metrics (whole numbers); the others may be fractional and must be summed as such.
    const fractional = ['llm_token', 'llm_tokenr', 'llm_tokent', 'llm_tokent_x', 'llm_tokens'.toUpperCase()];
    const whole = ['llm_tokens', 'llm_tokensz', 'llm_tokens_input'];
    const events = [
      ...fractional.flatMap((metricName, i) => [0.5, 0.25].map((quantity, j) => usageEvent({ timestampMs: T0 + i * 10 + j, metricName, quantity, tokenKind: null }))),
      ...whole.flatMap((metricName, i) => [2 ** 52, 3].map((quantity, j) => usageEvent({ timestampMs: T0 + 100 + i * 10 + j, metricName, quantity }))),
    ];
    expect((await store().insertUsageEvents(tenant, events)).ok).toBe(true);
    const want = Object.fromEntries([...fractional.map((m) => [m, 0.75]), ...whole.map((m) => [m, 2 ** 52 + 3])]);
    for (const window of [null, 'HOUR'] as const) {
      const rows = await store().aggregateUsage(tenant, ALL, window);
      expect(Object.fromEntries(rows.map((row) => [row.metricName, row.totalQuantity]))).toEqual(want);
    }
    const summary = await store().summarizeUsage(tenant, ALL);
    expect(Object.fromEntries(summary.metrics.map((row) => [row.metricName, row.totalQuantity]))).toEqual(want);
  });

  it('summary over an empty range is all zeros', async () => {
    expect(await store().summarizeUsage(t, { startMs: 0, endMs: 1 })).toEqual({
      totalEvents: 0,
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      costNanoUsd: 0,
      unpricedEventCount: 0,
      metrics: [],
    });
  });

  it('cost breakdown by agent: one group per value plus the null group', async () => {
    const rows = await store().costBreakdown(t, 'agent_id', ALL);
    const byValue = new Map(rows.map((r) => [r.value, r]));
    expect(byValue.size).toBe(4);
    expect(byValue.get('bot')).toEqual({ value: 'bot', costNanoUsd: 3_000_700, inputTokens: 100, outputTokens: 50, eventCount: 2, unpricedEventCount: 0 });
    expect(byValue.get('Alpha')).toEqual({ value: 'Alpha', costNanoUsd: 0, inputTokens: 7, outputTokens: 0, eventCount: 1, unpricedEventCount: 1 });
    expect(byValue.get(null)).toMatchObject({ eventCount: 5, costNanoUsd: 4_000_000_000_018 });
    expect(rows.reduce((sum, r) => sum + r.costNanoUsd, 0)).toBe(4_000_003_000_719);
  });

  it('attribution values: distinct, non-null, byte order', async () => {
    expect(await store().attributionValues(t, 'agent_id', ALL)).toEqual(['Alpha', '_x', 'bot']);
    expect(await store().attributionValues(t, 'workflow_id', ALL)).toEqual(['wf1']);
    expect(await store().attributionValues(t, 'workflow_id', { startMs: 0, endMs: 1 })).toEqual([]);
  });
});
