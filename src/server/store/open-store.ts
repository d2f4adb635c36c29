/**
 * Picks and opens the store engine: PostgreSQL when a database URL is given (several replicas can
 * share it), otherwise the embedded SQLite file. Each engine is loaded only when chosen, so an
 * install without `pg` (or without `better-sqlite3`) works as long as that engine is not asked for.
 */
import { isMissingPackage, StoreDriverMissingError } from './driver';
import type { Store } from './store';

/** How `createStore` chooses and opens its engine. */
export interface StoreOptions {
  /**
   * A PostgreSQL URL (`postgres://user:pass@host:5432/db`). When set, PostgreSQL is used and
   * `dbPath` is ignored. `bearlumen serve` passes `DATABASE_URL` here.
   */
  databaseUrl?: string | undefined;
  /**
   * SQLite file, or `:memory:`.
   * @default '.bearlumen/bearlumen.db'
   */
  dbPath?: string | undefined;
  /**
   * Most PostgreSQL connections of this process (each replica opens up to this many).
   * @default the BEARLUMEN_PG_POOL_SIZE environment variable, else 10
   */
  poolSize?: number | undefined;
}

export { StoreDriverMissingError } from './driver';

/**
 * Open the store the options ask for, migrated and ready.
 * @throws {StoreDriverMissingError} when the engine's driver (`pg` or `better-sqlite3`) is not installed.
 * @throws {Error} when the database cannot be reached or migrated (the URL's password is redacted),
 *   or BEARLUMEN_PG_POOL_SIZE is not an integer from 1 to 1000.
 */
export async function createStore(options: StoreOptions = {}): Promise<Store> {
  const databaseUrl = options.databaseUrl?.trim();
  if (databaseUrl) {
    const { PostgresStore } = await loadEngine(() => import('./postgres'), 'pg', 'DATABASE_URL is set, so the server uses PostgreSQL');
    const poolSize = options.poolSize ?? poolSizeFromEnv();
    return PostgresStore.open({ connectionString: databaseUrl, ...(poolSize === undefined ? {} : { poolSize }) });
  }
  // better-sqlite3 loads inside SqliteStore.open(), which names the package when it is missing.
  const { SqliteStore } = await import('./sqlite');
  return SqliteStore.open(options.dbPath);
}

/** `BEARLUMEN_PG_POOL_SIZE`, validated: an integer 1–1000. */
function poolSizeFromEnv(): number | undefined {
  const raw = process.env['BEARLUMEN_PG_POOL_SIZE'];
  if (raw === undefined || raw.trim() === '') return undefined;
  const size = Number(raw);
  if (!Number.isInteger(size) || size < 1 || size > 1000) {
    throw new Error(`BEARLUMEN_PG_POOL_SIZE must be an integer from 1 to 1000 (got ${JSON.stringify(raw)})`);
  }
  return size;
}

async function loadEngine<T>(load: () => Promise<T>, driver: string, why: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isMissingPackage(error, driver)) {
      throw new StoreDriverMissingError(`${why}, which needs the '${driver}' package: npm install ${driver}`, { cause: error });
    }
    throw error;
  }
}
