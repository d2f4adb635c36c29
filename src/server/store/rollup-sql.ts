/**
 * The write side of rollups, written once for both engines: the dimension-set insert and the rollup
 * upsert (SQLite binds rows as a VALUES list, PostgreSQL as arrays through `unnest`; the conflict
 * rule is shared), the backfill read and the retention statements.
 */
import type { Dialect } from './dialect';
import type { RollupDelta, RollupDims } from './rollups';

/** Columns of a rollup row, in insert order (after tenant_id). */
export const ROLLUP_COLUMNS = [
  'grain', 'bucket', 'dim_id', 'event_count', 'quantity_sum', 'cost_sum', 'unpriced_count', 'quantity_min', 'quantity_max', 'ts_min', 'ts_max',
  // The dimension set's values, copied onto the row so reads filter and group without a join.
  'subscription_id', 'agent_id', 'workflow_id', 'model', 'provider', 'metric_name', 'event_type', 'token_kind',
] as const;

/** Columns of a dimension set, in insert order (after tenant_id). */
export const DIM_COLUMNS = ['dim_key', 'subscription_id', 'agent_id', 'workflow_id', 'model', 'provider', 'metric_name', 'event_type', 'token_kind'] as const;

/**
 * An existing row absorbs a delta: counts and sums add, minima and maxima widen. The time bounds of a
 * row written before they were kept are null (unknown) and stay null: widening them from the new
 * events alone would leave the row's older events outside.
 */
export function rollupConflictClause(d: Dialect): string {
  const add = (c: string): string => `${c} = usage_rollups.${c} + excluded.${c}`;
  const bound = (c: string, widen: string): string => `${c} = CASE WHEN usage_rollups.${c} IS NULL THEN NULL ELSE ${widen} END`;
  return `ON CONFLICT (tenant_id, grain, bucket, dim_id) DO UPDATE SET ${add('event_count')}, ${add('quantity_sum')}, ${add('cost_sum')},
    ${add('unpriced_count')}, quantity_min = ${d.least('usage_rollups.quantity_min', 'excluded.quantity_min')},
    quantity_max = ${d.greatest('usage_rollups.quantity_max', 'excluded.quantity_max')},
    ${bound('ts_min', d.least('usage_rollups.ts_min', 'excluded.ts_min'))}, ${bound('ts_max', d.greatest('usage_rollups.ts_max', 'excluded.ts_max'))}`;
}

/** The numbers of one rollup row, in `ROLLUP_COLUMNS` order (the columns before the dimension values). */
export function rollupNumbers(delta: RollupDelta, dimId: number): number[] {
  return [
    delta.grain, delta.bucket, dimId, delta.eventCount, delta.quantitySum, delta.costSum, delta.unpricedCount, delta.quantityMin, delta.quantityMax,
    delta.tsMin, delta.tsMax,
  ];
}

/** The values of one dimension set in `DIM_COLUMNS` order. */
export function dimValues(key: string, d: RollupDims): unknown[] {
  return [key, d.subscriptionId, d.agentId, d.workflowId, d.model, d.provider, d.metricName, d.eventType, d.tokenKind];
}

/**
 * SQLite: upsert `rows` rollup rows given as `?` parameters (the tenant first, then each row's
 * numbers, `rollupNumbers`). As on PostgreSQL, a new row's dimension values come from its
 * `usage_dims` set, not from parameters. (`WHERE true` keeps SQLite from reading the upsert's `ON`
 * as the join's.)
 */
export function sqliteRollupUpsert(d: Dialect, rows: number): string {
  const numbers = ROLLUP_NUMBER_COLUMNS.length;
  const one = `(${new Array<string>(numbers).fill('?').join(',')})`;
  const columns = ROLLUP_NUMBER_COLUMNS.map((_, i) => `v.column${i + 1}`).join(', ');
  const dims = ROLLUP_COLUMNS.slice(numbers).map((column) => `s.${column}`).join(', ');
  return `INSERT INTO usage_rollups (tenant_id, ${ROLLUP_COLUMNS.join(', ')})
    SELECT ?, ${columns}, ${dims}
    FROM (VALUES ${new Array<string>(rows).fill(one).join(',')}) v JOIN usage_dims s ON s.id = v.column3
    WHERE true
    ${rollupConflictClause(d)}`;
}

/** SQLite: insert one dimension set unless the tenant has it. */
export const SQLITE_DIM_INSERT = `INSERT INTO usage_dims (tenant_id, ${DIM_COLUMNS.join(', ')}) VALUES (${new Array<string>(DIM_COLUMNS.length + 1).fill('?').join(',')})
  ON CONFLICT (tenant_id, dim_key) DO NOTHING`;

/** The numeric columns of a rollup row (`ROLLUP_COLUMNS` up to the dimension values), with their PostgreSQL types. */
export const ROLLUP_NUMBER_COLUMNS = [
  ['grain', 'bigint'], ['bucket', 'bigint'], ['dim_id', 'bigint'], ['event_count', 'bigint'], ['quantity_sum', 'float8'], ['cost_sum', 'numeric'],
  ['unpriced_count', 'bigint'], ['quantity_min', 'float8'], ['quantity_max', 'float8'], ['ts_min', 'bigint'], ['ts_max', 'bigint'],
] as const;

/**
 * PostgreSQL: upsert rollup rows given as one array of numbers per column ($1 tenant, $2… arrays).
 * The dimension values are copied from the row's `usage_dims` set rather than sent: sending them took
 * eight text arrays per batch, escaped element by element (docs/benchmarks.md, "PostgreSQL ingest at
 * 10M events"). `ORDER BY` keeps the caller's row order, which is the lock order replicas agree on.
 */
export function postgresRollupUpsert(d: Dialect): string {
  const numbers = ROLLUP_NUMBER_COLUMNS.map(([column]) => `r.${column}`).join(', ');
  const dims = ROLLUP_COLUMNS.slice(ROLLUP_NUMBER_COLUMNS.length).map((column) => `s.${column}`).join(', ');
  const arrays = ROLLUP_NUMBER_COLUMNS.map(([, type], i) => `$${i + 2}::${type}[]`).join(', ');
  return `INSERT INTO usage_rollups (tenant_id, ${ROLLUP_COLUMNS.join(', ')})
    SELECT $1, ${numbers}, ${dims}
    FROM unnest(${arrays}) WITH ORDINALITY AS r(${ROLLUP_NUMBER_COLUMNS.map(([column]) => column).join(', ')}, ord)
    JOIN usage_dims s ON s.id = r.dim_id AND s.tenant_id = $1
    ORDER BY r.ord
    ${rollupConflictClause(d)}`;
}

/** PostgreSQL: insert dimension sets ($1 tenant, $2… arrays) unless the tenant has them. */
export const POSTGRES_DIM_INSERT = `INSERT INTO usage_dims (tenant_id, ${DIM_COLUMNS.join(', ')})
  SELECT $1, x.* FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
    AS x(${DIM_COLUMNS.join(', ')})
  ON CONFLICT (tenant_id, dim_key) DO NOTHING`;

/** Rows per backfill read. */
export const BACKFILL_CHUNK = 20_000;

/** Backfill: the next events after a `seq`, in insertion order (`RollupSourceRow` columns). */
export function backfillSelect(d: Dialect): string {
  return `SELECT seq, tenant_id, ts, quantity, cost_nano, priced, subscription_id, agent_id, workflow_id, metric_name, event_type,
      token_kind, metadata
    FROM usage_events WHERE seq > ${d.placeholder(1)} ORDER BY seq LIMIT ${BACKFILL_CHUNK}`;
}

/**
 * Retention: the instant before which raw events are gone (kept in `store_state`, so reads of the
 * event list count only what is still there). 0 when nothing was ever dropped.
 */
export const RETAINED_FROM_KEY = 'events_retained_from_ms';
