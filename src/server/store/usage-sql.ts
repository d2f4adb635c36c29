/**
 * The read side of usage, written once for both engines (the dialect supplies what differs).
 *
 * Every aggregate read (aggregation, summary, cost breakdown, attribution values, the total of a
 * query, and the cost reports of `cost-report-sql.ts`) runs over one row source: the rollups where
 * the range covers whole buckets, and the raw events only at the ragged edges (less than an hour at
 * each end). Each branch yields the same columns — a raw event is a rollup of one — so one outer
 * query aggregates them all:
 *
 *   [start ─ raw ─┤ hours ├──── days ────┤ hours ├─ raw ─ end)
 *
 * Counts and nano-USD are integer sums, so they equal a raw scan exactly; see docs/server.md for
 * float quantity sums.
 */
import type { AggregationWindow } from '../../protocol/types';
import { SqlParams, type BuiltQuery, type Dialect } from './dialect';
import { DAY_MS, HOUR_MS } from './rollups';
import type { AttributionDimension, UsageFilter } from './store';

export const WINDOW_MS: Record<AggregationWindow, number> = { HOUR: HOUR_MS, DAY: DAY_MS };
/** Column per dimension; a fixed map, so no user input ever reaches the SQL text. */
export const DIMENSION_COLUMN: Record<AttributionDimension, string> = { agent_id: 'agent_id', workflow_id: 'workflow_id' };

/** A half-open piece of a range and what answers it. */
export type RangePiece = { from: 'events'; startMs: number; endMs: number } | { from: 'rollups'; grain: number; startMs: number; endMs: number };

export const ceilTo = (ms: number, step: number): number => Math.ceil(ms / step) * step;
export const floorTo = (ms: number, step: number): number => Math.floor(ms / step) * step;

/**
 * Split [startMs, endMs) into raw edges, hour buckets and day buckets (days only when `coarsest` is
 * a day: an hourly aggregation cannot use day rows). Pieces are disjoint and cover the range.
 */
export function planRange(startMs: number, endMs: number, coarsest: number = DAY_MS): RangePiece[] {
  const hourStart = ceilTo(startMs, HOUR_MS);
  const hourEnd = floorTo(endMs, HOUR_MS);
  if (hourStart >= hourEnd) return [{ from: 'events', startMs, endMs }];
  const pieces: RangePiece[] = [];
  if (startMs < hourStart) pieces.push({ from: 'events', startMs, endMs: hourStart });
  const dayStart = ceilTo(hourStart, DAY_MS);
  const dayEnd = floorTo(hourEnd, DAY_MS);
  if (coarsest >= DAY_MS && dayStart < dayEnd) {
    if (hourStart < dayStart) pieces.push({ from: 'rollups', grain: HOUR_MS, startMs: hourStart, endMs: dayStart });
    pieces.push({ from: 'rollups', grain: DAY_MS, startMs: dayStart, endMs: dayEnd });
    if (dayEnd < hourEnd) pieces.push({ from: 'rollups', grain: HOUR_MS, startMs: dayEnd, endMs: hourEnd });
  } else {
    pieces.push({ from: 'rollups', grain: HOUR_MS, startMs: hourStart, endMs: hourEnd });
  }
  if (hourEnd < endMs) pieces.push({ from: 'events', startMs: hourEnd, endMs });
  return pieces;
}

/** The optional equality filters, by column (the same names on `usage_events` and `usage_rollups`). */
export function filterColumns(f: UsageFilter): [string, string][] {
  const all: [string, string | undefined][] = [
    ['subscription_id', f.subscriptionId],
    ['metric_name', f.metricName],
    ['event_type', f.eventType],
    ['agent_id', f.agentId],
    ['workflow_id', f.workflowId],
  ];
  return all.filter((c): c is [string, string] => c[1] !== undefined);
}

/** WHERE clause over `usage_events` for one time range. Only fixed column names enter the SQL text. */
export function eventsWhere(p: SqlParams, tenantId: string, f: UsageFilter, startMs = f.startMs, endMs = f.endMs): string {
  let sql = `tenant_id = ${p.add(tenantId)} AND ts >= ${p.add(startMs)} AND ts < ${p.add(endMs)}`;
  for (const [column, value] of filterColumns(f)) sql += ` AND ${column} = ${p.add(value)}`;
  return sql;
}

/** An extra grouping column `v` of the row source, spelled per kind of branch (fixed SQL text, never user input). */
export interface ValueColumn {
  events: string;
  rollups: string;
}

/**
 * The row source of aggregate reads: a parenthesised UNION ALL of rollup and raw branches, each with
 * columns metric_name, token_kind, agent_id, workflow_id, t (bucket or event time), n (events),
 * q (quantity sum), cost (nano-USD), u (unpriced events), qmin, qmax, and `v` when `value` is given.
 * `coarsest` is the widest rollup grain it may read (an hourly series cannot use day rows).
 */
export function rowSource(d: Dialect, p: SqlParams, tenantId: string, f: UsageFilter, coarsest: number, value?: ValueColumn): string {
  const branches = planRange(f.startMs, f.endMs, coarsest).map((piece) => {
    if (piece.from === 'events') {
      return `SELECT metric_name, token_kind, agent_id, workflow_id, ts AS t, 1 AS n, quantity AS q, cost_nano AS cost,
          ${d.unpriced('priced')} AS u, quantity AS qmin, quantity AS qmax${value === undefined ? '' : `, ${value.events} AS v`}
        FROM usage_events WHERE ${eventsWhere(p, tenantId, f, piece.startMs, piece.endMs)}`;
    }
    let where = `tenant_id = ${p.add(tenantId)} AND grain = ${p.add(piece.grain)} AND bucket >= ${p.add(piece.startMs)} AND bucket < ${p.add(piece.endMs)}`;
    for (const [column, wanted] of filterColumns(f)) where += ` AND ${column} = ${p.add(wanted)}`;
    return `SELECT metric_name, token_kind, agent_id, workflow_id, bucket AS t, event_count AS n, quantity_sum AS q,
        cost_sum AS cost, unpriced_count AS u, quantity_min AS qmin, quantity_max AS qmax${value === undefined ? '' : `, ${value.rollups} AS v`}
      FROM usage_rollups WHERE ${where}`;
  });
  return `(${branches.join('\nUNION ALL\n')}) s`;
}

/** The reads, built for one dialect. */
export function usageReads(d: Dialect) {
  const tokens = (kind: string): string => d.tokenSum(`CASE WHEN token_kind = '${kind}' THEN q END`);
  return {
    /** Per-metric (and per-window) aggregates, sorted by metric (bytes) then window start. */
    aggregate(tenantId: string, f: UsageFilter, window: AggregationWindow | null): BuiltQuery {
      const p = new SqlParams(d);
      const from = rowSource(d, p, tenantId, f, window === 'HOUR' ? HOUR_MS : DAY_MS);
      const w = window === null ? 0 : WINDOW_MS[window];
      const bucket = window === null ? d.nullBigint : `(t / ${w}) * ${w}`;
      const sql = `SELECT metric_name AS "metricName", ${bucket} AS "windowStartMs", ${d.metricSum('q')} AS "totalQuantity",
          SUM(n) AS "eventCount", MIN(qmin) AS "minQuantity", MAX(qmax) AS "maxQuantity", ${d.costSum('cost')} AS "costNanoUsd"
        FROM ${from} GROUP BY metric_name, "windowStartMs" ORDER BY ${d.byteOrder('metric_name')}, "windowStartMs"`;
      return { sql, params: p.values };
    },

    /** One row: event count, token totals by kind, cost, unpriced count. */
    summaryTotals(tenantId: string, f: UsageFilter): BuiltQuery {
      const p = new SqlParams(d);
      const from = rowSource(d, p, tenantId, f, DAY_MS);
      const sql = `SELECT COALESCE(SUM(n), 0) AS "totalEvents", ${tokens('input')} AS "inputTokens", ${tokens('output')} AS "outputTokens",
          ${tokens('cache_read')} AS "cacheReadTokens", ${tokens('cache_write')} AS "cacheWriteTokens",
          ${d.costSum('cost')} AS "costNanoUsd", COALESCE(SUM(u), 0) AS "unpricedEventCount"
        FROM ${from}`;
      return { sql, params: p.values };
    },

    /** Per-metric totals of the summary, sorted by metric (bytes). */
    summaryMetrics(tenantId: string, f: UsageFilter): BuiltQuery {
      const p = new SqlParams(d);
      const from = rowSource(d, p, tenantId, f, DAY_MS);
      const sql = `SELECT metric_name AS "metricName", ${d.metricSum('q')} AS "totalQuantity", SUM(n) AS "eventCount"
        FROM ${from} GROUP BY metric_name ORDER BY ${d.byteOrder('metric_name')}`;
      return { sql, params: p.values };
    },

    /** Cost grouped by a dimension (unsorted), the null group included. */
    costBreakdown(tenantId: string, dimension: AttributionDimension, f: UsageFilter): BuiltQuery {
      const p = new SqlParams(d);
      const column = DIMENSION_COLUMN[dimension];
      const from = rowSource(d, p, tenantId, f, DAY_MS);
      const sql = `SELECT ${column} AS value, ${d.costSum('cost')} AS "costNanoUsd", ${tokens('input')} AS "inputTokens",
          ${tokens('output')} AS "outputTokens", SUM(n) AS "eventCount", COALESCE(SUM(u), 0) AS "unpricedEventCount"
        FROM ${from} GROUP BY ${column}`;
      return { sql, params: p.values };
    },

    /** Distinct non-null values of a dimension, in byte order. */
    attributionValues(tenantId: string, dimension: AttributionDimension, f: UsageFilter): BuiltQuery {
      const p = new SqlParams(d);
      const column = DIMENSION_COLUMN[dimension];
      const from = rowSource(d, p, tenantId, f, DAY_MS);
      return { sql: `SELECT DISTINCT ${d.byteOrder(column)} AS value FROM ${from} WHERE ${column} IS NOT NULL ORDER BY 1`, params: p.values };
    },

    /**
     * Matching events per `grain` bucket (hour or day rows) starting in [startMs, endMs), newest
     * first, at most `limit` buckets (columns `bucket`, `n`, and `tmin` / `tmax`: the earliest and
     * latest of those events' times, null when a row written before the rollups kept them is among
     * the bucket's). A bucket's count includes its events outside [startMs, endMs) too.
     */
    bucketCounts(tenantId: string, f: UsageFilter, grain: number, startMs: number, endMs: number, limit: number): BuiltQuery {
      const p = new SqlParams(d);
      const filters = filterColumns(f);
      // With filters, the filter's dimension sets first, then each one's rows through the
      // (tenant_id, grain, dim_id, bucket) index: only the filter's own rows are read, however many
      // rows of other dimension sets each bucket holds.
      let dims = '';
      if (filters.length > 0) {
        dims = `d.tenant_id = ${p.add(tenantId)}`;
        for (const [column, value] of filters) dims += ` AND d.${column} = ${p.add(value)}`;
      }
      const rows = `r.tenant_id = ${p.add(tenantId)} AND r.grain = ${p.add(grain)} AND r.bucket >= ${p.add(startMs)} AND r.bucket < ${p.add(endMs)}`;
      const from = filters.length > 0 ? d.dimRollups(dims, rows) : `FROM usage_rollups r WHERE ${rows}`;
      const sql = `SELECT r.bucket AS bucket, SUM(r.event_count) AS n, CASE WHEN COUNT(r.ts_min) = COUNT(*) THEN MIN(r.ts_min) END AS tmin,
          CASE WHEN COUNT(r.ts_max) = COUNT(*) THEN MAX(r.ts_max) END AS tmax
        ${from} GROUP BY r.bucket ORDER BY r.bucket DESC LIMIT ${p.add(limit)}`;
      return { sql, params: p.values };
    },

    /** The number of raw events matching the filter in [startMs, endMs) (column `n`; a scan, for short ranges). */
    rawCount(tenantId: string, f: UsageFilter, startMs: number, endMs: number): BuiltQuery {
      const p = new SqlParams(d);
      return { sql: `SELECT COUNT(*) AS n FROM usage_events WHERE ${eventsWhere(p, tenantId, f, startMs, endMs)}`, params: p.values };
    },

    /** The number of events matching the filter (column `n`). */
    count(tenantId: string, f: UsageFilter): BuiltQuery {
      const p = new SqlParams(d);
      const from = rowSource(d, p, tenantId, f, DAY_MS);
      return { sql: `SELECT COALESCE(SUM(n), 0) AS n FROM ${from}`, params: p.values };
    },

    /**
     * A page of the raw events matching the filter in [startMs, endMs) (a slice of the filter's
     * range), newest first (time, then insertion order), read backwards along the (tenant_id, ts)
     * index from `endMs`.
     */
    page(tenantId: string, f: UsageFilter, startMs: number, endMs: number, limit: number, offset: number): BuiltQuery {
      const p = new SqlParams(d);
      return { sql: pageSql(p, tenantId, f, { startMs, endMs, limit, offset }), params: p.values };
    },

    /**
     * Several such pages of disjoint slices in one statement (one round trip), each read as `page`
     * reads it, together newest first.
     */
    pages(tenantId: string, f: UsageFilter, parts: readonly PagePart[]): BuiltQuery {
      const p = new SqlParams(d);
      const each = parts.map((part, i) => `SELECT * FROM (${pageSql(p, tenantId, f, part)}) p${i}`);
      return { sql: `SELECT * FROM (${each.join('\nUNION ALL\n')}) pages ORDER BY ts DESC, seq DESC`, params: p.values };
    },
  };
}

/** One slice of a page: its time range and how many of its matches to skip and return. */
export interface PagePart {
  startMs: number;
  endMs: number;
  limit: number;
  offset: number;
}

function pageSql(p: SqlParams, tenantId: string, f: UsageFilter, part: PagePart): string {
  return `SELECT seq, id, event_type, metric_name, quantity, subscription_id, idempotency_key, ts, received_at, metadata, cost_nano,
      ${p.dialect.pricedAsInt('priced')} AS priced, price_source
    FROM usage_events WHERE ${eventsWhere(p, tenantId, f, part.startMs, part.endMs)} ORDER BY ts DESC, seq DESC LIMIT ${p.add(part.limit)} OFFSET ${p.add(part.offset)}`;
}

/** The reads of one dialect. */
export type UsageReads = ReturnType<typeof usageReads>;
