/**
 * usage.query with a filter that matches in a few hours of a busy range reads only those hours
 * (usage-page.ts): the day and hour rollups locate them, and whole hours that lie before the
 * requested offset are skipped by their counts without a read. Before, such a page walked the time
 * index through every event of the range (2.5 s over 30 days at 10M events for a filter matching
 * nothing). Checked on the slices and on the statements a page runs (SQLite; the logic is shared).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { createStore, type UsageFilter } from '@bearlumen/node-sdk/server';
import { SQLITE_DIALECT, type BuiltQuery } from '../../../src/server/store/dialect';
import { pageSlices, readPage, type BucketCount, type PageRunner } from '../../../src/server/store/usage-page';
import { usageReads } from '../../../src/server/store/usage-sql';
import { HOUR, T0, usageEvent } from './engines';

const MINUTE = 60_000;
const DAY = 24 * HOUR;
/** Ten days, ragged at both ends. */
const RANGE: UsageFilter = { startMs: T0 + 30 * MINUTE, endMs: T0 + 10 * DAY + 30 * MINUTE };

it('a sparse filtered page reads only the hours that hold matches, and skips whole ones before its offset', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bl-slices-'));
  const path = join(dir, 'slices.db');
  const store = await createStore({ dbPath: path });
  try {
    const tenant = (await store.ensureTenant('slices')).id;
    // An event of agent `busy` every 2 minutes; `rare` ones in three hours days apart, and in the
    // ragged last hour (one in the range, one after it).
    const rareAt = [T0 + 2 * DAY + 5 * HOUR + 1, T0 + 2 * DAY + 5 * HOUR + 2, T0 + 6 * DAY + 13 * HOUR, T0 + 6 * DAY + 14 * HOUR + 59 * MINUTE,
      T0 + 10 * DAY + 10 * MINUTE, T0 + 10 * DAY + 40 * MINUTE];
    const events = rareAt.map((t) => usageEvent({ timestampMs: t, agentId: 'rare' }));
    for (let t = T0 - DAY; t < T0 + 11 * DAY; t += 2 * MINUTE) events.push(usageEvent({ timestampMs: t, agentId: 'busy' }));
    for (let i = 0; i < events.length; i += 1000) await store.insertUsageEvents(tenant, events.slice(i, i + 1000));

    const db = new Database(path, { readonly: true });
    try {
      const reads = usageReads(SQLITE_DIALECT);
      const pages: [number, number][] = [];
      const run: PageRunner<{ id: string }> = {
        counts: async (q) => db.prepare(q.sql).all(...q.params) as BucketCount[],
        count: async (q) => (db.prepare(q.sql).get(...q.params) as { n: number }).n,
        rows: async (q: BuiltQuery) => {
          const [start, end] = q.params.slice(1, 3) as [number, number];
          pages.push([start, end]);
          return db.prepare(q.sql).all(...q.params) as { id: string }[];
        },
      };
      const rare = { ...RANGE, agentId: 'rare' };
      // Days with few matches have their hours counted together: the one statement that finds the
      // days holding matches (10, 6 and 2), then one for their hours, not one per day.
      const grains: number[] = [];
      const counting: PageRunner<unknown>['counts'] = (q) => {
        grains.push(q.params.includes(DAY) ? DAY : HOUR);
        return run.counts(q);
      };
      await pageSlices(reads, counting, tenant, rare, 100);
      expect(grains).toEqual([DAY, HOUR]);
      // Each slice spans only the times of its matches (the rollups keep their earliest and latest),
      // clipped to the range; the adjacent whole hours of day 6 merge.
      expect(await pageSlices(reads, run.counts, tenant, rare, 100)).toEqual([
        { startMs: T0 + 10 * DAY + 10 * MINUTE, endMs: RANGE.endMs, n: 2, exact: false, hourMs: T0 + 10 * DAY },
        { startMs: T0 + 6 * DAY + 13 * HOUR, endMs: T0 + 6 * DAY + 14 * HOUR + 59 * MINUTE + 1, n: 2, exact: true, hourMs: T0 + 6 * DAY + 13 * HOUR },
        { startMs: T0 + 2 * DAY + 5 * HOUR + 1, endMs: T0 + 2 * DAY + 5 * HOUR + 3, n: 2, exact: true, hourMs: T0 + 2 * DAY + 5 * HOUR },
      ]);
      // The first page of 3 reads the ragged hour, then the merged hours of day 6 — and stops.
      expect((await readPage(reads, run, tenant, rare, 3, 0)).length).toBe(3);
      expect(pages).toEqual([[T0 + 10 * DAY + 10 * MINUTE, RANGE.endMs], [T0 + 6 * DAY + 13 * HOUR, T0 + 6 * DAY + 14 * HOUR + 59 * MINUTE + 1]]);
      // Offset 3: the ragged hour is read (its count is not trusted), day 6's hours are skipped by their count.
      pages.length = 0;
      expect((await readPage(reads, run, tenant, rare, 10, 3)).length).toBe(2);
      expect(pages).toEqual([[T0 + 10 * DAY + 10 * MINUTE, RANGE.endMs], [T0 + 2 * DAY + 5 * HOUR + 1, T0 + 2 * DAY + 5 * HOUR + 3]]);
      // A ragged hour whose matches all lie outside the range is not read at all.
      pages.length = 0;
      // The page of 1 is then full with day 6's later hour, read at its one match's millisecond.
      expect((await readPage(reads, run, tenant, { ...rare, endMs: T0 + 10 * DAY + 5 * MINUTE }, 1, 0)).length).toBe(1);
      expect(pages).toEqual([[T0 + 6 * DAY + 14 * HOUR + 59 * MINUTE, T0 + 6 * DAY + 14 * HOUR + 59 * MINUTE + 1]]);
      // A filter that matches nothing reads no event at all.
      pages.length = 0;
      expect(await pageSlices(reads, run.counts, tenant, { ...RANGE, agentId: 'nobody' }, 100)).toEqual([]);
      expect(await readPage(reads, run, tenant, { ...RANGE, agentId: 'nobody' }, 100, 0)).toEqual([]);
      expect(pages).toEqual([]);
    } finally {
      db.close();
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
