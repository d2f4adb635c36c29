import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BearLumenAuthenticationError,
  BearLumenClosedError,
  BearLumenConflictError,
  BearLumenConnectionError,
  BearLumenInvalidRequestError,
  BearLumenNotFoundError,
  BearLumenRateLimitError,
  BearLumenServerError,
  BearLumenUserAbortError,
} from '@bearlumen/node-sdk';
import { HttpTransport, type Sleep } from '../../src/transport/http';

const API_KEY = 'bl_test_httphttphttphttp0001';
const ORIGIN = 'http://bearlumen.invalid';

interface Seen {
  path: string;
  method: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
}
interface Reply {
  status: number;
  data?: unknown;
  headers?: Record<string, string> | undefined;
}

const agents: MockAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

function setup(replies: (seen: Seen, n: number) => Reply | Error, extra: { sleep?: Sleep; maxRetries?: number; logStream?: Writable; basePath?: string } = {}) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  agents.push(agent);
  const seen: Seen[] = [];
  const pool = agent.get(ORIGIN);
  pool
    .intercept({ path: () => true, method: () => true })
    .reply((opts) => {
      const s: Seen = { path: opts.path, method: opts.method, headers: opts.headers as Record<string, string>, body: opts.body as string | Buffer | undefined };
      seen.push(s);
      const r = replies(s, seen.length);
      if (r instanceof Error) throw r;
      return { statusCode: r.status, data: r.data === undefined ? '' : JSON.stringify(r.data), responseOptions: { headers: { 'x-request-id': `req_${seen.length}`, ...r.headers } } };
    })
    .persist();
  const delays: number[] = [];
  const sleep: Sleep = extra.sleep ?? (async (ms) => { delays.push(ms); });
  const logger = pino({ level: 'trace' }, extra.logStream ?? new Writable({ write: (_c, _e, cb) => cb() }));
  const transport = new HttpTransport({
    baseUrl: new URL(ORIGIN + (extra.basePath ?? '')),
    apiKey: API_KEY,
    timeout: 5_000,
    maxRetries: extra.maxRetries ?? 2,
    logger,
    dispatcher: agent,
    random: () => 0.5,
    sleep,
  });
  return { transport, seen, delays };
}

const errorBody = (code: string) => ({ error: { type: 'api_error', code, message: code }, requestId: 'req_x' });

describe('HttpTransport', () => {
  it('sends Bearer auth, a bearlumen-node User-Agent and JSON, and parses the reply', async () => {
    const { transport, seen } = setup(() => ({ status: 200, data: { ok: true } }));
    const result = await transport.request<{ ok: boolean }>({ method: 'GET', path: '/v1/end-users', query: { status: 'ACTIVE', limit: 5, offset: undefined } });
    expect(result).toEqual({ ok: true });
    expect(seen[0]?.path).toBe('/v1/end-users?status=ACTIVE&limit=5');
    expect(seen[0]?.headers['authorization']).toBe(`Bearer ${API_KEY}`);
    expect(seen[0]?.headers['user-agent']).toMatch(/^bearlumen-node\/\d+\.\d+\.\d+ node\/\d+\.\d+\.\d+$/);
    expect(seen[0]?.headers['idempotency-key']).toBeUndefined();
  });

  it('keeps a base path prefix', async () => {
    const { transport, seen } = setup(() => ({ status: 200, data: {} }), { basePath: '/proxy' });
    await transport.request({ method: 'GET', path: '/healthz' });
    expect(seen[0]?.path).toBe('/proxy/healthz');
  });

  it('generates one Idempotency-Key per POST before the first attempt and reuses it on every retry', async () => {
    const { transport, seen, delays } = setup((_s, n) => (n < 3 ? { status: 503, data: errorBody('unavailable') } : { status: 200, data: { id: 'eu_1' } }));
    await transport.request({ method: 'POST', path: '/v1/end-users', body: { externalId: 'u' } });
    expect(seen).toHaveLength(3);
    const keys = seen.map((s) => s.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^bl-node-[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    expect(delays).toEqual([250, 500]);
    const second = setup(() => ({ status: 200, data: {} }));
    await second.transport.request({ method: 'POST', path: '/v1/end-users', body: {} });
    expect(second.seen[0]?.headers['idempotency-key']).not.toBe(keys[0]);
  });

  it('uses a caller-provided idempotency key', async () => {
    const { transport, seen } = setup(() => ({ status: 200, data: {} }));
    await transport.request({ method: 'POST', path: '/v1/subscriptions', body: {}, idempotencyKey: 'my-key-1' });
    expect(seen[0]?.headers['idempotency-key']).toBe('my-key-1');
  });

  it('honours Retry-After seconds, retry-after-ms and an HTTP date', async () => {
    const headers = [{ 'retry-after': '3' }, { 'retry-after-ms': '120' }, { 'retry-after': new Date(Date.now() + 60_000).toUTCString() }];
    const { transport, delays } = setup((_s, n) => (n <= 3 ? { status: 429, data: errorBody('rate_limited'), headers: headers[n - 1] } : { status: 200, data: {} }), { maxRetries: 3 });
    await transport.request({ method: 'GET', path: '/v1/usage/summary' });
    expect(delays[0]).toBe(3000);
    expect(delays[1]).toBe(120);
    expect(delays[2]).toBeGreaterThan(55_000);
    expect(delays[2]).toBeLessThanOrEqual(60_000);
  });

  it('gives up at once when Retry-After exceeds one minute, keeping retryAfterMs', async () => {
    const { transport, seen } = setup(() => ({ status: 429, data: errorBody('rate_limited'), headers: { 'retry-after': '3600' } }));
    const error = await transport.request({ method: 'GET', path: '/x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BearLumenRateLimitError);
    expect((error as BearLumenRateLimitError).retryAfterMs).toBe(3_600_000);
    expect(seen).toHaveLength(1);
  });

  it('stops after maxRetries and keeps the request id', async () => {
    const { transport, seen } = setup(() => ({ status: 500, data: errorBody('internal_error') }));
    const error = await transport.request({ method: 'GET', path: '/x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BearLumenServerError);
    expect(seen).toHaveLength(3);
    expect((error as BearLumenServerError).requestId).toBe('req_3');
    const once = setup(() => ({ status: 500, data: errorBody('internal_error') }));
    await once.transport.request({ method: 'GET', path: '/x', maxRetries: 0 }).catch(() => undefined);
    expect(once.seen).toHaveLength(1);
  });

  it.each([
    [400, BearLumenInvalidRequestError, 'parameter_invalid'],
    [401, BearLumenAuthenticationError, 'api_key_invalid'],
    [404, BearLumenNotFoundError, 'resource_not_found'],
    [409, BearLumenConflictError, 'external_id_taken'],
    [422, BearLumenInvalidRequestError, 'idempotency_key_reused'],
  ])('never retries %i %s', async (status, cls, code) => {
    // As our server answers: every error carries x-should-retry from its code table.
    const { transport, seen } = setup(() => ({ status, data: errorBody(code), headers: { 'x-should-retry': 'false' } }));
    const error = await transport.request({ method: 'POST', path: '/x', body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(cls);
    expect(seen).toHaveLength(1);
  });

  it("obeys x-should-retry before the status: no retry of a 503 marked false, a retry of a 400 marked true", async () => {
    const refused = setup(() => ({ status: 503, data: errorBody('unavailable'), headers: { 'x-should-retry': 'false' } }));
    await expect(refused.transport.request({ method: 'GET', path: '/x' })).rejects.toBeInstanceOf(BearLumenServerError);
    expect(refused.seen).toHaveLength(1);
    const retried = setup((_s, n) => (n === 1 ? { status: 400, data: errorBody('parameter_invalid'), headers: { 'x-should-retry': 'true' } } : { status: 200, data: {} }));
    await retried.transport.request({ method: 'GET', path: '/x' });
    expect(retried.seen).toHaveLength(2);
  });

  it('retries a 409 idempotency_request_in_progress', async () => {
    const { transport, seen } = setup((_s, n) => (n === 1 ? { status: 409, data: errorBody('idempotency_request_in_progress') } : { status: 200, data: {} }));
    await transport.request({ method: 'POST', path: '/x', body: {} });
    expect(seen).toHaveLength(2);
  });

  it('retries connection errors, then surfaces BearLumenConnectionError with the cause', async () => {
    const { transport, seen } = setup(() => new Error('socket hang up'));
    const error = await transport.request({ method: 'GET', path: '/x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BearLumenConnectionError);
    expect((error as BearLumenConnectionError).code).toBe('connection_error');
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(seen).toHaveLength(3);
  });

  it('gzips a large body when asked, once, and sends the same bytes on a retry', async () => {
    const { transport, seen } = setup((_s, n) => (n === 1 ? { status: 503, data: errorBody('unavailable') } : { status: 200, data: {} }));
    const events = Array.from({ length: 400 }, (_, i) => ({ eventType: 'token_usage', metricName: 'llm_tokens', quantity: i }));
    await transport.request({ method: 'POST', path: '/v1/usage/events/batch', body: { events }, compress: true });
    expect(seen[0]?.headers['content-encoding']).toBe('gzip');
    const body = seen[0]?.body;
    expect(Buffer.isBuffer(body)).toBe(true);
    expect(JSON.parse(gunzipSync(body as Buffer).toString('utf8'))).toEqual({ events });
    expect(Buffer.compare(seen[1]?.body as Buffer, body as Buffer)).toBe(0);
  });

  it('leaves small or uncompressed bodies alone', async () => {
    const { transport, seen } = setup(() => ({ status: 200, data: {} }));
    await transport.request({ method: 'POST', path: '/x', body: { a: 1 }, compress: true });
    await transport.request({ method: 'POST', path: '/x', body: { a: 'x'.repeat(40_000) } });
    expect(seen.map((s) => s.headers['content-encoding'])).toEqual([undefined, undefined]);
    expect(seen[0]?.body).toBe('{"a":1}');
  });

  it('aborts a wait between attempts via the signal, with code aborted', async () => {
    const controller = new AbortController();
    const sleep: Sleep = (_ms, signal) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        controller.abort();
      });
    const { transport, seen } = setup(() => ({ status: 503, data: errorBody('unavailable') }), { sleep });
    const error = await transport.request({ method: 'GET', path: '/x', signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BearLumenUserAbortError);
    expect(error).not.toBeInstanceOf(BearLumenConnectionError);
    expect((error as BearLumenUserAbortError).code).toBe('aborted');
    expect(seen).toHaveLength(1);
  });

  it('rejects with BearLumenClosedError after close(), also for a request waiting to retry', async () => {
    const ref: { transport?: HttpTransport } = {};
    const sleep: Sleep = (_ms, signal) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        void ref.transport?.close();
      });
    const { transport } = setup(() => ({ status: 503, data: errorBody('unavailable') }), { sleep });
    ref.transport = transport;
    await expect(transport.request({ method: 'GET', path: '/x' })).rejects.toBeInstanceOf(BearLumenClosedError);
    await expect(transport.request({ method: 'GET', path: '/x' })).rejects.toBeInstanceOf(BearLumenClosedError);
    await expect(transport.close()).resolves.toBeUndefined();
  });

  it('never writes the key or headers to the log, even at trace', async () => {
    const lines: string[] = [];
    const logStream = new Writable({ write: (c: Buffer, _e, cb) => { lines.push(c.toString('utf8')); cb(); } });
    const { transport } = setup((_s, n) => (n === 1 ? { status: 503, data: errorBody('unavailable') } : { status: 401, data: errorBody('api_key_invalid') }), { logStream });
    const error = await transport.request({ method: 'POST', path: '/x', body: {} }).catch((e: unknown) => e);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    const all = lines.join('');
    expect(all).not.toContain(API_KEY);
    expect(all.toLowerCase()).not.toContain('authorization');
    expect(String(error)).not.toContain(API_KEY);
    expect(JSON.stringify(error)).not.toContain(API_KEY);
  });

  it('fails a 2xx whose body is not JSON without retrying', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agents.push(agent);
    agent.get(ORIGIN).intercept({ path: '/x', method: 'GET' }).reply(200, '<html>');
    const transport = new HttpTransport({ baseUrl: new URL(ORIGIN), apiKey: API_KEY, timeout: 1000, maxRetries: 2, logger: pino({ level: 'silent' }), dispatcher: agent });
    await expect(transport.request({ method: 'GET', path: '/x' })).rejects.toMatchObject({ code: 'invalid_response', status: 200 });
  });
});
