/**
 * `bearlumen serve`: open the store, listen, print the URL (and a development key on an empty
 * database), close gracefully on the first SIGTERM/SIGINT and at once on the second.
 */
import { parseArgs } from 'node:util';
import type { ServerTimeouts } from '../connection-limits';
import { loadServer, storeChoice, type ServerModule } from './load-server';
import { DEFAULT_HOST, DEFAULT_PORT, printHelp, SERVE_USAGE, UsageError, wantsHelp } from './usage';

/** Each timeout's flag and environment variable (milliseconds). */
const TIMEOUT_FLAGS = [
  ['connectionMs', 'connection-timeout', 'BEARLUMEN_CONNECTION_TIMEOUT_MS'],
  ['requestMs', 'request-timeout', 'BEARLUMEN_REQUEST_TIMEOUT_MS'],
  ['headersMs', 'headers-timeout', 'BEARLUMEN_HEADERS_TIMEOUT_MS'],
  ['keepAliveMs', 'keep-alive-timeout', 'BEARLUMEN_KEEP_ALIVE_TIMEOUT_MS'],
] as const;

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer 0-65535 (got ${JSON.stringify(value)})`, SERVE_USAGE);
  return port;
}

/** The timeouts given by flag or environment (a flag wins); the server fills in the rest. */
function parseTimeouts(values: Record<string, string | boolean | undefined>): Partial<ServerTimeouts> {
  const timeouts: Partial<ServerTimeouts> = {};
  for (const [field, flag, envName] of TIMEOUT_FLAGS) {
    const fromFlag = values[flag];
    const raw = typeof fromFlag === 'string' ? fromFlag : process.env[envName];
    if (raw === undefined || raw === '') continue;
    const ms = Number(raw.replace(/_/g, ''));
    const source = typeof fromFlag === 'string' ? `--${flag}` : envName;
    if (!Number.isSafeInteger(ms) || ms < 0) throw new UsageError(`${source} must be an integer number of milliseconds >= 0 (got ${JSON.stringify(raw)})`, SERVE_USAGE);
    timeouts[field] = ms;
  }
  return timeouts;
}

const urlOf = (host: string, port: number): string => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

/** `bearlumen serve`; `argv` are the arguments after `serve`. Resolves once listening. */
export async function serve(argv: string[]): Promise<void> {
  if (wantsHelp(argv)) return printHelp(SERVE_USAGE);
  const timeoutOptions = Object.fromEntries(TIMEOUT_FLAGS.map(([, flag]) => [flag, { type: 'string' as const }]));
  const { values } = parseArgs({
    args: argv,
    options: { host: { type: 'string' }, port: { type: 'string' }, db: { type: 'string' }, 'retain-events-days': { type: 'string' }, 'prices-data': { type: 'string' }, ...timeoutOptions },
    strict: true,
  });
  const host = typeof values.host === 'string' ? values.host : (process.env['BEARLUMEN_HOST'] ?? DEFAULT_HOST);
  const port = parsePort(typeof values.port === 'string' ? values.port : (process.env['BEARLUMEN_PORT'] ?? String(DEFAULT_PORT)));
  const timeouts = parseTimeouts(values);
  const dbFlag = typeof values.db === 'string' ? values.db : undefined;
  const pricesDataFlag = values['prices-data'];
  const pricesData = typeof pricesDataFlag === 'string' ? pricesDataFlag : process.env['BEARLUMEN_PRICES_DATA'];
  const server = await loadServer();
  const dbPath = dbFlag ?? process.env['BEARLUMEN_DB'] ?? server.DEFAULT_SQLITE_PATH;
  const retainFlag = values['retain-events-days'];
  let retainEventsDays: number | undefined;
  try {
    if (typeof retainFlag === 'string') retainEventsDays = server.parseRetainEventsDays(retainFlag, '--retain-events-days');
  } catch (error) {
    throw new UsageError((error as Error).message, SERVE_USAGE);
  }

  const store = await server.createStore(storeChoice(dbFlag, dbPath));
  let app: Awaited<ReturnType<ServerModule['createServer']>> | undefined;
  try {
    app = await server.createServer({
      store,
      timeouts,
      logger: { level: process.env['BEARLUMEN_LOG_LEVEL'] ?? 'warn' },
      ...(retainEventsDays === undefined ? {} : { retainEventsDays }),
      ...(pricesData === undefined ? {} : { pricesData }),
    });
    await app.listen({ host, port });
  } catch (error) {
    // E.g. the port is taken or the price file is invalid: release the database (a PostgreSQL
    // pool would otherwise keep the process alive) and report.
    await (app === undefined ? store.close() : app.close());
    if (error instanceof TypeError && error.message.startsWith('timeouts.')) throw new UsageError(error.message, SERVE_USAGE);
    throw error;
  }
  // Only once listening, so a failed start never creates a key nobody was shown.
  const devKey = (await store.countApiKeys()) === 0 ? await server.createApiKey(store, 'default') : null;
  const address = app.server.address();
  const actualPort = address !== null && typeof address === 'object' ? address.port : port;
  const url = urlOf(host, actualPort);
  // One write, so a reader that sees the URL also sees the key.
  let banner = `bearlumen ${server.SERVER_VERSION} listening on ${url} (${store.kind === 'postgres' ? 'PostgreSQL from DATABASE_URL' : `database ${dbPath}`})\n`;
  banner += `Dashboard: ${url}/ (sign in with an API key)\n`;
  if (devKey !== null) {
    banner += `Created a development API key ${server.apiKeyId(devKey)} for tenant "default" (shown only once):\n  BEARLUMEN_API_KEY=${devKey}\n`;
    banner += `Try: curl -H "Authorization: Bearer ${devKey}" ${url}/v1/end-users\n`;
  }
  // Before the banner: a supervisor (or test) that signals as soon as it reads the URL must meet the
  // graceful handler, not Node's default of dying with the signal.
  closeOnSignals(app);
  process.stdout.write(banner);
  if (store.kind === 'postgres' && !(await canImport('pg-copy-streams'))) {
    process.stderr.write('bearlumen: pg-copy-streams is not installed, so new events are stored with INSERT instead of COPY (about a third slower); npm install pg-copy-streams\n');
  }
}

/** Whether an optional package can be loaded. */
async function canImport(name: string): Promise<boolean> {
  try {
    await import(name);
    return true;
  } catch {
    return false;
  }
}

/** The first SIGTERM/SIGINT closes the app gracefully (exit code 0); a second one exits at once with 1. */
function closeOnSignals(app: { close(): Promise<unknown> }): void {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (closing) {
      process.stderr.write(`bearlumen: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    closing = true;
    process.stderr.write(`bearlumen: ${signal} received, closing\n`);
    app.close().then(
      () => {
        process.exitCode = 0;
      },
      (error: unknown) => {
        process.stderr.write(`bearlumen: error while closing: ${String(error)}\n`);
        process.exitCode = 1;
      },
    );
  };
  // `on`, not `once`: the second signal must reach the handler too, not kill the process by default.
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
