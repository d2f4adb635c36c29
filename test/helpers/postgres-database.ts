import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL server the tests use: `BEARLUMEN_TEST_DATABASE_URL`, else `DATABASE_URL`.
 * `undefined` means "no Postgres here": Postgres tests skip with a message, except in CI.
 */
export const TEST_DATABASE_URL: string | undefined =
  nonEmpty(process.env['BEARLUMEN_TEST_DATABASE_URL']) ?? nonEmpty(process.env['DATABASE_URL']);

/** CI must not skip the Postgres tests silently: `CI=true` or `BEARLUMEN_REQUIRE_POSTGRES=1` turns a skip into a failure. */
export const POSTGRES_REQUIRED: boolean =
  isTruthy(process.env['CI']) || isTruthy(process.env['BEARLUMEN_REQUIRE_POSTGRES']);

const SKIP_MESSAGE =
  'PostgreSQL tests skipped: set DATABASE_URL (or BEARLUMEN_TEST_DATABASE_URL) to run them; ' +
  'see README "Running the PostgreSQL tests locally".';

const REQUIRED_MESSAGE =
  'PostgreSQL tests are required here (CI=true or BEARLUMEN_REQUIRE_POSTGRES=1) but neither DATABASE_URL nor ' +
  'BEARLUMEN_TEST_DATABASE_URL is set; .ci/run starts a throwaway cluster (scripts/pg-start.sh).';

let warned = false;

/**
 * Whether this file can run its Postgres tests. Call it at collection time, e.g.
 * `describe.skipIf(!hasPostgres())(…)`.
 * @throws {Error} when Postgres is required (CI) but no URL is set, so the file fails instead of skipping.
 */
export function hasPostgres(): boolean {
  if (TEST_DATABASE_URL !== undefined) return true;
  if (POSTGRES_REQUIRED) {
    throw new Error(REQUIRED_MESSAGE);
  }
  if (!warned) {
    warned = true;
    console.warn(SKIP_MESSAGE);
  }
  return false;
}

/** A private schema in the test database: tables created through `url` land in it and nowhere else. */
export interface TestSchema {
  /** The connection string with `search_path` pinned to the schema (libpq `options` parameter). */
  url: string;
  schema: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/**
 * Creates a fresh schema so that test files (and tests) running in parallel never share tables.
 * @throws {Error} when no test database is configured.
 */
export async function createTestSchema(label = 'test'): Promise<TestSchema> {
  const base = TEST_DATABASE_URL;
  if (base === undefined) throw new Error(POSTGRES_REQUIRED ? REQUIRED_MESSAGE : SKIP_MESSAGE);
  const schema = `bl_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase().slice(0, 30)}_${randomBytes(5).toString('hex')}`;
  await withAdminClient(base, (client) => client.query(`CREATE SCHEMA ${schema}`));
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    schema,
    drop: () => withAdminClient(base, (client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)).then(() => undefined),
  };
}

async function withAdminClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}
