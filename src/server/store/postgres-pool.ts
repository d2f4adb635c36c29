/**
 * Connection plumbing of the PostgreSQL store: a pool whose numbers come back as JS numbers (the
 * Store contract speaks numbers, as better-sqlite3 does), transactions, and the errors worth a retry.
 */
import pg from 'pg';

/** Type OIDs that node-postgres returns as strings by default: BIGINT (COUNT, epoch ms, nano-USD) and NUMERIC (SUM of BIGINT). */
const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Per-pool parsers, so the global `pg.types` of the host application is left alone. Values beyond
 * 2^53 lose precision exactly as they do through better-sqlite3 without `safeIntegers`.
 */
const NUMERIC_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID || oid === NUMERIC_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** Options of the PostgreSQL connection pool. */
export interface PostgresPoolOptions {
  /** A libpq connection URL, e.g. `postgres://user:pass@host:5432/db`. `?options=-c search_path=…` selects a schema. */
  connectionString: string;
  /**
   * Most connections this process opens. Each replica holds up to this many, so keep
   * `replicas × poolSize` below the server's `max_connections`.
   * @default 10
   */
  poolSize?: number;
  /** Called when an idle connection fails (e.g. the server restarted). @default a process warning */
  onIdleError?: (error: Error) => void;
}

/** Create the pool. Connections open lazily; the first query reports an unreachable server. */
export function createPool(options: PostgresPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: withSessionSettings(options.connectionString),
    max: options.poolSize ?? 10,
    types: NUMERIC_TYPES,
    application_name: 'bearlumen',
    connectionTimeoutMillis: 10_000,
  });
  // Without a listener, an idle client's error (server restart, network cut) would crash the process.
  const onIdleError = options.onIdleError ?? ((error: Error) => process.emitWarning(`PostgreSQL idle connection error: ${error.message}`));
  pool.on('error', onIdleError);
  return pool;
}

/**
 * Session settings, as libpq startup `options` of the URL (no extra round trip; a `search_path`
 * given there is kept):
 * - `jit=off` first, so a URL that asks for JIT keeps it. The store's reads are short (rollup rows
 *   and at most a few hours of raw events), but their estimated cost passes the JIT thresholds, and
 *   compiling a filtered page's statement took 1.4 s of its 1.5 s at 10M events
 *   (docs/benchmarks.md, "JIT").
 * - `extra_float_digits=3` last, so nothing overrides it. Doubles must come back bit-exact: duplicate
 *   detection compares quantities with ===, and sums must equal SQLite's. Any value > 0 gives
 *   shortest-exact output on PostgreSQL >= 12 (17 digits before); a server or role configured with 0
 *   would round to 15 digits.
 */
export function withSessionSettings(connectionString: string): string {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return connectionString; // not a URL (e.g. a socket path): pg parses it as it is
  }
  const given = url.searchParams.get('options');
  url.searchParams.set('options', ['-c jit=off', given, '-c extra_float_digits=3'].filter((o) => o !== null && o.trim() !== '').join(' '));
  return url.toString();
}

/**
 * Run `work` in one transaction on one pooled connection. It commits when `shouldCommit(result)`
 * is true and rolls back otherwise (or when `work` throws, rethrowing the error).
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  shouldCommit: (result: T) => boolean = () => true,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query(shouldCommit(result) ? 'COMMIT' : 'ROLLBACK');
    client.release();
    return result;
  } catch (error) {
    // An error the server reported (a unique violation, a deadlock) leaves the connection in a known
    // state: roll back and keep it (opening a new one costs the server a process). Any other error
    // may leave it anywhere: destroying it rolls the transaction back server-side, and it never goes
    // back to the pool.
    if (isServerError(error) && (await client.query('ROLLBACK').then(() => true, () => false))) client.release();
    else client.release(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}

/** An error the server sent (an ErrorResponse: severity and a five-character SQLSTATE), not one of the connection or of this process. */
function isServerError(error: unknown): boolean {
  const e = error as { code?: unknown; severity?: unknown } | null;
  return typeof e?.severity === 'string' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code);
}

/** SQLSTATEs after which the whole transaction may simply run again: serialization failure, deadlock. */
export function isRetryableTransactionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40001' || code === '40P01';
}

/** The URL without its password, for messages. */
export function redactUrl(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return '(unparsable connection string)';
  }
}
