/**
 * Retention drops raw events before a UTC day and keeps the rollups: aggregate reads over the
 * dropped days still answer (exactly, for hour-aligned ranges), while the event list finds and
 * counts only the events still kept. See docs/server.md ("Retention").
 */
import { beforeAll, expect, it } from 'vitest';
import type { NewUsageEvent, UsageFilter } from '@bearlumen/node-sdk/server';
import { HOUR, T0, describeEachStore, freshTenant, usageEvent } from './engines';

const DAY = 24 * HOUR;
const ALL: UsageFilter = { startMs: T0 - 3 * DAY, endMs: T0 + 3 * DAY };

/** One event every 20 minutes from T0 - 2 days to T0 + 2 days, costs 1, 2, 3, … nano-USD. */
function workload(): NewUsageEvent[] {
  return Array.from({ length: (4 * DAY) / (20 * 60_000) }, (_, i) =>
    usageEvent({ timestampMs: T0 - 2 * DAY + i * 20 * 60_000 + 7, costNanoUsd: i + 1, quantity: i, agentId: i % 2 === 0 ? 'even' : 'odd' }),
  );
}

const costOf = (events: readonly NewUsageEvent[]): number => events.reduce((s, e) => s + e.costNanoUsd, 0);
/** Report rows in a fixed order (stores return groups unsorted). */
const sorted = <T>(rows: T[]): T[] => rows.map((r) => JSON.stringify(r)).sort().map((r) => JSON.parse(r) as T);

describeEachStore('store: event retention', (store) => {
  let tenant: string;
  let events: NewUsageEvent[];
  let before: { summary: unknown; daily: unknown; byAgent: unknown; byAgentReport: unknown; hourlySeries: unknown };
  let dropped: { droppedBeforeMs: number; deletedCount: number };

  beforeAll(async () => {
    tenant = await freshTenant(store());
    events = workload();
    expect(await store().insertUsageEvents(tenant, events)).toMatchObject({ ok: true });
    before = {
      summary: await store().summarizeUsage(tenant, ALL),
      daily: await store().aggregateUsage(tenant, ALL, 'DAY'),
      byAgent: await store().costBreakdown(tenant, 'agent_id', ALL),
      byAgentReport: sorted(await store().dimensionCosts(tenant, 'agent_id', ALL)),
      hourlySeries: sorted(await store().costSeries(tenant, 'agent_id', 'HOUR', ALL)),
    };
    // A cutoff inside a day drops whole days only: everything before T0.
    dropped = await store().dropEventsBefore(T0 + 5 * HOUR);
  });

  it('deletes the raw events before the cutoff rounded down to a UTC day', () => {
    expect(dropped).toEqual({ droppedBeforeMs: T0, deletedCount: events.filter((e) => e.timestampMs < T0).length });
  });

  it('aggregate reads over the dropped days still answer from the rollups, unchanged', async () => {
    expect(await store().summarizeUsage(tenant, ALL)).toEqual(before.summary);
    expect(await store().aggregateUsage(tenant, ALL, 'DAY')).toEqual(before.daily);
    expect(await store().costBreakdown(tenant, 'agent_id', ALL)).toEqual(before.byAgent);
    // The cost reports (dashboard, `bearlumen report`) too.
    expect(sorted(await store().dimensionCosts(tenant, 'agent_id', ALL))).toEqual(before.byAgentReport);
    expect(sorted(await store().costSeries(tenant, 'agent_id', 'HOUR', ALL))).toEqual(before.hourlySeries);
    const hourly = await store().aggregateUsage(tenant, { startMs: T0 - 2 * DAY, endMs: T0 }, 'HOUR');
    expect(hourly).toHaveLength(48);
  });

  it('the event list finds and counts only the events still kept', async () => {
    const old = await store().queryUsageEvents(tenant, { startMs: T0 - 3 * DAY, endMs: T0 }, 10, 0);
    expect(old).toEqual({ events: [], total: 0 });
    const all = await store().queryUsageEvents(tenant, ALL, 1000, 0);
    const kept = events.filter((e) => e.timestampMs >= T0);
    expect(all.total).toBe(kept.length);
    expect(all.events.map((e) => e.eventId).sort()).toEqual(kept.map((e) => e.id).sort());
  });

  it('a ragged edge inside the dropped days counts only the whole hours (the raw minutes are gone)', async () => {
    const ragged: UsageFilter = { startMs: T0 - DAY + 30 * 60_000, endMs: T0 - 2 * HOUR + 30 * 60_000 };
    const wholeHours = events.filter((e) => e.timestampMs >= T0 - DAY + HOUR && e.timestampMs < T0 - 2 * HOUR);
    expect((await store().summarizeUsage(tenant, ragged)).costNanoUsd).toBe(costOf(wholeHours));
  });

  it('an earlier cutoff later never brings the watermark back', async () => {
    expect(await store().dropEventsBefore(T0 - DAY)).toEqual({ droppedBeforeMs: T0 - DAY, deletedCount: 0 });
    const old = await store().queryUsageEvents(tenant, { startMs: T0 - DAY, endMs: T0 }, 10, 0);
    expect(old.total).toBe(0);
  });
});
