import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen, BearLumenApiError, BearLumenNotFoundError, type Subscription } from '@bearlumen/node-sdk';
import { startServer, type StartedServer } from '../helpers/start-server';

let server: StartedServer;
let client: BearLumen;
let other: BearLumen;
let userId = '';
const DAY = 86_400_000;
const period = (startOffsetDays = 0) => ({
  currentPeriodStart: new Date(Date.now() + startOffsetDays * DAY).toISOString(),
  currentPeriodEnd: new Date(Date.now() + (startOffsetDays + 30) * DAY).toISOString(),
});

beforeAll(async () => {
  server = await startServer();
  client = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false });
  other = new BearLumen({ apiKey: await server.createKey('other-tenant'), baseUrl: server.url, handleExit: false });
  userId = (await client.endUsers.create({ externalId: 'sub-owner' })).endUser.id;
});

afterAll(async () => {
  await client?.shutdown();
  await other?.shutdown();
  await server?.close();
});

describe('subscriptions', () => {
  it('create: only required params', async () => {
    const sub = await client.subscriptions.create({ userId, pricingPlanId: 'plan_basic', ...period() });
    expect(sub).toMatchObject({ userId, pricingPlanId: 'plan_basic', status: 'ACTIVE', stripeSubscriptionId: null, metadata: {}, canceledAt: null });
    expect(sub.id).toMatch(/^sub_/);
  });

  it('create and update accept date-only ISO 8601 periods, as 00:00 UTC, on the SDK and the server', async () => {
    const sub = await client.subscriptions.create({ userId, pricingPlanId: 'plan_dates', currentPeriodStart: '2024-01-01', currentPeriodEnd: '2024-02-01' });
    expect(sub).toMatchObject({ currentPeriodStart: '2024-01-01T00:00:00.000Z', currentPeriodEnd: '2024-02-01T00:00:00.000Z' });
    const updated = await client.subscriptions.update(sub.id, { currentPeriodEnd: '2024-03-01' });
    expect(updated.currentPeriodEnd).toBe('2024-03-01T00:00:00.000Z');
    // The server on its own too (no SDK validation in front of it), and it still refuses a date that does not exist.
    const post = (body: object): Promise<Response> =>
      fetch(`${server.url}/v1/subscriptions`, { method: 'POST', headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const direct = await post({ userId, pricingPlanId: 'plan_dates', currentPeriodStart: '2024-05-01', currentPeriodEnd: '2024-06-01T00:00:00Z' });
    expect(direct.status).toBe(201);
    expect(await direct.json()).toMatchObject({ currentPeriodStart: '2024-05-01T00:00:00.000Z' });
    const invalid = await post({ userId, pricingPlanId: 'plan_dates', currentPeriodStart: '2024-02-30', currentPeriodEnd: '2024-06-01' });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: { param: 'currentPeriodStart' } });
  });

  it('create: for an end user the tenant does not have is refused by the server', async () => {
    const error = await client.subscriptions.create({ userId: 'eu_doesnotexist', pricingPlanId: 'p', ...period() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BearLumenApiError);
    expect((error as BearLumenApiError).status).toBeGreaterThanOrEqual(400);
    expect((error as BearLumenApiError).status).toBeLessThan(500);
  });

  it('retrieve, update and cancel', async () => {
    const created = await client.subscriptions.create({ userId, pricingPlanId: 'plan_pro', ...period(), stripeSubscriptionId: 'sub_stripe_1', metadata: { a: 1 } });
    expect(await client.subscriptions.retrieve(created.id)).toEqual(created);
    const next = period(30);
    const updated = await client.subscriptions.update(created.id, { pricingPlanId: 'plan_team', ...next, stripeSubscriptionId: null });
    expect(updated).toMatchObject({ pricingPlanId: 'plan_team', stripeSubscriptionId: null });
    expect(Date.parse(updated.currentPeriodStart)).toBe(Date.parse(next.currentPeriodStart));
    const canceled = await client.subscriptions.cancel(created.id);
    expect(canceled.status).toBe('CANCELED');
  });

  it("another tenant's subscription is 404 for retrieve, update and cancel", async () => {
    const sub = await client.subscriptions.create({ userId, pricingPlanId: 'plan_private', ...period() });
    for (const call of [
      () => other.subscriptions.retrieve(sub.id),
      () => other.subscriptions.update(sub.id, { pricingPlanId: 'x' }),
      () => other.subscriptions.cancel(sub.id),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BearLumenNotFoundError);
      expect((error as BearLumenNotFoundError).requestId).toMatch(/^req_/);
    }
    expect((await client.subscriptions.retrieve(sub.id)).status).toBe('ACTIVE');
  });

  it('list filters by userId and status; iterate pages through all of them', async () => {
    const second = (await client.endUsers.create({ externalId: 'sub-owner-2' })).endUser.id;
    const mine: Subscription[] = [];
    for (let i = 0; i < 5; i++) mine.push(await client.subscriptions.create({ userId: second, pricingPlanId: `plan_${i}`, ...period() }));
    await client.subscriptions.cancel(mine[1]?.id as string);
    const listed = await client.subscriptions.list({ userId: second, limit: 2, offset: 0 });
    expect(listed).toMatchObject({ total: 5, limit: 2, offset: 0 });
    expect(listed.data).toHaveLength(2);
    expect((await client.subscriptions.list({ userId: second, status: 'CANCELED' })).data.map((s) => s.id)).toEqual([mine[1]?.id]);
    expect((await client.subscriptions.list({ userId: second, offset: 5 })).data).toEqual([]);
    const iterated: string[] = [];
    for await (const sub of client.subscriptions.iterate({ userId: second, limit: 2 })) iterated.push(sub.id);
    expect(iterated.sort()).toEqual(mine.map((s) => s.id).sort());
    expect((await other.subscriptions.list()).total).toBe(0);
  });
});
