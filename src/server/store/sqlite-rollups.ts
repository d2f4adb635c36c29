/**
 * Rollup maintenance on SQLite: called inside the ingest transaction with the newly stored events
 * (never duplicates), and by migration 3 to build the rollups of an existing database.
 */
import type Database from 'better-sqlite3';
import { SQLITE_DIALECT } from './dialect';
import { SQLITE_DIM_INSERT, backfillSelect, dimValues, rollupNumbers, sqliteRollupUpsert } from './rollup-sql';
import { DimCache, checkRollupRows, rollupDeltas, rollupEventOf, unknownDims, type RollupEvent, type RollupSourceRow } from './rollups';

/** Rollup rows per upsert statement (11 parameters each). */
const UPSERT_CHUNK = 50;

/** Adds events to the rollups of one connection. */
export interface SqliteRollupWriter {
  /**
   * Add newly stored events of a tenant; run inside the transaction that stores them. Returns the
   * dimension ids it created, to hand to `remember` once that transaction has committed.
   */
  add(tenantId: string, events: Iterable<RollupEvent>): Map<string, number>;
  /** Cache ids created by `add` after their transaction committed. */
  remember(tenantId: string, ids: ReadonlyMap<string, number>): void;
}

/** Build the writer for a connection (statements are prepared once). */
export function createSqliteRollupWriter(db: Database.Database): SqliteRollupWriter {
  const cache = new DimCache();
  const insertDim = db.prepare(SQLITE_DIM_INSERT);
  const selectDim = db.prepare('SELECT id FROM usage_dims WHERE tenant_id = ? AND dim_key = ?').pluck();
  const upserts = new Map<number, Database.Statement>();
  const upsert = (rows: number): Database.Statement => {
    let st = upserts.get(rows);
    if (st === undefined) {
      st = db.prepare(sqliteRollupUpsert(SQLITE_DIALECT, rows));
      upserts.set(rows, st);
    }
    return st;
  };
  return {
    add(tenantId, events) {
      const deltas = rollupDeltas(events);
      const created = new Map<string, number>();
      for (const [key, dims] of unknownDims(cache, tenantId, deltas)) {
        insertDim.run(tenantId, ...dimValues(key, dims));
        created.set(key, selectDim.get(tenantId, key) as number);
      }
      for (let start = 0; start < deltas.length; start += UPSERT_CHUNK) {
        const chunk = deltas.slice(start, start + UPSERT_CHUNK);
        const params: unknown[] = [tenantId];
        for (const delta of chunk) {
          const id = cache.get(tenantId, delta.dimKey) ?? (created.get(delta.dimKey) as number);
          params.push(...rollupNumbers(delta, id));
        }
        checkRollupRows(cache, upsert(chunk.length).run(...params).changes, chunk.length);
      }
      return created;
    },
    remember: (tenantId, ids) => cache.remember(tenantId, ids),
  };
}

/** Migration 3's data step: add every stored event to the (empty) rollups, in insertion order. */
export function backfillSqliteRollups(db: Database.Database): void {
  const writer = createSqliteRollupWriter(db);
  const next = db.prepare(backfillSelect(SQLITE_DIALECT));
  let after = 0;
  for (;;) {
    const rows = next.all(after) as RollupSourceRow[];
    if (rows.length === 0) return;
    const byTenant = new Map<string, RollupEvent[]>();
    for (const row of rows) {
      let list = byTenant.get(row.tenant_id);
      if (list === undefined) byTenant.set(row.tenant_id, (list = []));
      list.push(rollupEventOf(row));
    }
    // The migration runs in one transaction, so the ids are as good as committed for this writer.
    for (const [tenantId, events] of byTenant) writer.remember(tenantId, writer.add(tenantId, events));
    after = (rows[rows.length - 1] as RollupSourceRow).seq;
  }
}
