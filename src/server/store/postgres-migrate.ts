/**
 * Applies the PostgreSQL migrations at start. Several replicas may start at once against one
 * database: a session advisory lock serialises them, so exactly one applies each step and the
 * others, once they get the lock, find nothing left to do.
 */
import type pg from 'pg';
import type { Migration } from './migrations/migration';

/**
 * The lock is keyed by the schema too, so servers on different schemas of one database (the tests
 * give every file its own) do not wait for each other.
 */
const LOCK_SQL = "SELECT pg_advisory_lock(hashtext('bearlumen.migrations'), hashtext(current_schema()))";
const UNLOCK_SQL = "SELECT pg_advisory_unlock(hashtext('bearlumen.migrations'), hashtext(current_schema()))";

/**
 * Apply every migration newer than the schema's recorded version, each in its own transaction,
 * while holding the migration lock.
 * @returns the schema version afterwards.
 * @throws {Error} when the search path names no existing schema, or a migration fails (that step
 *   is rolled back; earlier steps stay applied).
 */
export async function applyPostgresMigrations(pool: pg.Pool, migrations: readonly Migration<pg.PoolClient>[]): Promise<number> {
  const client = await pool.connect();
  try {
    const schema = await client.query<{ schema: string | null }>('SELECT current_schema() AS schema');
    if (schema.rows[0]?.schema == null) {
      throw new Error('PostgreSQL: the search_path names no existing schema; create it first (CREATE SCHEMA …) or fix the URL options');
    }
    await client.query(LOCK_SQL);
    await client.query(`CREATE TABLE IF NOT EXISTS bearlumen_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const done = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM bearlumen_migrations');
    let current = done.rows[0]?.version ?? 0;
    for (const m of migrations) {
      if (m.version <= current) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await m.after?.(client);
        await client.query('INSERT INTO bearlumen_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
      } catch (error) {
        throw new Error(`PostgreSQL migration ${m.version} (${m.name}) failed: ${(error as Error).message}`, { cause: error });
      }
      current = m.version;
    }
    await client.query(UNLOCK_SQL);
    client.release();
    return current;
  } catch (error) {
    // Destroying the connection rolls back any open transaction and drops the session lock, so a
    // failed start never leaves another replica waiting.
    client.release(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}
