import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndUserListResponse, EndUserResponse, HealthResponse, Subscription, SubscriptionListResponse, UsageQueryResponse } from '../../../src/protocol/types';
import { startServer, type StartedServer } from '../../helpers/start-server';
import { clientFor } from './inject';

let server: StartedServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => server.close());

describe('authentication', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['no Authorization header', {}, 'api_key_missing'],
    ['an empty Authorization header', { authorization: '' }, 'api_key_missing'],
    ['a Basic scheme', { authorization: 'Basic dXNlcjpwYXNz' }, 'api_key_invalid'],
    ['a malformed key', { authorization: 'Bearer not-a-key' }, 'api_key_invalid'],
    ['a well-formed unknown key', { authorization: 'Bearer bl_live_AAAAAAAAAAAAAAAAAAAAAAAA' }, 'api_key_invalid'],
  ];
  it.each(cases)('answers 401 for %s', async (_name, headers, code) => {
    const res = await server.app.inject({ method: 'GET', url: '/v1/end-users', headers });
    expect(res.statusCode).toBe(401);
    const body = res.json();
    expect(body.error).toMatchObject({ code, type: 'authentication_error' });
    expect(body.requestId).toBe(res.headers['x-request-id']);
    expect(res.body).not.toContain('AAAAAAAAAAAA');
  });

  it('rejects before reading the body: a bad key on a huge batch is 401, not 413', async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/v1/usage/events/batch',
      headers: { 'content-type': 'application/json' },
      payload: 'x'.repeat(17 * 1024 * 1024),
    });
    expect(res.statusCode).toBe(401);
  });

  it('accepts a key created for the tenant, case-insensitive scheme', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/v1/end-users', headers: { authorization: `bearer ${server.apiKey}` } });
    expect(res.statusCode).toBe(200);
  });

  it('serves /healthz without a key, with the store kind and version', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    const body = res.json<HealthResponse>();
    expect(body).toEqual({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/), store: process.env['BEARLUMEN_TEST_STORE'] === 'postgres' ? 'postgres' : 'sqlite' });
  });

  it('stores keys hashed: the plain key appears nowhere in the database', async (ctx) => {
    // Reads the SQLite file directly; the PostgreSQL run covers the same code path through the Store.
    if (server.store.kind !== 'sqlite') ctx.skip();
    const rows = (server.store as unknown as { db: { prepare(sql: string): { all(): unknown[] } } }).db.prepare('SELECT * FROM api_keys').all();
    expect(JSON.stringify(rows)).not.toContain(server.apiKey);
    expect(JSON.stringify(rows)).toMatch(/[0-9a-f]{64}/);
  });
});

describe('x-request-id', () => {
  it('is on every response: success, 404 route, 401, 400', async () => {
    const api = clientFor(server);
    const responses = [
      await api.get('/v1/end-users'),
      await api.get('/v1/nope'),
      await clientFor(server, 'bl_test_wrongwrongwrongwrong').get('/v1/end-users'),
      await api.get('/v1/end-users?limit=0'),
      await server.app.inject({ method: 'GET', url: '/healthz' }).then((r) => ({ headers: r.headers, status: r.statusCode })),
    ];
    for (const res of responses) expect(res.headers['x-request-id']).toMatch(/^req_/);
    const ids = new Set(responses.map((r) => r.headers['x-request-id']));
    expect(ids.size).toBe(responses.length);
  });

  it('unknown routes answer 404 route_not_found with the error body', async () => {
    const res = await clientFor(server).get('/v1/does-not-exist');
    expect(res.status).toBe(404);
    expect(res.error).toMatchObject({ code: 'route_not_found', type: 'not_found_error' });
  });
});

describe('tenant isolation', () => {
  it("never shows or changes another tenant's data", async () => {
    const a = clientFor(server);
    const b = clientFor(server, await server.createKey('other-tenant'));
    const user = (await a.post<EndUserResponse>('/v1/end-users', { externalId: 'iso-user' })).body.endUser;
    const sub = (
      await a.post<Subscription>('/v1/subscriptions', {
        userId: user.id,
        pricingPlanId: 'plan',
        currentPeriodStart: '2026-01-01T00:00:00Z',
        currentPeriodEnd: '2026-02-01T00:00:00Z',
      })
    ).body;
    await a.post('/v1/usage/events', { eventType: 't', metricName: 'llm_tokens_input', quantity: 5, subscriptionId: sub.id, agent_id: 'iso-agent', idempotencyKey: 'iso-1' });

    expect((await b.get(`/v1/end-users/${user.id}`)).status).toBe(404);
    expect((await b.patch(`/v1/end-users/${user.id}`, { name: 'x' })).status).toBe(404);
    expect((await b.post(`/v1/end-users/${user.id}/deactivate`)).status).toBe(404);
    expect((await b.get(`/v1/subscriptions/${sub.id}`)).status).toBe(404);
    expect((await b.post(`/v1/subscriptions/${sub.id}/cancel`)).status).toBe(404);
    expect((await b.patch(`/v1/subscriptions/${sub.id}`, { pricingPlanId: 'x' })).status).toBe(404);
    const subForOther = await b.post('/v1/subscriptions', {
      userId: user.id,
      pricingPlanId: 'plan',
      currentPeriodStart: '2026-01-01T00:00:00Z',
      currentPeriodEnd: '2026-02-01T00:00:00Z',
    });
    expect(subForOther.error).toMatchObject({ code: 'resource_missing', param: 'userId' });
    const eventForOther = await b.post('/v1/usage/events', { eventType: 't', metricName: 'x', quantity: 1, subscriptionId: sub.id });
    expect(eventForOther.error).toMatchObject({ code: 'resource_missing', param: 'subscriptionId' });
    // The same idempotency key in another tenant is a different event, not a duplicate.
    const sameKey = await b.post('/v1/usage/events', { eventType: 't', metricName: 'llm_tokens_input', quantity: 99, idempotencyKey: 'iso-1' });
    expect(sameKey.body).toMatchObject({ recorded: true });
    // The same externalId in another tenant is allowed.
    expect((await b.post('/v1/end-users', { externalId: 'iso-user' })).status).toBe(201);

    expect((await b.get<EndUserListResponse>('/v1/end-users')).body.endUsers.map((u) => u.id)).not.toContain(user.id);
    expect((await b.get<SubscriptionListResponse>('/v1/subscriptions')).body.total).toBe(0);
    const events = (await b.get<UsageQueryResponse>('/v1/usage/events')).body;
    expect(events.events.map((e) => e.quantity)).toEqual([99]);
    const today = new Date().toISOString().slice(0, 10);
    const agents = await b.get<{ values: string[] }>(`/v1/cost-attribution/agents?startDate=${today}&endDate=${today}`);
    expect(agents.body.values).toEqual([]);
    const summary = await b.get<{ totalEvents: number }>('/v1/usage/summary');
    expect(summary.body.totalEvents).toBe(1);
    expect((await a.get<{ totalEvents: number }>('/v1/usage/summary')).body.totalEvents).toBe(1);
  });
});

describe('internal errors', () => {
  it('answer 500 internal_error without internals, with the request id', async () => {
    const failing = await startServer();
    try {
      const store = failing.store;
      // Make one store method fail the way a broken disk would.
      Object.defineProperty(store, 'listEndUsers', { value: () => Promise.reject(new Error('SQLITE_IOERR: disk I/O error at /secret/path')) });
      const res = await clientFor(failing).get('/v1/end-users');
      expect(res.status).toBe(500);
      expect(res.error).toEqual({ type: 'api_error', code: 'internal_error', message: 'Internal server error' });
      expect(res.raw).not.toContain('secret');
      expect(res.requestId).toBe(res.headers['x-request-id']);
    } finally {
      await failing.close();
    }
  });
});
