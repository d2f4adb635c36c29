/**
 * The API key never leaks: not in any log line (SDK logger at `trace`, through successes, retries,
 * timeouts, connection failures, refusals, drops and shutdown; the server's own log at `trace`), not
 * in any error's message, `String()`, `toJSON()`, `util.inspect()` (causes included), not in `stats()`,
 * observer payloads or the shutdown report.
 */
import { inspect } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen, BearLumenError } from '@bearlumen/node-sdk';
import { apiKeyId, createApiKey, createServer, SqliteStore, type BearLumenServer } from '@bearlumen/node-sdk/server';
import { ROUTES } from '../../src/protocol/routes';
import { startChaosProxy, type ChaosProxy } from '../helpers/chaos-proxy';

/** Everything a test collects that a user could see: log lines, rendered errors, stats, reports. */
const seen: string[] = [];
const sdkLines: string[] = [];
const serverLines: string[] = [];

const capture = (into: string[]): { write(chunk: string): void } => ({
  write(chunk: string) {
    into.push(chunk);
  },
});

function renderError(error: unknown): void {
  seen.push(String(error), inspect(error, { depth: 10, showHidden: false }));
  if (error instanceof Error) seen.push(error.message, error.stack ?? '');
  if (error instanceof BearLumenError) seen.push(JSON.stringify(error.toJSON()));
}

async function settle(work: Promise<unknown>): Promise<void> {
  try {
    seen.push(JSON.stringify(await work));
  } catch (error) {
    renderError(error);
  }
}

let app: BearLumenServer;
let url: string;
let apiKey: string;
let proxy: ChaosProxy;

beforeAll(async () => {
  const store = SqliteStore.open(':memory:');
  app = await createServer({ store, prices: '', logger: { level: 'trace', stream: capture(serverLines) } });
  apiKey = await createApiKey(store, 'secrets');
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  url = `http://127.0.0.1:${address.port}`;
  proxy = await startChaosProxy(url);
});

afterAll(async () => {
  await proxy?.close();
  await app?.close();
});

function clientWith(key: string, baseUrl: string, batching = {}): BearLumen {
  const logger = pino({ level: 'trace' }, capture(sdkLines));
  const client = new BearLumen({ apiKey: key, baseUrl, timeout: 200, maxRetries: 2, handleExit: false, logger, batching: { flushIntervalMs: 5, retryBaseMs: 5, retryMaxMs: 20, ...batching } });
  client.on('error', (payload) => renderError(payload.error));
  client.on('drop', (payload) => seen.push(JSON.stringify(payload)));
  client.on('flush', (payload) => seen.push(JSON.stringify(payload)));
  return client;
}

/** The key, and its secret part alone (a log that strips the `bl_test_` prefix still leaks it). */
function secretsOf(key: string): string[] {
  const secret = key.replace(/^bl_(live|test)_/, '');
  return [key, secret, secret.slice(0, 16), secret.slice(-16)];
}

function expectNoSecret(key: string, where: string, texts: readonly string[]): void {
  for (const text of texts) for (const secret of secretsOf(key)) expect(text.includes(secret), `${where} contains the key: ${text.slice(0, 300)}`).toBe(false);
}

describe('security: the API key never appears in logs, errors or stats', () => {
  it('through successes, retries, timeouts, resets, refusals, drops and shutdown', async () => {
    const client = clientWith(apiKey, proxy.url, { maxBatchSize: 5, maxBufferedEvents: 50 });
    // Retries and transport faults on batches and single requests.
    proxy.enqueue([{ kind: 'status', status: 503, headers: { 'retry-after-ms': '5' } }, { kind: 'reset-before' }, { kind: 'stall', ms: 400 }, { kind: 'reset-after' }], ROUTES.usageBatch);
    proxy.enqueue([{ kind: 'status', status: 500 }, { kind: 'reset-before' }], (req) => req.path.startsWith('/v1/end-users'));
    const records = Array.from({ length: 20 }, (_, i) => client.usage.record({ eventType: 'secret_test', metricName: 'requests', quantity: i, metadata: { n: i } }));
    await settle(client.endUsers.create({ externalId: 'secret-user' }));
    await settle(client.endUsers.update('eu_missing', { name: 'x' }));
    await settle(client.subscriptions.create({ userId: 'eu_missing', pricingPlanId: 'p', currentPeriodStart: new Date().toISOString(), currentPeriodEnd: new Date(Date.now() + 1000).toISOString() }));
    await settle(client.usage.recordBatch([{ eventType: 'secret_test', metricName: 'llm_tokens_input', quantity: 1, subscriptionId: 'sub_missing' }]));
    await settle(client.usage.record({ eventType: 'bad type!', metricName: 'requests', quantity: 1 }));
    for (const r of records) await settle(r);
    // Overflow, then drops at a shutdown deadline while the server is "down".
    proxy.setScript(() => ({ kind: 'status', status: 503 }));
    const overflow = Array.from({ length: 60 }, (_, i) => client.usage.record({ eventType: 'secret_test', metricName: 'requests', quantity: i }));
    seen.push(JSON.stringify(client.stats()));
    const report = await client.shutdown({ timeoutMs: 100 });
    seen.push(JSON.stringify(report), JSON.stringify(client.stats()), inspect(report, { depth: 10 }));
    for (const r of overflow) await settle(r);
    await settle(client.endUsers.list());
    proxy.setScript(undefined);

    expect(sdkLines.length).toBeGreaterThan(20);
    expect(sdkLines.some((line) => line.includes('"level":10') || line.includes('"level":20'))).toBe(true);
    expect(report.dropped).toBeGreaterThan(0);
    expectNoSecret(apiKey, 'SDK log', sdkLines);
    expectNoSecret(apiKey, 'error, stats or report', seen);
  });

  it('with a wrong key (401), an unreachable server, and a malformed key at construction', async () => {
    const wrongKey = 'bl_live_wrongwrongwrongwrongwrong0123';
    const wrong = clientWith(wrongKey, url);
    await settle(wrong.endUsers.list());
    await settle(wrong.usage.record({ eventType: 'secret_test', metricName: 'requests', quantity: 1 }));
    await settle(wrong.shutdown());

    const closed = clientWith(apiKey, 'http://127.0.0.1:9', { maxRetryDurationMs: 50 });
    await settle(closed.endUsers.list());
    await settle(closed.usage.record({ eventType: 'secret_test', metricName: 'requests', quantity: 1 }));
    await settle(closed.shutdown({ timeoutMs: 300 }));

    // Inner whitespace or a control character: refused at construction without quoting the key.
    const malformed = `${apiKey.slice(0, 12)} ${apiKey.slice(12)}`;
    try {
      new BearLumen({ apiKey: malformed, handleExit: false });
    } catch (error) {
      renderError(error);
    }
    const previous = process.env['BEARLUMEN_API_KEY'];
    process.env['BEARLUMEN_API_KEY'] = `${apiKey.slice(0, 12)}\u0007${apiKey.slice(12)}`;
    try {
      new BearLumen({ handleExit: false });
    } catch (error) {
      renderError(error);
    } finally {
      if (previous === undefined) delete process.env['BEARLUMEN_API_KEY'];
      else process.env['BEARLUMEN_API_KEY'] = previous;
    }

    expect(seen.some((text) => text.includes('api_key_invalid'))).toBe(true);
    expect(seen.some((text) => text.includes('apiKey must not contain whitespace'))).toBe(true);
    expect(seen.some((text) => text.includes('BEARLUMEN_API_KEY must not contain whitespace'))).toBe(true);
    for (const key of [wrongKey, apiKey]) {
      expectNoSecret(key, 'SDK log', sdkLines);
      expectNoSecret(key, 'error, stats or report', seen);
    }
  });

  it("the server's trace log never contains a key either", () => {
    expect(serverLines.length).toBeGreaterThan(20);
    expectNoSecret(apiKey, 'server log', serverLines);
    expectNoSecret('bl_live_wrongwrongwrongwrongwrong0123', 'server log', serverLines);
    // Requests are attributed to a key by its key id instead.
    const attributed = serverLines.filter((line) => line.includes(`"keyId":"${apiKeyId(apiKey)}"`));
    expect(attributed.some((line) => line.includes('request completed'))).toBe(true);
  });
});
