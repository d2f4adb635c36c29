/**
 * The event list (`usage.query`), written once for both engines: a page of raw events, newest first.
 *
 * Without equality filters every event of the range matches, so the page is one read backwards along
 * the (tenant_id, ts) index from the end of the range. With filters, that walk would step over every
 * non-matching event, and a filter that matches little or nothing (an agent that ran last week, a
 * typo) walked the whole range: 2.5 s over 30 days at 10M events. The rollups say where the matches
 * are: day rows find the days that hold any, hour rows within those days the hours, and the page is
 * read only from those hours, newest first, until it is full. An hour whose rollups count no match
 * holds none (rollups are the exact sums of the stored events), so it is never read; an hour that
 * lies wholly in the range and whose matches all come before the requested offset is skipped by its
 * count alone; the others are read together, each only down to its last match. The ragged hours
 * at the ends of the range are read alone, and their counts (which include events outside the range)
 * are never trusted.
 */
import type { BuiltQuery } from './dialect';
import { DAY_MS, HOUR_MS } from './rollups';
import { filterColumns, floorTo, type PagePart, type UsageReads } from './usage-sql';
import type { UsageFilter } from './store';

/** A part of the range to read: whole hours with matches, or one ragged hour clipped to the range. */
export interface PageSlice {
  startMs: number;
  endMs: number;
  /** Matching events the hour rollups count in the slice's hours. */
  n: number;
  /** The slice is made of whole hours inside the range, so `n` is exactly its number of matches. */
  exact: boolean;
  /** Start of the slice's oldest hour (slices of adjacent whole hours merge). */
  hourMs: number;
}

/** A bucket's matching events: their count and, when the rollups know them, their earliest and latest times. */
export interface BucketCount {
  bucket: number;
  n: number;
  tmin: number | null;
  tmax: number | null;
}

/** How an engine runs the statements of a page. */
export interface PageRunner<R> {
  /** Rows of `bucketCounts`. */
  counts(q: BuiltQuery): Promise<readonly BucketCount[]>;
  /** The single `n` of `rawCount`. */
  count(q: BuiltQuery): Promise<number>;
  /** Event rows of `page`. */
  rows(q: BuiltQuery): Promise<R[]>;
}

/** Day buckets read per step while looking for the days that hold matches. */
const DAY_STEP = 8;
/**
 * Consecutive days whose matches add up to at most this many have their hours read in one statement
 * (each matching hour row counts at least one match, so that is also a bound on the rows it reads).
 * A sparse filter then costs a round trip per step of days rather than one per day (on PostgreSQL,
 * ~1 ms each); a busy day is read alone, so that the search still stops within it.
 */
const MATCHES_PER_HOUR_READ = 1000;

/**
 * The slices of the filtered range that hold matching events, newest first, down to the first one
 * after which the exact counts reach `need` (offset + limit), or all of them when they never do.
 * An hour's slice spans only the times of its matches where the rollups keep them (an hour with
 * one match is read at that match's millisecond, not along the whole hour); slices of adjacent
 * whole hours merge into one.
 */
export async function pageSlices(
  reads: UsageReads,
  counts: PageRunner<unknown>['counts'],
  tenantId: string,
  f: UsageFilter,
  need: number,
): Promise<PageSlice[]> {
  const slices: PageSlice[] = [];
  const firstDay = floorTo(f.startMs, DAY_MS);
  const firstHour = floorTo(f.startMs, HOUR_MS);
  let seen = 0;
  let daysBefore = f.endMs;
  while (firstDay < daysBefore) {
    const days = await counts(reads.bucketCounts(tenantId, f, DAY_MS, firstDay, daysBefore, DAY_STEP));
    for (let i = 0; i < days.length; ) {
      // days[i] is the newest of the days read together, days[j - 1] the oldest.
      let j = i + 1;
      for (let sum = (days[i] as BucketCount).n; j < days.length && sum + (days[j] as BucketCount).n <= MATCHES_PER_HOUR_READ; j++) sum += (days[j] as BucketCount).n;
      const from = Math.max((days[j - 1] as BucketCount).bucket, firstHour);
      const to = Math.min((days[i] as BucketCount).bucket + DAY_MS, f.endMs);
      const hours = await counts(reads.bucketCounts(tenantId, f, HOUR_MS, from, to, 24 * (j - i)));
      i = j;
      for (const hour of hours) {
        const hourEnd = hour.bucket + HOUR_MS;
        // Every match of the hour lies in [tmin, tmax]; without bounds, anywhere in the hour.
        const startMs = Math.max(hour.tmin ?? hour.bucket, f.startMs);
        const endMs = Math.min(hour.tmax === null ? hourEnd : hour.tmax + 1, f.endMs);
        if (startMs >= endMs) continue; // a ragged hour whose matches all lie outside the range
        const exact = hour.bucket >= f.startMs && hourEnd <= f.endMs;
        const last = slices[slices.length - 1];
        if (exact && last !== undefined && last.exact && last.hourMs === hourEnd) {
          last.startMs = startMs;
          last.hourMs = hour.bucket;
          last.n += hour.n;
        } else {
          slices.push({ startMs, endMs, n: hour.n, exact, hourMs: hour.bucket });
        }
        if (exact) seen += hour.n;
        if (seen >= need) return slices;
      }
    }
    if (days.length < DAY_STEP) break;
    daysBefore = (days[days.length - 1] as { bucket: number }).bucket;
  }
  return slices;
}

/** Slices read per statement when several are read together. */
const PARTS_PER_READ = 50;

/** The page: at most `limit` matching events after the first `offset`, newest first (time, then insertion order). */
export async function readPage<R>(reads: UsageReads, run: PageRunner<R>, tenantId: string, f: UsageFilter, limit: number, offset: number): Promise<R[]> {
  if (f.startMs >= f.endMs || limit <= 0) return [];
  if (filterColumns(f).length === 0) return run.rows(reads.page(tenantId, f, f.startMs, f.endMs, limit, offset));
  const page: R[] = [];
  // Slices of whole hours hold exactly `n` matches, so what each gives is known before it is read:
  // consecutive ones are read together, in one statement (one round trip on PostgreSQL), and each
  // read stops at its last match instead of walking on to the start of its oldest hour.
  let parts: PagePart[] = [];
  let planned = 0;
  const readParts = async (): Promise<void> => {
    const [one] = parts;
    if (one !== undefined) {
      const q = parts.length === 1 ? reads.page(tenantId, f, one.startMs, one.endMs, one.limit, one.offset) : reads.pages(tenantId, f, parts);
      page.push(...(await run.rows(q)));
    }
    parts = [];
    planned = 0;
  };
  let skip = offset;
  for (const slice of await pageSlices(reads, run.counts, tenantId, f, offset + limit)) {
    const room = limit - page.length - planned;
    if (room <= 0) break;
    if (slice.exact) {
      if (slice.n <= skip) {
        skip -= slice.n;
        continue;
      }
      const take = Math.min(room, slice.n - skip);
      parts.push({ startMs: slice.startMs, endMs: slice.endMs, limit: take, offset: skip });
      planned += take;
      skip = 0;
      if (parts.length >= PARTS_PER_READ) await readParts();
      continue;
    }
    // A ragged hour at an end of the range: its count includes events outside it, so it is read
    // alone, after the newer slices.
    await readParts();
    const rows = await run.rows(reads.page(tenantId, f, slice.startMs, slice.endMs, limit - page.length, skip));
    page.push(...rows);
    // Rows came back only once the whole offset was passed; none: the slice held at most `skip` matches.
    if (rows.length > 0) skip = 0;
    else if (skip > 0) skip = Math.max(0, skip - (await run.count(reads.rawCount(tenantId, f, slice.startMs, slice.endMs))));
  }
  await readParts();
  return page;
}
