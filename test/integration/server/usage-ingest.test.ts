import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type StartedServer } from '../../helpers/start-server';

let server: StartedServer;
let auth: Record<string, string>;

beforeAll(async () => {
  server = await startServer();
  auth = { authorization: `Bearer ${server.apiKey}` };
});
afterAll(async () => server.close());

const event = (over: Record<string, unknown> = {}) => ({ eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: 10, ...over });

describe('POST /v1/usage/events', () => {
  it('records a new event and reports a replay as a duplicate with the original id', async () => {
    const body = event({ idempotencyKey: 'single-1' });
    const first = await server.app.inject({ method: 'POST', url: '/v1/usage/events', headers: auth, payload: body });
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-request-id']).toMatch(/^req_/);
    const r1 = first.json();
    expect(r1).toEqual({ eventId: expect.stringMatching(/^evt_/), recorded: true });
    const again = await server.app.inject({ method: 'POST', url: '/v1/usage/events', headers: auth, payload: { ...body, timestamp: new Date().toISOString(), metadata: { x: 1 } } });
    expect(again.json()).toEqual({ eventId: r1.eventId, recorded: false });
  });

  it('rejects the same key with a different quantity with 422 idempotency_key_reused', async () => {
    await server.app.inject({ method: 'POST', url: '/v1/usage/events', headers: auth, payload: event({ idempotencyKey: 'single-2' }) });
    const res = await server.app.inject({ method: 'POST', url: '/v1/usage/events', headers: auth, payload: event({ idempotencyKey: 'single-2', quantity: 11 }) });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: 'idempotency_key_reused', type: 'idempotency_error', param: 'idempotencyKey' });
  });
});

describe('POST /v1/usage/events/batch', () => {
  it('accepts a gzip body', async () => {
    const payload = gzipSync(JSON.stringify({ events: [event({ idempotencyKey: 'gz-1' }), event({ idempotencyKey: 'gz-2' })] }));
    const res = await server.app.inject({
      method: 'POST',
      url: '/v1/usage/events/batch',
      headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ recordedCount: 2, skippedCount: 0 });
  });
});
