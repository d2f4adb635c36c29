import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndUserResponse, Subscription, SubscriptionListResponse } from '../../../src/protocol/types';
import { startServer, type StartedServer } from '../../helpers/start-server';
import { clientFor } from './inject';

let server: StartedServer;
let api: ReturnType<typeof clientFor>;
let userId: string;
const period = { currentPeriodStart: '2026-11-01T00:00:00Z', currentPeriodEnd: '2026-12-01T00:00:00Z' };

beforeAll(async () => {
  server = await startServer();
  api = clientFor(server);
  userId = (await api.post<EndUserResponse>('/v1/end-users', { externalId: 'sub-owner' })).body.endUser.id;
});
afterAll(async () => server.close());

describe('subscriptions', () => {
  it('create → retrieve → update → cancel', async () => {
    const created = await api.post<Subscription>('/v1/subscriptions', { userId, pricingPlanId: 'plan_pro', ...period, stripeSubscriptionId: 'sub_stripe_1', metadata: { source: 'self-serve' } });
    expect(created.status).toBe(201);
    const sub = created.body;
    expect(sub).toMatchObject({
      userId,
      pricingPlanId: 'plan_pro',
      status: 'ACTIVE',
      currentPeriodStart: '2026-11-01T00:00:00.000Z',
      currentPeriodEnd: '2026-12-01T00:00:00.000Z',
      stripeSubscriptionId: 'sub_stripe_1',
      metadata: { source: 'self-serve' },
      canceledAt: null,
    });
    expect(sub.id).toMatch(/^sub_/);
    expect((await api.get<Subscription>(`/v1/subscriptions/${sub.id}`)).body).toEqual(sub);

    const updated = await api.patch<Subscription>(`/v1/subscriptions/${sub.id}`, { pricingPlanId: 'plan_enterprise', stripeSubscriptionId: null });
    expect(updated.body).toMatchObject({ pricingPlanId: 'plan_enterprise', stripeSubscriptionId: null, metadata: { source: 'self-serve' } });

    const canceled = await api.post<Subscription>(`/v1/subscriptions/${sub.id}/cancel`);
    expect(canceled.body.status).toBe('CANCELED');
    expect(canceled.body.canceledAt).not.toBeNull();
    const twice = await api.post<Subscription>(`/v1/subscriptions/${sub.id}/cancel`);
    expect(twice.body.canceledAt).toBe(canceled.body.canceledAt);
  });

  it.each([
    [{ pricingPlanId: 'p', ...period }, 'parameter_missing', 'userId'],
    [{ userId: 'eu_x', ...period }, 'parameter_missing', 'pricingPlanId'],
    [{ userId: 'eu_x', pricingPlanId: 'p', currentPeriodEnd: period.currentPeriodEnd }, 'parameter_missing', 'currentPeriodStart'],
    [{ userId: 'eu_x', pricingPlanId: 'p', ...period, currentPeriodStart: 'yesterday' }, 'parameter_invalid', 'currentPeriodStart'],
    [{ userId: 'eu_x', pricingPlanId: '', ...period }, 'parameter_invalid', 'pricingPlanId'],
    [{ userId: 'eu_x', pricingPlanId: 'p', ...period, status: 'ACTIVE' }, 'parameter_invalid', 'status'],
  ])('create %j → 400 %s on %s', async (body, code, param) => {
    const res = await api.post('/v1/subscriptions', body);
    expect(res.status).toBe(400);
    expect(res.error).toMatchObject({ code, param });
  });

  it('rejects an end of period before its start, and an unknown end user', async () => {
    const reversed = await api.post('/v1/subscriptions', { userId, pricingPlanId: 'p', currentPeriodStart: period.currentPeriodEnd, currentPeriodEnd: period.currentPeriodStart });
    expect(reversed.error).toMatchObject({ code: 'parameter_invalid', param: 'currentPeriodEnd' });
    const unknown = await api.post('/v1/subscriptions', { userId: 'eu_nobody', pricingPlanId: 'p', ...period });
    expect(unknown.error).toMatchObject({ code: 'resource_missing', param: 'userId' });
    const sub = (await api.post<Subscription>('/v1/subscriptions', { userId, pricingPlanId: 'p', ...period })).body;
    const badUpdate = await api.patch(`/v1/subscriptions/${sub.id}`, { currentPeriodEnd: '2026-10-01T00:00:00Z' });
    expect(badUpdate.error).toMatchObject({ code: 'parameter_invalid', param: 'currentPeriodEnd' });
  });

  it('Idempotency-Key: create and cancel replay, a different body is 422', async () => {
    const body = { userId, pricingPlanId: 'plan_idem', ...period };
    const a = await api.post<Subscription>('/v1/subscriptions', body, { 'idempotency-key': 'sub-create-1' });
    const b = await api.post<Subscription>('/v1/subscriptions', body, { 'idempotency-key': 'sub-create-1' });
    expect(b.body.id).toBe(a.body.id);
    expect(b.headers['idempotent-replayed']).toBe('true');
    const c = await api.post('/v1/subscriptions', { ...body, pricingPlanId: 'other' }, { 'idempotency-key': 'sub-create-1' });
    expect(c.status).toBe(422);
    expect(c.error?.code).toBe('idempotency_key_reused');
    const list = (await api.get<SubscriptionListResponse>('/v1/subscriptions?limit=1000')).body.data.filter((s) => s.pricingPlanId === 'plan_idem');
    expect(list).toHaveLength(1);

    const cancel1 = await api.post<Subscription>(`/v1/subscriptions/${a.body.id}/cancel`, undefined, { 'idempotency-key': 'sub-cancel-1' });
    const cancel2 = await api.post<Subscription>(`/v1/subscriptions/${a.body.id}/cancel`, undefined, { 'idempotency-key': 'sub-cancel-1' });
    expect(cancel2.raw).toBe(cancel1.raw);
    expect(cancel2.headers['idempotent-replayed']).toBe('true');
  });

  it('lists with userId and status filters, and pagination bounds', async () => {
    const other = (await api.post<EndUserResponse>('/v1/end-users', { externalId: 'sub-other' })).body.endUser.id;
    const mine = (await api.post<Subscription>('/v1/subscriptions', { userId: other, pricingPlanId: 'p1', ...period })).body;
    await api.post('/v1/subscriptions', { userId: other, pricingPlanId: 'p2', ...period });
    await api.post(`/v1/subscriptions/${mine.id}/cancel`);
    const byUser = (await api.get<SubscriptionListResponse>(`/v1/subscriptions?userId=${other}`)).body;
    expect(byUser.total).toBe(2);
    expect(byUser.data.map((s) => s.pricingPlanId)).toEqual(['p1', 'p2']);
    const canceled = (await api.get<SubscriptionListResponse>(`/v1/subscriptions?userId=${other}&status=CANCELED`)).body;
    expect(canceled.data.map((s) => s.id)).toEqual([mine.id]);
    const page = (await api.get<SubscriptionListResponse>(`/v1/subscriptions?userId=${other}&limit=1&offset=1`)).body;
    expect(page).toMatchObject({ total: 2, limit: 1, offset: 1 });
    expect(page.data.map((s) => s.pricingPlanId)).toEqual(['p2']);
    expect((await api.get<SubscriptionListResponse>(`/v1/subscriptions?offset=10000`)).body.data).toEqual([]);
    for (const q of ['limit=0', 'limit=1001', 'offset=-1', 'status=PAUSED']) expect((await api.get(`/v1/subscriptions?${q}`)).status).toBe(400);
  });

  it('unknown ids are 404', async () => {
    expect((await api.get('/v1/subscriptions/sub_nope')).error?.code).toBe('resource_not_found');
    expect((await api.post('/v1/subscriptions/sub_nope/cancel')).status).toBe(404);
    expect((await api.patch('/v1/subscriptions/sub_nope', { pricingPlanId: 'x' })).status).toBe(404);
  });
});
