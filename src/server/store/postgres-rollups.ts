/**
 * Rollup maintenance on PostgreSQL. Dimension sets are created before the ingest transaction (an
 * unused one is harmless, and replicas creating the same set meet on its unique key); the rollup
 * upsert runs inside it, one statement per batch, rows in a fixed order so that replicas adding to
 * the same rows lock them in the same order.
 */
import type pg from 'pg';
import { POSTGRES_DIALECT } from './dialect';
import { DIM_COLUMNS, POSTGRES_DIM_INSERT, ROLLUP_NUMBER_COLUMNS, backfillSelect, dimValues, postgresRollupUpsert, rollupNumbers } from './rollup-sql';
import { DimCache, checkRollupRows, rollupDeltas, rollupEventOf, unknownDims, type RollupDelta, type RollupEvent, type RollupSourceRow } from './rollups';

const UPSERT_SQL = postgresRollupUpsert(POSTGRES_DIALECT);
const DIM_SELECT_SQL = 'SELECT dim_key, id FROM usage_dims WHERE tenant_id = $1 AND dim_key = ANY($2::text[])';

type Db = pg.Pool | pg.PoolClient;

/** Rollup maintenance of one store (one dimension-id cache per process). */
export class PostgresRollups {
  readonly #cache = new DimCache();

  /** Make sure every dimension set of `deltas` has a committed id (cached). Runs outside the ingest transaction. */
  async prepare(db: Db, tenantId: string, deltas: readonly RollupDelta[]): Promise<void> {
    const missing = unknownDims(this.#cache, tenantId, deltas);
    if (missing.size === 0) return;
    const columns: unknown[][] = DIM_COLUMNS.map(() => []);
    for (const [key, dims] of missing) dimValues(key, dims).forEach((v, i) => (columns[i] as unknown[]).push(v));
    await db.query({ name: 'bearlumen_insert_dims', text: POSTGRES_DIM_INSERT, values: [tenantId, ...columns] });
    const { rows } = await db.query<{ dim_key: string; id: number }>({ name: 'bearlumen_select_dims', text: DIM_SELECT_SQL, values: [tenantId, [...missing.keys()]] });
    this.#cache.remember(tenantId, new Map(rows.map((r) => [r.dim_key, r.id])));
    if (rows.length !== missing.size) throw new Error(`usage_dims: ${missing.size - rows.length} dimension sets were not stored`);
  }

  /** Add the deltas (dimension ids prepared) to the rollups; one statement. */
  async add(client: pg.PoolClient, tenantId: string, deltas: readonly RollupDelta[]): Promise<void> {
    await this.upsert(client, this.upsertValues(tenantId, deltas));
  }

  /** The parameters of the upsert of `deltas` (dimension ids prepared), or null when there is nothing to add. */
  upsertValues(tenantId: string, deltas: readonly RollupDelta[]): RollupUpsert | null {
    if (deltas.length === 0) return null;
    const columns: number[][] = ROLLUP_NUMBER_COLUMNS.map(() => []);
    for (const delta of deltas) {
      const id = this.#cache.get(tenantId, delta.dimKey);
      if (id === undefined) throw new Error('rollup dimension set used before it was prepared');
      rollupNumbers(delta, id).forEach((v, i) => (columns[i] as number[]).push(v));
    }
    return { rows: deltas.length, values: [tenantId, ...columns.map(numberArray)] };
  }

  /** Run the upsert whose parameters `upsertValues` built. */
  async upsert(client: pg.PoolClient, upsert: RollupUpsert | null): Promise<void> {
    if (upsert === null) return;
    const { rowCount } = await client.query({ name: 'bearlumen_upsert_rollups', text: UPSERT_SQL, values: upsert.values });
    checkRollupRows(this.#cache, rowCount ?? 0, upsert.rows);
  }
}

/** The parameters of one rollup upsert and how many rows it must insert or update. */
export interface RollupUpsert {
  rows: number;
  values: string[];
}

/**
 * A PostgreSQL array literal of numbers. JavaScript prints each as the shortest text that reads back
 * as the same double, as node-postgres would, without its per-element quoting and escaping.
 */
function numberArray(values: readonly number[]): string {
  return `{${values.join(',')}}`;
}

/** Migration 3's data step: add every stored event to the (empty) rollups, in insertion order. */
export async function backfillPostgresRollups(client: pg.PoolClient): Promise<void> {
  const rollups = new PostgresRollups();
  const next = backfillSelect(POSTGRES_DIALECT);
  let after = 0;
  for (;;) {
    const { rows } = await client.query<RollupSourceRow>(next, [after]);
    if (rows.length === 0) return;
    const byTenant = new Map<string, RollupEvent[]>();
    for (const row of rows) {
      let list = byTenant.get(row.tenant_id);
      if (list === undefined) byTenant.set(row.tenant_id, (list = []));
      list.push(rollupEventOf(row));
    }
    for (const [tenantId, events] of byTenant) {
      const deltas = rollupDeltas(events);
      await rollups.prepare(client, tenantId, deltas);
      await rollups.add(client, tenantId, deltas);
    }
    after = (rows[rows.length - 1] as RollupSourceRow).seq;
  }
}
