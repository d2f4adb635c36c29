/**
 * The cost-report reads of the PostgreSQL store; each query mirrors `sqlite-timeseries.ts` (see
 * there) so both engines answer identically: float sums use `bearlumen_total` (SQLite's compensated
 * TOTAL), integer nano-USD sums are exact, BIGINT/NUMERIC come back as JS numbers.
 */
import type { AggregationWindow } from '../../protocol/types';
import type { CostDimension, CostSeriesRow, DimensionCostRow } from './cost-report-types';
import { POSTGRES_DIALECT, SqlParams, type BuiltQuery } from './dialect';
import { PostgresUsage } from './postgres-usage';
import { eventsWhere, WINDOW_MS } from './usage-sql';
import type { UsageFilter } from './store';

/**
 * The metadata JSON text as `json`. PostgreSQL refuses to parse a document holding the escapes
 * `\u0000` or a lone surrogate (`\ud800`) anywhere, and both are valid JSON the server accepts in
 * metadata; they are replaced by `\ufffd` first, so one such event cannot break a tenant's report.
 * Only rows that hold such an escape pay for the regexp_replace.
 */
const METADATA_JSON = `(CASE WHEN metadata ~ '\\\\u(0000|[dD][89a-fA-F])'
  THEN regexp_replace(metadata, '\\\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})', '\\\\ufffd', 'g') ELSE metadata END)::json`;

/** A string-valued metadata field, or NULL when absent or not a string (metadata is stored as JSON text). */
const metadataText = (key: string): string => `(CASE WHEN json_typeof(${METADATA_JSON} -> '${key}') = 'string' THEN ${METADATA_JSON} ->> '${key}' END)`;

/** SQL expression per dimension; a fixed map, so no user input ever reaches the SQL text. */
const DIMENSION_SQL: Record<CostDimension, string> = {
  agent_id: 'agent_id',
  workflow_id: 'workflow_id',
  model: metadataText('model'),
  provider: metadataText('provider'),
};

/** The WHERE clause over raw `usage_events` of a filter, from the shared query core. */
function rawEventsWhere(tenantId: string, filter: UsageFilter): BuiltQuery {
  const p = new SqlParams(POSTGRES_DIALECT);
  return { sql: eventsWhere(p, tenantId, filter), params: p.values };
}

/** `PostgresUsage` plus the cost-report reads; the base of `PostgresStore`. */
export class PostgresTimeseries extends PostgresUsage {
  async dimensionCosts(tenantId: string, dimension: CostDimension, filter: UsageFilter): Promise<DimensionCostRow[]> {
    const { sql, params } = rawEventsWhere(tenantId, filter);
    const rows = await this.pool.query<DimensionCostRow>(
      `SELECT ${DIMENSION_SQL[dimension]} AS value, COALESCE(SUM(cost_nano), 0) AS "costNanoUsd",
         COALESCE(bearlumen_total(quantity) FILTER (WHERE token_kind = 'input'), 0) AS "inputTokens",
         COALESCE(bearlumen_total(quantity) FILTER (WHERE token_kind = 'output'), 0) AS "outputTokens",
         COALESCE(bearlumen_total(quantity) FILTER (WHERE token_kind = 'cache_read'), 0) AS "cacheReadTokens",
         COALESCE(bearlumen_total(quantity) FILTER (WHERE token_kind = 'cache_write'), 0) AS "cacheWriteTokens",
         COUNT(*) AS "eventCount", COUNT(*) FILTER (WHERE NOT priced) AS "unpricedEventCount"
       FROM usage_events WHERE ${sql} GROUP BY 1`,
      params,
    );
    return rows.rows;
  }

  async costSeries(tenantId: string, dimension: CostDimension, bucket: AggregationWindow, filter: UsageFilter): Promise<CostSeriesRow[]> {
    const { sql, params } = rawEventsWhere(tenantId, filter);
    const size = WINDOW_MS[bucket];
    const rows = await this.pool.query<CostSeriesRow>(
      `SELECT (ts / ${size}) * ${size} AS "bucketStartMs", ${DIMENSION_SQL[dimension]} AS value, SUM(cost_nano) AS "costNanoUsd"
       FROM usage_events WHERE ${sql} GROUP BY 1, 2`,
      params,
    );
    return rows.rows;
  }
}
