#!/usr/bin/env node
/**
 * The `bearlumen` command:
 *   bearlumen serve [--host 127.0.0.1] [--port 8080] [--db PATH] [--prices-data FILE]
 *                                                     (env BEARLUMEN_HOST, BEARLUMEN_PORT, BEARLUMEN_DB, BEARLUMEN_PRICES_DATA)
 *   bearlumen keys create --db PATH --tenant NAME                   (prints the new key on stdout only)
 *   bearlumen keys revoke --db PATH --key KEY                       (the key stops working within 1 s)
 *   bearlumen prices MODEL [--provider P] [--at TIME] [--prices FILE] [--prices-data FILE] [--json]
 *                                                     (exit 1 when the model is unpriced)
 *   bearlumen demo [...]
 * Only Node built-ins are imported statically, so a missing server dependency becomes a clear
 * "npm install …" message instead of a stack trace.
 */
import { parseArgs } from 'node:util';
import type * as ServerIndex from './index';

type ServerModule = typeof ServerIndex;

const SERVER_DEPS = 'fastify typebox @fastify/type-provider-typebox better-sqlite3 @pydantic/genai-prices';
const DEFAULT_PORT = 8080;
const DEFAULT_HOST = '127.0.0.1';

const USAGE = `Usage:
  bearlumen serve [--host ${DEFAULT_HOST}] [--port ${DEFAULT_PORT}] [--db .bearlumen/bearlumen.db] [--prices-data FILE]
  bearlumen keys create --db PATH --tenant NAME
  bearlumen keys revoke --db PATH --key KEY
  bearlumen prices MODEL [--provider P] [--at TIME] [--prices FILE] [--prices-data FILE] [--json]
  bearlumen demo

Environment: BEARLUMEN_HOST, BEARLUMEN_PORT, BEARLUMEN_DB, BEARLUMEN_PRICES (price override file),
BEARLUMEN_PRICES_DATA (a genai-prices data.json used instead of the bundled prices),
BEARLUMEN_LOG_LEVEL (default warn), DATABASE_URL (use PostgreSQL instead of the SQLite file).`;

/** A usage error: printed with the usage text, exit code 2. */
class UsageError extends Error {}

/** Load the server module, turning a missing dependency into the exact install command. */
async function loadServer(): Promise<ServerModule> {
  try {
    return await import('./index');
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const missing = /Cannot find (?:package|module) '([^']+)'/.exec(e.message)?.[1];
    if (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND' || /bindings file|better_sqlite3\.node/.test(e.message)) {
      const what = missing === undefined ? '' : ` (missing: ${missing})`;
      throw new Error(`bearlumen serve needs the server dependencies${what}. Install them with:\n  npm install ${SERVER_DEPS}`, { cause: error });
    }
    throw error;
  }
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer 0-65535 (got ${JSON.stringify(value)})`);
  return port;
}

/**
 * DATABASE_URL selects PostgreSQL (several replicas may share it), unless `--db` names a SQLite
 * file explicitly: a flag on the command line wins over the environment.
 */
function storeChoice(dbFlag: string | undefined, dbPath: string): { databaseUrl?: string; dbPath: string } {
  const databaseUrl = process.env['DATABASE_URL'];
  return dbFlag === undefined && databaseUrl !== undefined && databaseUrl !== '' ? { databaseUrl, dbPath } : { dbPath };
}

const urlOf = (host: string, port: number): string => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { host: { type: 'string' }, port: { type: 'string' }, db: { type: 'string' }, 'prices-data': { type: 'string' } }, strict: true });
  const server = await loadServer();
  const host = values.host ?? process.env['BEARLUMEN_HOST'] ?? DEFAULT_HOST;
  const port = parsePort(values.port ?? process.env['BEARLUMEN_PORT'] ?? String(DEFAULT_PORT));
  const dbPath = values.db ?? process.env['BEARLUMEN_DB'] ?? server.DEFAULT_SQLITE_PATH;

  const store = await server.createStore(storeChoice(values.db, dbPath));
  let app: Awaited<ReturnType<ServerModule['createServer']>> | undefined;
  try {
    const pricesData = values['prices-data'];
    app = await server.createServer({ store, logger: { level: process.env['BEARLUMEN_LOG_LEVEL'] ?? 'warn' }, ...(pricesData === undefined ? {} : { pricesData }) });
    await app.listen({ host, port });
  } catch (error) {
    // E.g. the port is taken or the price file is invalid: release the database (a PostgreSQL
    // pool would otherwise keep the process alive) and report.
    await (app === undefined ? store.close() : app.close());
    throw error;
  }
  // Only once listening, so a failed start never creates a key nobody was shown.
  const devKey = (await store.countApiKeys()) === 0 ? await server.createApiKey(store, 'default') : null;
  const address = app.server.address();
  const actualPort = address !== null && typeof address === 'object' ? address.port : port;
  const url = urlOf(host, actualPort);
  // One write, so a reader that sees the URL also sees the key.
  let banner = `bearlumen ${server.SERVER_VERSION} listening on ${url} (${store.kind === 'postgres' ? 'PostgreSQL from DATABASE_URL' : `database ${dbPath}`})\n`;
  if (devKey !== null) {
    banner += `Created a development API key for tenant "default" (shown only once):\n  BEARLUMEN_API_KEY=${devKey}\n`;
    banner += `Try: curl -H "Authorization: Bearer ${devKey}" ${url}/v1/end-users\n`;
  }
  process.stdout.write(banner);

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
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

/** `keys revoke`: delete a key's digest; a running server stops accepting it within its 1 s key cache. */
async function revokeKey(rest: string[]): Promise<void> {
  const { values } = parseArgs({ args: rest, options: { db: { type: 'string' }, key: { type: 'string' } }, strict: true });
  const key = values.key?.trim();
  if (key === undefined || key === '') throw new UsageError('--key KEY is required');
  const server = await loadServer();
  const store = await server.createStore(storeChoice(values.db, values.db ?? process.env['BEARLUMEN_DB'] ?? server.DEFAULT_SQLITE_PATH));
  try {
    const revoked = await store.revokeApiKey(server.hashApiKey(key));
    // Never echo the key itself: only its public prefix.
    process.stdout.write(`${revoked ? 'revoked' : 'no such key'}: ${key.slice(0, 12)}…\n`);
    if (!revoked) process.exitCode = 1;
  } finally {
    await store.close();
  }
}

async function keys(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  if (action === 'revoke') return revokeKey(rest);
  if (action !== 'create') throw new UsageError(`unknown keys action ${JSON.stringify(action ?? '')}; expected "keys create" or "keys revoke"`);
  const { values } = parseArgs({ args: rest, options: { db: { type: 'string' }, tenant: { type: 'string' } }, strict: true });
  if (values.tenant === undefined || values.tenant.trim() === '') throw new UsageError('--tenant NAME is required');
  const server = await loadServer();
  const store = await server.createStore(storeChoice(values.db, values.db ?? process.env['BEARLUMEN_DB'] ?? server.DEFAULT_SQLITE_PATH));
  try {
    process.stdout.write(`${await server.createApiKey(store, values.tenant.trim())}\n`);
  } finally {
    await store.close();
  }
}

/**
 * `prices MODEL`: the price `serve` would apply to events for MODEL, with the same override and data
 * files, per token kind with tiers and source; exit code 1 when it is unpriced.
 */
async function prices(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { provider: { type: 'string' }, at: { type: 'string' }, prices: { type: 'string' }, 'prices-data': { type: 'string' }, json: { type: 'boolean' } },
  });
  const model = positionals[0];
  if (model === undefined || model === '' || positionals.length > 1) throw new UsageError('prices needs exactly one MODEL, e.g. bearlumen prices gpt-4o-2024-08-06 --provider openai');
  const atMs = values.at === undefined ? Date.now() : Date.parse(values.at);
  if (Number.isNaN(atMs)) throw new UsageError(`--at must be an ISO 8601 date-time (got ${JSON.stringify(values.at)})`);
  const server = await loadServer();
  const pricer = server.Pricer.fromFile(values.prices ?? process.env['BEARLUMEN_PRICES'], values['prices-data'] ?? process.env['BEARLUMEN_PRICES_DATA']);
  const found = pricer.lookup(model, values.provider, atMs);
  if (!found.priced) process.exitCode = 1;
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
    return;
  }
  const who = `${found.model}${found.provider === null ? '' : ` (provider ${found.provider})`} at ${found.at}`;
  if (!found.priced) {
    process.stdout.write(`${who}: UNPRICED. Events for it would cost 0 and count as unpriced; add it to a --prices override file.\n`);
    return;
  }
  const lines = [`${who}: priced as ${found.matchedProvider ?? '?'}/${found.matchedModel ?? '?'} (USD per million tokens)`];
  for (const [kind, price] of Object.entries(found.prices)) {
    const tiers = price.tiers.map((t) => `, ${t.usdPerMillion} above ${t.aboveInputTokens} input tokens`).join('');
    lines.push(`  ${kind.padEnd(15)} ${String(price.usdPerMillion).padStart(8)}${tiers}   [${price.source}]`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'keys':
      return keys(rest);
    case 'prices':
      return prices(rest);
    case 'demo': {
      const demo = await import('./demo');
      return demo.runDemo(rest);
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`bearlumen: ${(error as Error).message}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`bearlumen: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
