/**
 * The help texts of `bearlumen` and its commands, and the usage error (printed with the usage, exit
 * code 2). Every command answers `--help`/`-h` with its text on stdout and exit code 0.
 */
import { DEFAULT_SERVER_TIMEOUTS } from '../connection-limits';

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';

const ENVIRONMENT = `Environment: BEARLUMEN_HOST, BEARLUMEN_PORT, BEARLUMEN_DB, BEARLUMEN_PRICES (price override file),
BEARLUMEN_PRICES_DATA (a genai-prices data.json used instead of the bundled prices),
BEARLUMEN_LOG_LEVEL (default warn), DATABASE_URL (use PostgreSQL instead of the SQLite file).`;

const t = DEFAULT_SERVER_TIMEOUTS;

/** `bearlumen serve --help`. */
export const SERVE_USAGE = `Usage: bearlumen serve [--host ${DEFAULT_HOST}] [--port ${DEFAULT_PORT}] [--db .bearlumen/bearlumen.db] [--retain-events-days N] [--prices-data FILE] [timeouts]

Runs the reference server. On the first start with an empty database it prints a development API key.
  --host HOST                 interface to bind (BEARLUMEN_HOST; default ${DEFAULT_HOST})
  --port N                    TCP port, 0 for a free one (BEARLUMEN_PORT; default ${DEFAULT_PORT})
  --db PATH                   SQLite file (BEARLUMEN_DB); without it DATABASE_URL selects PostgreSQL
  --retain-events-days N      delete raw events older than N >= 35 days hourly, keep the rollups
                              (BEARLUMEN_RETAIN_EVENTS_DAYS; default: keep every event)
  --prices-data FILE          genai-prices data.json used instead of the bundled prices (BEARLUMEN_PRICES_DATA)
  --connection-timeout MS     close a socket idle this long (BEARLUMEN_CONNECTION_TIMEOUT_MS; default ${t.connectionMs})
  --request-timeout MS        a whole request must arrive within MS, else 408 (BEARLUMEN_REQUEST_TIMEOUT_MS; default ${t.requestMs})
  --headers-timeout MS        its headers within MS, else 408 (BEARLUMEN_HEADERS_TIMEOUT_MS; default ${t.headersMs})
  --keep-alive-timeout MS     close an idle keep-alive socket after MS (BEARLUMEN_KEEP_ALIVE_TIMEOUT_MS; default ${t.keepAliveMs})

${ENVIRONMENT}`;

/** `bearlumen keys create --help`. */
export const KEYS_CREATE_USAGE = `Usage: bearlumen keys create [--db PATH] --tenant NAME

Creates the tenant if needed and a new API key for it. Prints only the key on stdout (capture it
with KEY=$(bearlumen keys create …)); its key id, which names it in logs, goes to stderr.`;

/** `bearlumen keys revoke --help`. */
export const KEYS_REVOKE_USAGE = `Usage: bearlumen keys revoke [--db PATH] --key KEY

Deletes the key: running servers on that database refuse it within one second.
Prints "revoked: key_…" (the key id, never the key) and exits 0, or "no such key" and exits 1.`;

/** `bearlumen keys --help`. */
export const KEYS_USAGE = `Usage:
  bearlumen keys create [--db PATH] --tenant NAME
  bearlumen keys revoke [--db PATH] --key KEY

--db defaults like serve's; DATABASE_URL selects PostgreSQL unless --db is given.
Run "bearlumen keys create --help" or "bearlumen keys revoke --help" for details.`;

/** `bearlumen prices --help`. */
export const PRICES_USAGE = `Usage: bearlumen prices MODEL [--provider P] [--at TIME] [--prices FILE] [--prices-data FILE] [--json]

Shows the price serve would apply to events for MODEL, per token kind, with its long-context tiers
and source, using the same override file (--prices, BEARLUMEN_PRICES) and data file (--prices-data,
BEARLUMEN_PRICES_DATA). --at is an ISO 8601 date-time (default now); --json prints the lookup as JSON.
Exits 1 when the model is unpriced (its events would cost 0).`;

/** `bearlumen --help`, and the text printed with a usage error. */
export const USAGE = `Usage:
  bearlumen serve [--host ${DEFAULT_HOST}] [--port ${DEFAULT_PORT}] [--db .bearlumen/bearlumen.db] [--prices-data FILE] [timeouts]
  bearlumen keys create --db PATH --tenant NAME
  bearlumen keys revoke --db PATH --key KEY
  bearlumen prices MODEL [--provider P] [--at TIME] [--prices FILE] [--prices-data FILE] [--json]
  bearlumen demo [--events N] [--db PATH] [--url URL --api-key KEY] [--seed N]
  bearlumen report --url URL --api-key KEY [--by agent|workflow|model|provider] [--range 7d]

Every command takes --help. ${ENVIRONMENT}`;

/** A usage error: printed with the usage text, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The usage text to print with it. */
    readonly usage: string = USAGE,
  ) {
    super(message);
  }
}

/** Whether the arguments ask for help (`--help` or `-h` anywhere). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

/** Print a help text on stdout (exit code 0). */
export function printHelp(text: string): void {
  process.stdout.write(`${text}\n`);
}
