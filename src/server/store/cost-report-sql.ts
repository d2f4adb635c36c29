/**
 * The cost-report reads (`Store.dimensionCosts`, `Store.costSeries`: the breakdown and time-series
 * routes behind the dashboard and `bearlumen report`), written once for both engines over the row
 * source of `usage-sql.ts`: rollup rows for the whole hours and days of the range, raw events only at
 * the ragged edges. So they answer over days whose raw events retention has dropped, and their cost
 * grows with the number of buckets and dimension sets, not events (docs/dashboard.md, "How the
 * figures are read").
 *
 * Model and provider: rollup rows carry them as ingest keyed them (`modelAndProvider` in rollups.ts),
 * the raw edges read them from the event's metadata. The model's rule (a non-empty string) is one
 * SQL expression. The provider is trimmed and lower-cased by JavaScript's Unicode rules, which neither
 * engine's SQL reproduces exactly, so the raw edges yield it as sent and `finish…` below normalises it
 * with the very function ingest uses (`normalisedProvider`) and merges the groups that then meet.
 */
import type { AggregationWindow } from '../../protocol/types';
import type { CostDimension, CostSeriesRow, DimensionCostRow } from './cost-report-types';
import { SqlParams, type BuiltQuery, type Dialect } from './dialect';
import { DAY_MS, HOUR_MS, normalisedProvider } from './rollups';
import { rowSource, WINDOW_MS, type ValueColumn } from './usage-sql';
import type { UsageFilter } from './store';

/** Each dimension on both kinds of branch; fixed SQL text, so no user input ever reaches it. */
function valueColumn(d: Dialect, dimension: CostDimension): ValueColumn {
  switch (dimension) {
    case 'agent_id':
      return { events: 'agent_id', rollups: 'agent_id' };
    case 'workflow_id':
      return { events: 'workflow_id', rollups: 'workflow_id' };
    case 'model':
      return { events: `NULLIF(${d.metadataText('model')}, '')`, rollups: 'model' };
    case 'provider':
      return { events: d.metadataText('provider'), rollups: 'provider' };
  }
}

/** The cost-report reads, built for one dialect; pass their rows through `finishDimensionCosts` / `finishCostSeries`. */
export function costReportReads(d: Dialect) {
  const tokens = (kind: string): string => d.tokenSum(`CASE WHEN token_kind = '${kind}' THEN q END`);
  return {
    /** Cost, tokens by kind, events and unpriced events per value of the dimension (unsorted, the null group included). */
    dimensionCosts(tenantId: string, dimension: CostDimension, f: UsageFilter): BuiltQuery {
      const p = new SqlParams(d);
      const from = rowSource(d, p, tenantId, f, DAY_MS, valueColumn(d, dimension));
      const sql = `SELECT v AS value, ${d.costSum('cost')} AS "costNanoUsd", ${tokens('input')} AS "inputTokens",
          ${tokens('output')} AS "outputTokens", ${tokens('cache_read')} AS "cacheReadTokens", ${tokens('cache_write')} AS "cacheWriteTokens",
          SUM(n) AS "eventCount", COALESCE(SUM(u), 0) AS "unpricedEventCount"
        FROM ${from} GROUP BY v`;
      return { sql, params: p.values };
    },

    /**
     * Cost per UTC bucket per value of the dimension, non-empty cells only. Hourly series read hour
     * rows; daily series read day rows for the whole UTC days of the range and hour rows for the rest.
     */
    costSeries(tenantId: string, dimension: CostDimension, bucket: AggregationWindow, f: UsageFilter): BuiltQuery {
      const p = new SqlParams(d);
      const size = WINDOW_MS[bucket];
      const from = rowSource(d, p, tenantId, f, bucket === 'HOUR' ? HOUR_MS : DAY_MS, valueColumn(d, dimension));
      const sql = `SELECT (t / ${size}) * ${size} AS "bucketStartMs", v AS value, ${d.costSum('cost')} AS "costNanoUsd"
        FROM ${from} GROUP BY 1, 2`;
      return { sql, params: p.values };
    },
  };
}

/** Rows keyed by `keyOf` summed into one per key (copies; the input is left as it is). */
function mergeGroups<R>(rows: readonly R[], keyOf: (row: R) => string, add: (into: R, row: R) => void): R[] {
  const merged = new Map<string, R>();
  for (const row of rows) {
    const key = keyOf(row);
    const into = merged.get(key);
    if (into === undefined) merged.set(key, { ...row });
    else add(into, row);
  }
  return [...merged.values()];
}

/** The rows of `dimensionCosts`: by provider, raw edge values normalised like the rollups' and merged. */
export function finishDimensionCosts(dimension: CostDimension, rows: DimensionCostRow[]): DimensionCostRow[] {
  if (dimension !== 'provider') return rows;
  const normalised = rows.map((r) => ({ ...r, value: normalisedProvider(r.value) }));
  return mergeGroups(normalised, (r) => JSON.stringify(r.value), (into, r) => {
    into.costNanoUsd += r.costNanoUsd;
    into.inputTokens += r.inputTokens;
    into.outputTokens += r.outputTokens;
    into.cacheReadTokens += r.cacheReadTokens;
    into.cacheWriteTokens += r.cacheWriteTokens;
    into.eventCount += r.eventCount;
    into.unpricedEventCount += r.unpricedEventCount;
  });
}

/** The rows of `costSeries`: by provider, raw edge values normalised like the rollups' and merged per bucket. */
export function finishCostSeries(dimension: CostDimension, rows: CostSeriesRow[]): CostSeriesRow[] {
  if (dimension !== 'provider') return rows;
  const normalised = rows.map((r) => ({ ...r, value: normalisedProvider(r.value) }));
  return mergeGroups(normalised, (r) => `${r.bucketStartMs} ${JSON.stringify(r.value)}`, (into, r) => {
    into.costNanoUsd += r.costNanoUsd;
  });
}
