/**
 * Rollups (the reads combine hour/day rollup rows with raw events at the ragged edges) must answer
 * exactly like a scan of the raw events. Property: over random workloads — replayed batches
 * included, which must never count twice — and random ranges (aligned and ragged) and filters,
 * every aggregate read of each engine (the cost reports by agent, workflow, model and provider,
 * hourly and daily, included), and pages of the event list at several offsets (read only from the
 * hours the day and hour rollups locate when filtered), equals a reference computed here from the
 * events themselves. Model and provider come from each event's metadata: the reference applies the
 * documented rule (model: a non-empty string; provider: trimmed and lower-cased, Unicode included)
 * to what was sent.
 * Counts, nano-USD, minima, maxima, orders and groups must be identical; float quantity sums are
 * compared to 1e-9 relative (the order of additions differs, see docs/server.md).
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { AggregationWindow } from '@bearlumen/node-sdk';
import type { CostDimension, NewUsageEvent, UsageFilter } from '@bearlumen/node-sdk/server';
import { HOUR, T0, describeEachStore, freshTenant, usageEvent } from './engines';

const DAY = 24 * HOUR;
/** Events fall in [T0 - 3 h, T0 + SPAN): dense enough that most ragged edges hold some. */
const SPAN = 2 * DAY;
const METRICS = ['llm_tokens_input', 'llm_tokens_output', 'llm_tokens_cache_read', 'gpu_seconds', 'api.calls'] as const;
const KINDS: Record<string, NewUsageEvent['tokenKind']> = { llm_tokens_input: 'input', llm_tokens_output: 'output', llm_tokens_cache_read: 'cache_read' };
const kindOf = (metric: string): NewUsageEvent['tokenKind'] => KINDS[metric] ?? null;

/** `metadata.model` as sent: absent, a name, a name differing only in case, empty, not a string. */
const MODELS = [undefined, 'gpt-4o', 'GPT-4o', 'claude', '', 7] as const;
/** `metadata.provider` as sent: spellings that normalise alike, blanks, a non-ASCII capital, not a string. */
const PROVIDERS = [undefined, 'openai', ' OpenAI ', 'OPENAI\t', 'anthropic', '\u00a0Anthropic\u2003', 'ÉCOLE', '', '  ', 42] as const;

/** The model an event is reported under: `metadata.model` when a non-empty string. */
function modelOf(metadataJson: string): string | null {
  const model: unknown = (JSON.parse(metadataJson) as Record<string, unknown>)['model'];
  return typeof model === 'string' && model !== '' ? model : null;
}

/** The provider an event is reported under: `metadata.provider` trimmed and lower-cased, when that leaves something. */
function providerOf(metadataJson: string): string | null {
  const provider: unknown = (JSON.parse(metadataJson) as Record<string, unknown>)['provider'];
  const p = typeof provider === 'string' ? provider.trim().toLowerCase() : '';
  return p === '' ? null : p;
}

const eventArb = fc
  .record({
    offset: fc.integer({ min: -HOUR * 3, max: SPAN - 1 }),
    metric: fc.constantFrom(...METRICS),
    tokens: fc.integer({ min: 0, max: 100_000 }),
    fraction: fc.double({ min: 0, max: 1000, noNaN: true, noDefaultInfinity: true }),
    sub: fc.constantFrom(null, 'sub_1', 'sub_2'),
    agent: fc.constantFrom(null, 'planner', 'Writer', '_tool'),
    workflow: fc.constantFrom(null, 'wf-a', 'wf-b'),
    model: fc.constantFrom(...MODELS),
    provider: fc.constantFrom(...PROVIDERS),
    // Ingest passes model and provider as the rollups key them; a direct store caller may leave them out.
    explicit: fc.boolean(),
    cost: fc.integer({ min: 0, max: 4_000_000_000_000 }),
    priced: fc.boolean(),
  })
  .map((r) => {
    const tokens = r.metric.startsWith('llm_tokens');
    const metadataJson = JSON.stringify({ model: r.model, provider: r.provider });
    const keyed = r.explicit ? { model: modelOf(metadataJson), provider: providerOf(metadataJson) } : {};
    return usageEvent({
      timestampMs: T0 + r.offset,
      metricName: r.metric,
      eventType: tokens ? 'token_usage' : r.metric === 'gpu_seconds' ? 'gpu' : 'api',
      quantity: tokens ? r.tokens : r.fraction,
      tokenKind: kindOf(r.metric),
      subscriptionId: r.sub,
      agentId: r.agent,
      workflowId: r.workflow,
      metadataJson,
      ...keyed,
      costNanoUsd: r.cost,
      priced: r.priced,
    });
  });

/** An instant in the workload's span: often on an hour or day boundary, often not. */
const instantArb = fc.oneof(
  fc.integer({ min: -4 * HOUR, max: SPAN + HOUR }).map((o) => T0 + o),
  fc.integer({ min: -4, max: 2 * 24 + 1 }).map((h) => T0 + h * HOUR),
  fc.integer({ min: -1, max: 3 }).map((d) => T0 + d * DAY),
);

/** A range plus, half the time, one equality filter (more would leave too few events to compare). */
const filterArb = fc
  .record({
    start: instantArb,
    end: instantArb,
    extra: fc.oneof(
      fc.constant({}),
      fc.constantFrom<Partial<UsageFilter>>(
        { subscriptionId: 'sub_1' },
        { agentId: 'planner' },
        { agentId: 'nobody' },
        { workflowId: 'wf-b' },
        { metricName: 'llm_tokens_input' },
        { metricName: 'gpu_seconds' },
        { eventType: 'token_usage' },
      ),
    ),
  })
  .map(({ start, end, extra }): UsageFilter => ({ startMs: Math.min(start, end), endMs: Math.max(start, end), ...extra }));

function matches(e: NewUsageEvent, f: UsageFilter): boolean {
  return (
    e.timestampMs >= f.startMs &&
    e.timestampMs < f.endMs &&
    (f.subscriptionId === undefined || e.subscriptionId === f.subscriptionId) &&
    (f.agentId === undefined || e.agentId === f.agentId) &&
    (f.workflowId === undefined || e.workflowId === f.workflowId) &&
    (f.metricName === undefined || e.metricName === f.metricName) &&
    (f.eventType === undefined || e.eventType === f.eventType)
  );
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const sumOf = (xs: readonly NewUsageEvent[], pick: (e: NewUsageEvent) => number): number => xs.reduce((s, e) => s + pick(e), 0);
const tokensOf = (xs: readonly NewUsageEvent[], kind: string): number => sumOf(xs.filter((e) => e.tokenKind === kind), (e) => e.quantity);

/** The raw-scan reference of every aggregate read. */
function reference(events: readonly NewUsageEvent[], f: UsageFilter) {
  const hit = events.filter((e) => matches(e, f));
  const groups = <K>(key: (e: NewUsageEvent) => K): Map<K, NewUsageEvent[]> => {
    const m = new Map<K, NewUsageEvent[]>();
    for (const e of hit) m.set(key(e), [...(m.get(key(e)) ?? []), e]);
    return m;
  };
  const aggregate = (window: AggregationWindow | null) => {
    const w = window === null ? 0 : window === 'HOUR' ? HOUR : DAY;
    return [...groups((e) => `${e.metricName}\n${w === 0 ? '' : Math.floor(e.timestampMs / w) * w}`).values()]
      .map((g) => {
        const e0 = g[0] as NewUsageEvent;
        return {
          metricName: e0.metricName,
          windowStartMs: w === 0 ? null : Math.floor(e0.timestampMs / w) * w,
          totalQuantity: sumOf(g, (e) => e.quantity),
          eventCount: g.length,
          minQuantity: Math.min(...g.map((e) => e.quantity)),
          maxQuantity: Math.max(...g.map((e) => e.quantity)),
          costNanoUsd: sumOf(g, (e) => e.costNanoUsd),
        };
      })
      .sort((a, b) => byteOrder(a.metricName, b.metricName) || (a.windowStartMs ?? 0) - (b.windowStartMs ?? 0));
  };
  const breakdown = (pick: (e: NewUsageEvent) => string | null) =>
    [...groups(pick).entries()]
      .map(([value, g]) => ({
        value,
        costNanoUsd: sumOf(g, (e) => e.costNanoUsd),
        inputTokens: tokensOf(g, 'input'),
        outputTokens: tokensOf(g, 'output'),
        eventCount: g.length,
        unpricedEventCount: g.filter((e) => !e.priced).length,
      }))
      .sort(byValue);
  const dimensionCosts = (dimension: CostDimension) =>
    [...groups((e) => DIMENSION_OF[dimension](e)).entries()]
      .map(([value, g]) => ({
        value,
        costNanoUsd: sumOf(g, (e) => e.costNanoUsd),
        inputTokens: tokensOf(g, 'input'),
        outputTokens: tokensOf(g, 'output'),
        cacheReadTokens: tokensOf(g, 'cache_read'),
        cacheWriteTokens: tokensOf(g, 'cache_write'),
        eventCount: g.length,
        unpricedEventCount: g.filter((e) => !e.priced).length,
      }))
      .sort(byValue);
  const costSeries = (dimension: CostDimension, bucket: AggregationWindow) => {
    const w = bucket === 'HOUR' ? HOUR : DAY;
    return [...groups((e) => `${Math.floor(e.timestampMs / w) * w}\n${JSON.stringify(DIMENSION_OF[dimension](e))}`).values()]
      .map((g) => {
        const e0 = g[0] as NewUsageEvent;
        return { bucketStartMs: Math.floor(e0.timestampMs / w) * w, value: DIMENSION_OF[dimension](e0), costNanoUsd: sumOf(g, (e) => e.costNanoUsd) };
      })
      .sort(byBucketThenValue);
  };
  const values = (pick: (e: NewUsageEvent) => string | null) => [...new Set(hit.map(pick).filter((v): v is string => v !== null))].sort(byteOrder);
  return {
    total: hit.length,
    /** Ids newest first: time, then insertion order (the events' order here). */
    newestFirst: hit.map((e, i) => ({ e, i })).sort((a, b) => b.e.timestampMs - a.e.timestampMs || b.i - a.i).map(({ e }) => e.id),
    aggregate,
    summary: {
      totalEvents: hit.length,
      inputTokens: tokensOf(hit, 'input'),
      outputTokens: tokensOf(hit, 'output'),
      cacheReadTokens: tokensOf(hit, 'cache_read'),
      cacheWriteTokens: 0,
      costNanoUsd: sumOf(hit, (e) => e.costNanoUsd),
      unpricedEventCount: hit.filter((e) => !e.priced).length,
      metrics: aggregate(null).map((r) => ({ metricName: r.metricName, totalQuantity: r.totalQuantity, eventCount: r.eventCount })),
    },
    byAgent: breakdown((e) => e.agentId),
    byWorkflow: breakdown((e) => e.workflowId),
    agents: values((e) => e.agentId),
    workflows: values((e) => e.workflowId),
    dimensionCosts,
    costSeries,
  };
}

/** Each cost-report dimension of an event, by the documented rule. */
const DIMENSION_OF: Record<CostDimension, (e: NewUsageEvent) => string | null> = {
  agent_id: (e) => e.agentId,
  workflow_id: (e) => e.workflowId,
  model: (e) => modelOf(e.metadataJson),
  provider: (e) => providerOf(e.metadataJson),
};
const DIMENSIONS = Object.keys(DIMENSION_OF) as CostDimension[];

/** Rows by value in code-unit order, null last (the stores return groups unsorted). */
function byValue(a: { value: string | null }, b: { value: string | null }): number {
  return a.value === b.value ? 0 : a.value === null ? 1 : b.value === null ? -1 : byteOrder(a.value, b.value);
}
const byBucketThenValue = (a: { bucketStartMs: number; value: string | null }, b: { bucketStartMs: number; value: string | null }): number =>
  a.bucketStartMs - b.bucketStartMs || byValue(a, b);

/** Deep equality where float quantity sums may differ in the last bits; every other number must be identical. */
function expectSameAnswer(actual: unknown, expected: unknown, path = 'answer'): void {
  if (typeof expected === 'number' && typeof actual === 'number' && !Number.isInteger(expected)) {
    expect(Math.abs(actual - expected), `${path}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
    return;
  }
  if (Array.isArray(expected) || (typeof expected === 'object' && expected !== null)) {
    expect(typeof actual, path).toBe('object');
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    expect(Object.keys(a).sort(), path).toEqual(Object.keys(e).sort());
    for (const key of Object.keys(e)) expectSameAnswer(a[key], e[key], `${path}.${key}`);
    return;
  }
  expect(actual, path).toEqual(expected);
}

describeEachStore('store: rollup answers equal a raw scan', (store) => {
  it('over random workloads (with replayed batches), ranges and filters', async () => {
    await fc.assert(
      fc.asyncProperty(
        // 'medium': up to ~100 events (fast-check's default size stops near 10, too few for the ragged edges to hold every kind of value).
        fc.array(eventArb, { minLength: 1, maxLength: 300, size: 'medium' }),
        fc.integer({ min: 1, max: 60 }),
        fc.array(filterArb, { minLength: 1, maxLength: 4 }),
        fc.nat({ max: 10 }),
        fc.integer({ min: 1, max: 7 }),
        async (events, batchSize, filters, offset, limit) => {
          const s = store();
          const tenant = await freshTenant(s);
          for (let i = 0; i < events.length; i += batchSize) {
            const batch = events.slice(i, i + batchSize);
            expect(await s.insertUsageEvents(tenant, batch)).toMatchObject({ ok: true, recordedCount: batch.length });
            // A replay (a retry after a lost response) is all duplicates and must not add to the rollups.
            expect(await s.insertUsageEvents(tenant, batch)).toMatchObject({ ok: true, recordedCount: 0 });
          }
          for (const f of filters) {
            const want = reference(events, f);
            for (const window of [null, 'HOUR', 'DAY'] as const) expectSameAnswer(await s.aggregateUsage(tenant, f, window), want.aggregate(window), `aggregate ${window}`);
            expectSameAnswer(await s.summarizeUsage(tenant, f), want.summary, 'summary');
            expectSameAnswer((await s.costBreakdown(tenant, 'agent_id', f)).sort(byValue), want.byAgent, 'byAgent');
            expectSameAnswer((await s.costBreakdown(tenant, 'workflow_id', f)).sort(byValue), want.byWorkflow, 'byWorkflow');
            for (const dimension of DIMENSIONS) {
              expectSameAnswer((await s.dimensionCosts(tenant, dimension, f)).sort(byValue), want.dimensionCosts(dimension), `dimensionCosts ${dimension}`);
              for (const bucket of ['HOUR', 'DAY'] as const) {
                const cells = (await s.costSeries(tenant, dimension, bucket, f)).sort(byBucketThenValue);
                expectSameAnswer(cells, want.costSeries(dimension, bucket), `costSeries ${dimension} ${bucket}`);
              }
            }
            expect(await s.attributionValues(tenant, 'agent_id', f)).toEqual(want.agents);
            expect(await s.attributionValues(tenant, 'workflow_id', f)).toEqual(want.workflows);
            // Pages at several offsets through the list (filtered pages read only the hours their rollups locate).
            for (let at = offset; at <= want.total; at += Math.max(limit, Math.ceil(want.total / 6))) {
              const page = await s.queryUsageEvents(tenant, f, limit, at);
              expect(page.total).toBe(want.total);
              expect(page.events.map((e) => e.eventId), `page at ${at}`).toEqual(want.newestFirst.slice(at, at + limit));
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 240_000);

  it('a filtered page whose range ends inside a busy hour still finds older matches', async () => {
    const s = store();
    const tenant = await freshTenant(s);
    const old = usageEvent({ timestampMs: T0 + 10 * 60_000, agentId: 'a' });
    // Five matches in the hour where the range ends, all after its end: they must not end the search.
    const later = Array.from({ length: 5 }, (_, i) => usageEvent({ timestampMs: T0 + HOUR + 50 * 60_000 + i, agentId: 'a' }));
    await s.insertUsageEvents(tenant, [old, ...later]);
    const page = await s.queryUsageEvents(tenant, { startMs: T0, endMs: T0 + HOUR + 30 * 60_000, agentId: 'a' }, 1, 0);
    expect(page).toMatchObject({ total: 1, events: [{ eventId: old.id }] });
  });
});
