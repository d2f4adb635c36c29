/**
 * usage.query with a filter that matches in a few scattered hours of a busy range: the rollups
 * locate those hours and only they are read (usage-page.ts). Every page, at every offset, must be
 * the matching events newest first (time, then insertion order), and the total all of them: across
 * slices, over the ragged hours at both ends (whose rollup counts include events outside the range),
 * past whole hours skipped by their counts, and over days with no match at all.
 */
import { expect, it } from 'vitest';
import type { NewUsageEvent, UsageFilter } from '@bearlumen/node-sdk/server';
import { HOUR, T0, describeEachStore, freshTenant, usageEvent } from './engines';

const MINUTE = 60_000;
/** Ragged at both ends: starts 40 minutes into an hour, ends 20 minutes into one, four days later. */
const RANGE: UsageFilter = { startMs: T0 + 40 * MINUTE, endMs: T0 + 96 * HOUR + 20 * MINUTE };

/** `rare` events: in the ragged first hour (in and out of the range), in whole hours days apart, in the ragged last hour. */
const RARE_AT = [
  T0 + 10 * MINUTE, // before the range, same hour as its start
  T0 + 45 * MINUTE,
  T0 + 50 * MINUTE,
  T0 + 5 * HOUR + 1,
  T0 + 5 * HOUR + 1, // same instant: insertion order decides
  T0 + 5 * HOUR + 59 * MINUTE,
  T0 + 6 * HOUR, // the next hour: merged into one slice with the one before
  T0 + 30 * HOUR + 7 * MINUTE,
  T0 + 71 * HOUR + 30 * MINUTE,
  T0 + 96 * HOUR + 5 * MINUTE,
  T0 + 96 * HOUR + 25 * MINUTE, // after the range, same hour as its end
];

function workload(): { events: NewUsageEvent[]; rare: NewUsageEvent[] } {
  const events: NewUsageEvent[] = [];
  // Busy: an event of another agent every 3 minutes around the whole range.
  for (let t = T0 - HOUR; t < T0 + 98 * HOUR; t += 3 * MINUTE) events.push(usageEvent({ timestampMs: t, agentId: 'busy', workflowId: 'wf' }));
  const rare = RARE_AT.map((t, i) => usageEvent({ timestampMs: t, agentId: 'rare', workflowId: i % 2 === 0 ? 'wf' : 'other' }));
  // Interleaved with the busy ones, so insertion order and time order differ.
  rare.forEach((e, i) => events.splice(i * 97, 0, e));
  return { events, rare };
}

describeEachStore('store: a sparse filtered event list', (store) => {
  it('every page at every offset is the matching events newest first, and the total all of them', async () => {
    const s = store();
    const tenant = await freshTenant(s);
    const { events, rare } = workload();
    for (let i = 0; i < events.length; i += 500) await s.insertUsageEvents(tenant, events.slice(i, i + 500));
    const inserted = (e: NewUsageEvent): number => events.indexOf(e);
    for (const filter of [{ agentId: 'rare' }, { agentId: 'rare', workflowId: 'wf' }]) {
      const f = { ...RANGE, ...filter };
      const want = rare
        .filter((e) => e.timestampMs >= f.startMs && e.timestampMs < f.endMs && (f.workflowId === undefined || e.workflowId === f.workflowId))
        .sort((a, b) => b.timestampMs - a.timestampMs || inserted(b) - inserted(a))
        .map((e) => e.id);
      for (const limit of [1, 2, 3, 100]) {
        for (let offset = 0; offset <= want.length; offset++) {
          const page = await s.queryUsageEvents(tenant, f, limit, offset);
          expect(page.total, `${JSON.stringify(filter)} limit ${limit} offset ${offset}`).toBe(want.length);
          expect(page.events.map((e) => e.eventId), `${JSON.stringify(filter)} limit ${limit} offset ${offset}`).toEqual(want.slice(offset, offset + limit));
        }
      }
    }
    expect(await s.queryUsageEvents(tenant, { ...RANGE, agentId: 'nobody' }, 10, 0)).toEqual({ events: [], total: 0 });
  });
});
