/**
 * The transport against a tiny node:http server that misbehaves on purpose (fails N times, stalls,
 * sends Retry-After). Not our server: these are the network conditions the SDK must survive.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BearLumen,
  BearLumenConnectionError,
  BearLumenRateLimitError,
  BearLumenServerError,
  BearLumenTimeoutError,
  BearLumenUserAbortError,
} from '@bearlumen/node-sdk';

const API_KEY = 'bl_test_transporttransport01';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  socket: number;
}

type Handler = (seen: Seen, n: number, res: ServerResponse) => void;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakeApi(handler: Handler): Promise<{ url: string; seen: Seen[]; sockets: () => number }> {
  const seen: Seen[] = [];
  let sockets = 0;
  const socketIds = new WeakMap<object, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), socket: socketIds.get(req.socket) ?? -1 };
      seen.push(s);
      handler(s, seen.length, res);
    });
  });
  server.on('connection', (socket) => socketIds.set(socket, ++sockets));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, sockets: () => sockets };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req_${status}`, ...headers });
  res.end(JSON.stringify(body));
}

const apiError = (code: string) => ({ error: { type: 'api_error', code, message: code }, requestId: 'req_x' });
const endUser = { endUser: { id: 'eu_1', externalId: 'u' } };

function client(url: string, extra: Record<string, unknown> = {}): BearLumen {
  const c = new BearLumen({ apiKey: API_KEY, baseUrl: url, handleExit: false, ...extra });
  cleanups.push(async () => {
    await c.shutdown();
  });
  return c;
}

describe('transport against a misbehaving server', () => {
  it('retries 503s honouring retry-after-ms, reusing one Idempotency-Key, and succeeds', async () => {
    const api = await fakeApi((_s, n, res) => (n <= 2 ? json(res, 503, apiError('unavailable'), { 'retry-after-ms': '10' }) : json(res, 200, endUser)));
    const result = await client(api.url).endUsers.create({ externalId: 'u' });
    expect(result.endUser.id).toBe('eu_1');
    expect(api.seen).toHaveLength(3);
    const keys = api.seen.map((s) => s.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^bl-node-/);
    expect(new Set(keys).size).toBe(1);
  });

  it('retries a 429 with Retry-After: 0 and with a past HTTP date', async () => {
    const api = await fakeApi((_s, n, res) => {
      if (n === 1) return json(res, 429, apiError('rate_limited'), { 'retry-after': '0' });
      if (n === 2) return json(res, 429, apiError('rate_limited'), { 'retry-after': new Date(Date.now() - 5000).toUTCString() });
      return json(res, 200, { endUsers: [], total: 0, activeCount: 0, deactivatedCount: 0, limit: 100, offset: 0 });
    });
    expect((await client(api.url).endUsers.list()).total).toBe(0);
    expect(api.seen).toHaveLength(3);
  });

  it('gives up after maxRetries with the last error and its request id; per-call maxRetries overrides', async () => {
    const api = await fakeApi((_s, _n, res) => json(res, 503, apiError('unavailable'), { 'retry-after-ms': '1' }));
    const c = client(api.url, { maxRetries: 1 });
    const error = await c.endUsers.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BearLumenServerError);
    expect((error as BearLumenServerError).requestId).toBe('req_503');
    expect(api.seen).toHaveLength(2);
    await c.endUsers.list(undefined, { maxRetries: 3 }).catch(() => undefined);
    expect(api.seen).toHaveLength(6);
  });

  it('a Retry-After over a minute is not waited for', async () => {
    const api = await fakeApi((_s, _n, res) => json(res, 429, apiError('rate_limited'), { 'retry-after': '120' }));
    const error = await client(api.url).endUsers.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BearLumenRateLimitError);
    expect((error as BearLumenRateLimitError).retryAfterMs).toBe(120_000);
    expect(api.seen).toHaveLength(1);
  });

  it('a stalled response is a BearLumenTimeoutError per attempt, retried like a connection error', async () => {
    const api = await fakeApi(() => undefined);
    const c = client(api.url, { timeout: 50, maxRetries: 1 });
    const error = await c.endUsers.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BearLumenTimeoutError);
    expect(error).toBeInstanceOf(BearLumenConnectionError);
    expect((error as BearLumenTimeoutError).code).toBe('timeout');
    expect(api.seen).toHaveLength(2);
    await expect(c.endUsers.list(undefined, { timeout: 20, maxRetries: 0 })).rejects.toBeInstanceOf(BearLumenTimeoutError);
  });

  it('a refused connection is a BearLumenConnectionError after the retries', async () => {
    const api = await fakeApi(() => undefined);
    await cleanups.pop()?.();
    const error = await client(api.url, { maxRetries: 1 }).endUsers.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BearLumenConnectionError);
    expect((error as BearLumenConnectionError).code).toBe('connection_error');
  });

  it('an AbortSignal cancels an in-flight call with BearLumenUserAbortError (code aborted), not a connection error', async () => {
    const api = await fakeApi(() => undefined);
    const controller = new AbortController();
    const pending = client(api.url).endUsers.list(undefined, { signal: controller.signal });
    // Abort once the server holds the request (bounded wait), not after a guessed delay.
    for (let waited = 0; api.seen.length === 0 && waited < 10_000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BearLumenUserAbortError);
    expect(error).not.toBeInstanceOf(BearLumenConnectionError);
    expect((error as BearLumenUserAbortError).code).toBe('aborted');
    expect((error as BearLumenUserAbortError).cause).toBe(controller.signal.reason);
    expect(api.seen).toHaveLength(1);
  });

  it('sends Bearer auth and the bearlumen-node User-Agent; reuses keep-alive connections, error bodies included', async () => {
    const api = await fakeApi((_s, n, res) => (n % 2 === 0 ? json(res, 404, { ...apiError('resource_not_found'), padding: 'x'.repeat(100_000) }) : json(res, 200, endUser)));
    const c = client(api.url);
    for (let i = 0; i < 3; i++) {
      await c.endUsers.update('eu_1', { name: 'n' });
      await c.endUsers.update('eu_1', { name: 'n' }).catch(() => undefined);
    }
    expect(api.seen).toHaveLength(6);
    // Keep-alive: sockets are reused. A body left unread would pin its socket and force a new one per call.
    // (The Pool may open a second socket when a call starts in the tick before the previous one frees its own.)
    expect(api.sockets()).toBeLessThanOrEqual(2);
    expect(api.seen[0]?.headers['authorization']).toBe(`Bearer ${API_KEY}`);
    expect(api.seen[0]?.headers['user-agent']).toBe(`bearlumen-node/0.1.0 node/${process.versions.node}`);
    expect(api.seen[0]?.headers['content-type']).toBe('application/json');
    expect(api.seen[0]?.method).toBe('PATCH');
    expect(api.seen[0]?.url).toBe('/v1/end-users/eu_1');
  });

  it('recordBatch gzips a large body and keeps the event keys across a retry', async () => {
    const api = await fakeApi((s, n, res) => {
      if (n === 1) return json(res, 503, apiError('unavailable'), { 'retry-after-ms': '1' });
      const { events } = JSON.parse(gunzipSync(s.body).toString('utf8')) as { events: unknown[] };
      return json(res, 200, { recordedCount: events.length, skippedCount: 0, results: events.map((_, i) => ({ eventId: `evt_${i}`, recorded: true })) });
    });
    const events = Array.from({ length: 300 }, (_, i) => ({ eventType: 'token_usage', metricName: 'llm_tokens', quantity: i, metadata: { model: 'gpt-4o', provider: 'openai' } }));
    const result = await client(api.url).usage.recordBatch(events);
    expect(result.recordedCount).toBe(300);
    expect(api.seen.map((s) => s.headers['content-encoding'])).toEqual(['gzip', 'gzip']);
    const keysOf = (s: Seen | undefined) => (JSON.parse(gunzipSync(s?.body ?? Buffer.alloc(0)).toString('utf8')) as { events: { idempotencyKey: string }[] }).events.map((e) => e.idempotencyKey);
    const first = keysOf(api.seen[0]);
    expect(new Set(first).size).toBe(300);
    expect(keysOf(api.seen[1])).toEqual(first);
  });

  it('iterate() ends even when the server overstates total: at an empty or short page', async () => {
    const user = (i: number) => ({ id: `eu_${i}`, externalId: `u${i}` });
    const api = await fakeApi((s, _n, res) => {
      const offset = Number(new URL(s.url, 'http://x').searchParams.get('offset'));
      // Claims a million users but has 5: pages of 2, 2, 1, then empty.
      const endUsers = [0, 1].map((i) => offset + i).filter((i) => i < 5).map(user);
      json(res, 200, { endUsers, total: 1_000_000, activeCount: 0, deactivatedCount: 0, limit: 2, offset });
    });
    const ids: string[] = [];
    for await (const u of client(api.url).endUsers.iterate({ limit: 2 })) ids.push(u.id);
    expect(ids).toEqual(['eu_0', 'eu_1', 'eu_2', 'eu_3', 'eu_4']);
    expect(api.seen.map((s) => new URL(s.url, 'http://x').searchParams.get('offset'))).toEqual(['0', '2', '4']);
  });

  it('shutdown closes the pooled connection', async () => {
    const api = await fakeApi((_s, _n, res) => json(res, 200, endUser));
    const c = new BearLumen({ apiKey: API_KEY, baseUrl: api.url, handleExit: false });
    await c.endUsers.update('eu_1', { name: 'n' });
    await c.shutdown();
    const c2 = new BearLumen({ apiKey: API_KEY, baseUrl: api.url, handleExit: false });
    await c2.endUsers.update('eu_1', { name: 'n' });
    await c2.shutdown();
    expect(api.sockets()).toBe(2);
  });
});
