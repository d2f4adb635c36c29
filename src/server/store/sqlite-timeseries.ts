/**
 * The cost-report reads of the SQLite store (breakdown by any dimension, cost per time bucket),
 * behind the `/v1/cost-attribution/breakdown` and `/timeseries` routes and the dashboard. They scan
 * the raw events of the range on the (tenant_id, ts) index; `postgres-timeseries.ts` mirrors every
 * query so both engines answer identically. Pre-aggregated rollups can later back the same two
 * methods without any change to the routes.
 */
import type { AggregationWindow } from '../../protocol/types';
import type { CostDimension, CostSeriesRow, DimensionCostRow } from './cost-report-types';
import { SQLITE_DIALECT, SqlParams, type BuiltQuery } from './dialect';
import { SqliteUsage } from './sqlite-usage';
import { eventsWhere, WINDOW_MS } from './usage-sql';
import type { UsageFilter } from './store';

/** A string-valued metadata field, or NULL when absent or not a string. */
const metadataText = (key: string): string => `(CASE json_type(metadata, '$.${key}') WHEN 'text' THEN json_extract(metadata, '$.${key}') END)`;

/** SQL expression per dimension; a fixed map, so no user input ever reaches the SQL text. */
const DIMENSION_SQL: Record<CostDimension, string> = {
  agent_id: 'agent_id',
  workflow_id: 'workflow_id',
  model: metadataText('model'),
  provider: metadataText('provider'),
};

/** The WHERE clause over raw `usage_events` of a filter, from the shared query core. */
function rawEventsWhere(tenantId: string, filter: UsageFilter): BuiltQuery {
  const p = new SqlParams(SQLITE_DIALECT);
  return { sql: eventsWhere(p, tenantId, filter), params: p.values };
}

/** `SqliteUsage` plus the cost-report reads; the base of `SqliteStore`. Sums use TOTAL (see sqlite-usage.ts). */
export class SqliteTimeseries extends SqliteUsage {
  async dimensionCosts(tenantId: string, dimension: CostDimension, filter: UsageFilter): Promise<DimensionCostRow[]> {
    const { sql, params } = rawEventsWhere(tenantId, filter);
    return this.stmt(
      `SELECT ${DIMENSION_SQL[dimension]} AS value, TOTAL(cost_nano) AS costNanoUsd,
         TOTAL(CASE token_kind WHEN 'input' THEN quantity END) AS inputTokens,
         TOTAL(CASE token_kind WHEN 'output' THEN quantity END) AS outputTokens,
         TOTAL(CASE token_kind WHEN 'cache_read' THEN quantity END) AS cacheReadTokens,
         TOTAL(CASE token_kind WHEN 'cache_write' THEN quantity END) AS cacheWriteTokens,
         COUNT(*) AS eventCount, COALESCE(SUM(1 - priced), 0) AS unpricedEventCount
       FROM usage_events WHERE ${sql} GROUP BY 1`,
    ).all(...params) as DimensionCostRow[];
  }

  async costSeries(tenantId: string, dimension: CostDimension, bucket: AggregationWindow, filter: UsageFilter): Promise<CostSeriesRow[]> {
    const { sql, params } = rawEventsWhere(tenantId, filter);
    const size = WINDOW_MS[bucket];
    return this.stmt(
      `SELECT (ts / ${size}) * ${size} AS bucketStartMs, ${DIMENSION_SQL[dimension]} AS value, TOTAL(cost_nano) AS costNanoUsd
       FROM usage_events WHERE ${sql} GROUP BY 1, 2`,
    ).all(...params) as CostSeriesRow[];
  }
}
