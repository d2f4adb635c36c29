/**
 * `bearlumen demo`: starts the reference server on the embedded SQLite file (or uses `--url`), then runs
 * the LLM-gateway workload of src/demo/ through the SDK and prints cost by agent and by workflow.
 * The one place where server and SDK meet: the workload itself only uses the public SDK entry.
 */
import { parseArgs } from 'node:util';
import { runWorkload } from '../demo/run-workload';
import { dashboardHint } from './dashboard-hint';

const DEFAULT_EVENTS = 100_000;
const MAX_EVENTS = 10_000_000;

const HELP = `Usage: bearlumen demo [--events N] [--db PATH] [--url URL --api-key KEY] [--seed N]

Starts a local server on SQLite (default .bearlumen/bearlumen.db), records N LLM token events
(default ${DEFAULT_EVENTS}) through the SDK's usage.record(), and prints cost by agent and by workflow.
  --events N      events to record, 1-${MAX_EVENTS}
  --db PATH       SQLite file of the local server (BEARLUMEN_DB)
  --url URL       use a running server instead of starting one (needs --api-key or BEARLUMEN_API_KEY)
  --api-key KEY   API key for --url
  --seed N        workload seed (same seed, same workload)`;

function integerFlag(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer ${min}-${max} (got ${JSON.stringify(value)})`);
  return n;
}

/** Runs the demo; `argv` are the arguments after `demo`. Resolves when the report is printed. */
export async function runDemo(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string' },
      db: { type: 'string' },
      url: { type: 'string' },
      'api-key': { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const events = integerFlag('events', values.events, DEFAULT_EVENTS, 1, MAX_EVENTS);
  const seed = integerFlag('seed', values.seed, 42, 0, 2 ** 32 - 1);

  if (values.url !== undefined) {
    const apiKey = values['api-key'] ?? process.env['BEARLUMEN_API_KEY'];
    if (apiKey === undefined || apiKey === '') throw new Error('--url needs --api-key KEY (or BEARLUMEN_API_KEY)');
    await runWorkload({ url: values.url, apiKey, events, seed });
    process.stdout.write(dashboardHint({ apiKey, url: values.url, defaultDbPath: '' }));
    return;
  }

  // The server module needs the optional server dependencies; cli.ts turns a missing one into an install hint.
  const server = await import('./index');
  const dbPath = values.db ?? process.env['BEARLUMEN_DB'] ?? server.DEFAULT_SQLITE_PATH;
  const store = await server.createStore({ dbPath });
  const app = await server.createServer({ store, logger: false });
  try {
    const apiKey = await server.createApiKey(store, 'demo');
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('the demo server has no TCP address');
    const url = `http://127.0.0.1:${address.port}`;
    process.stderr.write(`bearlumen demo: server ${server.SERVER_VERSION} on ${url}, database ${dbPath}\n`);
    await runWorkload({ url, apiKey, events, seed });
    process.stdout.write(dashboardHint({ apiKey, dbPath, defaultDbPath: server.DEFAULT_SQLITE_PATH }));
  } finally {
    await app.close();
  }
}
