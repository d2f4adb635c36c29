import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndUserListResponse, EndUserResponse } from '../../../src/protocol/types';
import { startServer, type StartedServer } from '../../helpers/start-server';
import { clientFor, qs } from './inject';

let server: StartedServer;
let api: ReturnType<typeof clientFor>;

beforeAll(async () => {
  server = await startServer();
  api = clientFor(server);
});
afterAll(async () => server.close());

describe('end users', () => {
  it('create → update → deactivate → reactivate keeps the record and its timestamps consistent', async () => {
    const created = await api.post<EndUserResponse>('/v1/end-users', { externalId: 'lifecycle', name: 'AI Startup', email: 'a@example.com', metadata: { plan: 'pro' } });
    expect(created.status).toBe(201);
    const user = created.body.endUser;
    expect(user).toMatchObject({ externalId: 'lifecycle', name: 'AI Startup', email: 'a@example.com', metadata: { plan: 'pro' }, status: 'ACTIVE', deactivatedAt: null });
    expect(user.id).toMatch(/^eu_/);

    const updated = await api.patch<EndUserResponse>(`/v1/end-users/${user.id}`, { name: null, metadata: { plan: 'enterprise' } });
    expect(updated.body.endUser).toMatchObject({ name: null, email: 'a@example.com', metadata: { plan: 'enterprise' } });

    const off = await api.post<EndUserResponse>(`/v1/end-users/${user.id}/deactivate`);
    expect(off.body.endUser.status).toBe('DEACTIVATED');
    expect(off.body.endUser.deactivatedAt).not.toBeNull();
    const again = await api.post<EndUserResponse>(`/v1/end-users/${user.id}/deactivate`);
    expect(again.body.endUser.deactivatedAt).toBe(off.body.endUser.deactivatedAt);

    const on = await api.post<EndUserResponse>(`/v1/end-users/${user.id}/reactivate`, {});
    expect(on.body.endUser).toMatchObject({ status: 'ACTIVE', deactivatedAt: null });
  });

  it('round-trips nested metadata and unicode exactly', async () => {
    const metadata = { plan: 'pro', nested: { list: [1, 'two', null, { deep: true }], n: 1.5 }, 'ключ': 'значение ✓' };
    const user = (await api.post<EndUserResponse>('/v1/end-users', { externalId: 'meta-user', metadata })).body.endUser;
    expect(user.metadata).toEqual(metadata);
    expect((await api.get<EndUserResponse>(`/v1/end-users/${user.id}`)).body.endUser.metadata).toEqual(metadata);
  });

  it('rejects a second user with the same externalId with 409 external_id_taken', async () => {
    await api.post('/v1/end-users', { externalId: 'dup-ext' });
    const res = await api.post('/v1/end-users', { externalId: 'dup-ext' });
    expect(res.status).toBe(409);
    expect(res.error).toMatchObject({ code: 'external_id_taken', param: 'externalId' });
    // A conflict that sending again cannot clear: the server tells clients not to retry.
    expect(res.headers['x-should-retry']).toBe('false');
  });

  it('says x-should-retry: false on every refusal that sending again cannot fix', async () => {
    expect((await api.post('/v1/end-users', {})).headers['x-should-retry']).toBe('false');
    expect((await api.get('/v1/no-such-route')).headers['x-should-retry']).toBe('false');
  });

  it.each([
    [{}, 'parameter_missing', 'externalId'],
    [{ externalId: '' }, 'parameter_invalid', 'externalId'],
    [{ externalId: 'x'.repeat(256) }, 'parameter_invalid', 'externalId'],
    [{ externalId: 42 }, 'parameter_invalid', 'externalId'],
    [{ externalId: 'ok', email: 'not-an-email' }, 'parameter_invalid', 'email'],
    [{ externalId: 'ok', name: 'n'.repeat(256) }, 'parameter_invalid', 'name'],
    [{ externalId: 'ok', metadata: [] }, 'parameter_invalid', 'metadata'],
    [{ externalId: 'ok', metadata: { big: 'x'.repeat(10_300) } }, 'metadata_too_large', 'metadata'],
    [{ externalId: 'ok', extra: true }, 'parameter_invalid', 'extra'],
  ])('create %j → 400 %s on %s', async (body, code, param) => {
    const res = await api.post('/v1/end-users', body);
    expect(res.status).toBe(400);
    expect(res.error).toMatchObject({ code, param, type: 'invalid_request_error' });
  });

  it('a non-object body is a 400 naming the body, never a 5xx', async () => {
    for (const body of ['[]', '"x"', '42', 'null']) {
      const res = await api.post('/v1/end-users', body);
      expect(res.status).toBe(400);
    }
  });

  it('unknown ids are 404 resource_not_found', async () => {
    for (const res of [await api.patch('/v1/end-users/eu_missing', { name: 'x' }), await api.post('/v1/end-users/eu_missing/reactivate'), await api.get('/v1/end-users/eu_missing')]) {
      expect(res.status).toBe(404);
      expect(res.error?.code).toBe('resource_not_found');
    }
  });
});

describe('end users: list and pagination', () => {
  let fresh: StartedServer;
  let list: ReturnType<typeof clientFor>;
  beforeAll(async () => {
    fresh = await startServer();
    list = clientFor(fresh);
    for (let i = 0; i < 5; i++) await list.post('/v1/end-users', { externalId: `page-${i}` });
    const third = (await list.get<EndUserListResponse>('/v1/end-users?limit=1&offset=2')).body.endUsers[0];
    await list.post(`/v1/end-users/${third?.id ?? ''}/deactivate`);
  });
  afterAll(async () => fresh.close());

  it('counts by status and filters', async () => {
    const all = (await list.get<EndUserListResponse>('/v1/end-users')).body;
    expect(all).toMatchObject({ total: 5, activeCount: 4, deactivatedCount: 1, limit: 100, offset: 0 });
    expect(all.endUsers.map((u) => u.externalId)).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    const off = (await list.get<EndUserListResponse>('/v1/end-users?status=DEACTIVATED')).body;
    expect(off).toMatchObject({ total: 1, activeCount: 4, deactivatedCount: 1 });
    expect(off.endUsers.map((u) => u.externalId)).toEqual(['page-2']);
    expect((await list.get<EndUserListResponse>('/v1/end-users?status=ACTIVE')).body.total).toBe(4);
  });

  it('pages with limit 1, limit 1000 and an offset past the end', async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < 5; offset++) {
      const page = (await list.get<EndUserListResponse>(`/v1/end-users${qs({ limit: 1, offset })}`)).body;
      expect(page.endUsers).toHaveLength(1);
      seen.push(page.endUsers[0]?.externalId ?? '');
    }
    expect(seen).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    expect((await list.get<EndUserListResponse>('/v1/end-users?limit=1000')).body.endUsers).toHaveLength(5);
    const past = (await list.get<EndUserListResponse>('/v1/end-users?offset=50')).body;
    expect(past).toMatchObject({ endUsers: [], total: 5, offset: 50 });
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1.5', 'limit'],
    ['offset=-1', 'offset'],
    ['offset=100000000000000000000', 'offset'],
    ['status=GONE', 'status'],
    ['bogus=1', 'bogus'],
  ])('?%s → 400 naming %s', async (query, param) => {
    const res = await list.get(`/v1/end-users?${query}`);
    expect(res.status).toBe(400);
    expect(res.error).toMatchObject({ code: 'parameter_invalid', param });
  });
});

describe('Idempotency-Key on create POSTs', () => {
  it('replays the stored response for the same key and body, without creating twice', async () => {
    const headers = { 'idempotency-key': 'create-eu-1' };
    const first = await api.post<EndUserResponse>('/v1/end-users', { externalId: 'idem-1', name: 'A' }, headers);
    const second = await api.post<EndUserResponse>('/v1/end-users', { name: 'A', externalId: 'idem-1' }, headers);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.raw).toBe(first.raw);
    expect(second.headers['idempotent-replayed']).toBe('true');
    const users = (await api.get<EndUserListResponse>('/v1/end-users?limit=1000')).body.endUsers.filter((u) => u.externalId === 'idem-1');
    expect(users).toHaveLength(1);
  });

  it('answers 422 idempotency_key_reused for the same key with another body or path', async () => {
    const headers = { 'idempotency-key': 'create-eu-2' };
    await api.post('/v1/end-users', { externalId: 'idem-2' }, headers);
    const otherBody = await api.post('/v1/end-users', { externalId: 'idem-2b' }, headers);
    expect(otherBody.status).toBe(422);
    expect(otherBody.error).toMatchObject({ code: 'idempotency_key_reused', type: 'idempotency_error', param: 'Idempotency-Key' });
    const otherPath = await api.post('/v1/subscriptions', { userId: 'eu_x', pricingPlanId: 'p', currentPeriodStart: '2026-01-01T00:00:00Z', currentPeriodEnd: '2026-02-01T00:00:00Z' }, headers);
    expect(otherPath.status).toBe(422);
  });

  it('answers 409 idempotency_request_in_progress while the first request holds the key', async () => {
    const tenant = await server.store.findTenantByKeyHash((await import('@bearlumen/node-sdk/server')).hashApiKey(server.apiKey));
    const { requestFingerprint } = await import('../../../src/server/request-idempotency');
    expect(tenant).not.toBeNull();
    // Claim the key exactly as a running request would (same fingerprint), then send the request.
    const probe = { method: 'POST', url: '/v1/end-users', body: { externalId: 'idem-3' } };
    await server.store.claimRequestKey(tenant?.id ?? '', 'in-flight', requestFingerprint(probe), Date.now(), 86_400_000);
    const res = await api.post('/v1/end-users', { externalId: 'idem-3' }, { 'idempotency-key': 'in-flight' });
    expect(res.status).toBe(409);
    expect(res.error?.code).toBe('idempotency_request_in_progress');
    expect(res.headers['retry-after']).toBe('1');
  });

  it('a body nested too deeply to fingerprint is a 400, not a 5xx', async () => {
    const depth = 200_000;
    const deep = `{"externalId":"deep","metadata":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
    const res = await api.post('/v1/end-users', deep, { 'idempotency-key': 'deep-body' });
    expect(res.status).toBe(400);
    // Nothing was claimed: the key is still free for a proper request.
    expect((await api.post('/v1/end-users', { externalId: 'deep' }, { 'idempotency-key': 'deep-body' })).status).toBe(201);
  });

  it('does not store failures: a retry after a 4xx runs again', async () => {
    const headers = { 'idempotency-key': 'create-eu-4' };
    await api.post('/v1/end-users', { externalId: 'idem-4-taken' });
    const conflict = await api.post('/v1/end-users', { externalId: 'idem-4-taken' }, headers);
    expect(conflict.status).toBe(409);
    const again = await api.post('/v1/end-users', { externalId: 'idem-4-taken' }, headers);
    expect(again.status).toBe(409);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
  });

  it('applies to deactivate and reactivate, and rejects a malformed key', async () => {
    const user = (await api.post<EndUserResponse>('/v1/end-users', { externalId: 'idem-5' })).body.endUser;
    const first = await api.post<EndUserResponse>(`/v1/end-users/${user.id}/deactivate`, undefined, { 'idempotency-key': 'deact-5' });
    await api.post(`/v1/end-users/${user.id}/reactivate`);
    const replay = await api.post<EndUserResponse>(`/v1/end-users/${user.id}/deactivate`, undefined, { 'idempotency-key': 'deact-5' });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.endUser.status).toBe('DEACTIVATED');
    expect(first.raw).toBe(replay.raw);
    const bad = await api.post('/v1/end-users', { externalId: 'idem-6' }, { 'idempotency-key': 'x'.repeat(256) });
    expect(bad.error).toMatchObject({ code: 'parameter_invalid', param: 'Idempotency-Key' });
  });

  it('forgets a key after 24 hours: the same key then runs a new request', async () => {
    let clock = Date.parse('2026-06-15T12:00:00Z');
    const timed = await startServer({ now: () => clock });
    try {
      const t = clientFor(timed);
      const headers = { 'idempotency-key': 'ttl-key' };
      expect((await t.post('/v1/end-users', { externalId: 'ttl-1' }, headers)).status).toBe(201);
      clock += 24 * 3_600_000 - 1;
      expect((await t.post('/v1/end-users', { externalId: 'ttl-2' }, headers)).status).toBe(422);
      clock += 1;
      const fresh = await t.post<EndUserResponse>('/v1/end-users', { externalId: 'ttl-2' }, headers);
      expect(fresh.status).toBe(201);
      expect(fresh.headers['idempotent-replayed']).toBeUndefined();
      expect(fresh.body.endUser.externalId).toBe('ttl-2');
    } finally {
      await timed.close();
    }
  });
});
