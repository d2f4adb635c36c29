/**
 * Tenant isolation on every route. Tenant B owns an end user, a subscription and priced, attributed
 * events; tenant A, holding B's ids, gets 404 on every id route (through the SDK and raw HTTP, every
 * method), never sees B's rows in a list, query, aggregation, summary or cost breakdown, cannot
 * attach events or subscriptions to B's entities, and B's data is unchanged afterwards. Shared
 * idempotency keys (event keys and `Idempotency-Key` headers) never cross tenants either.
 */
import pino from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen, BearLumenNotFoundError, type EndUser, type Subscription } from '@bearlumen/node-sdk';
import { startServer, type StartedServer } from '../helpers/start-server';

let server: StartedServer;
let a: BearLumen;
let b: BearLumen;
let keyA: string;
let userB: EndUser;
let subB: Subscription;
let userA: EndUser;
const range = { startDate: '2000-01-01T00:00:00Z', endDate: '2100-01-01T00:00:00Z' };
const snapshotB = async (): Promise<unknown> => ({
  users: await b.endUsers.list(),
  subs: await b.subscriptions.list(),
  events: await b.usage.query({ limit: 1000 }),
  summary: await b.usage.summary(range),
  agents: await b.costAttribution.byAgent(range),
});
let before: unknown;

const client = (apiKey: string): BearLumen => new BearLumen({ apiKey, baseUrl: server.url, handleExit: false, logger: pino({ level: 'silent' }), batching: { flushIntervalMs: 5 } });

beforeAll(async () => {
  server = await startServer();
  keyA = await server.createKey('tenant-a');
  a = client(keyA);
  b = client(await server.createKey('tenant-b'));
  userB = (await b.endUsers.create({ externalId: 'shared-external-id', name: 'B user' }, { idempotencyKey: 'same-header-key' })).endUser;
  subB = await b.subscriptions.create({ userId: userB.id, pricingPlanId: 'plan_b', currentPeriodStart: new Date(Date.now() - 86_400_000).toISOString(), currentPeriodEnd: new Date(Date.now() + 86_400_000).toISOString() });
  await b.usage.recordBatch([
    { eventType: 'llm', metricName: 'llm_tokens_input', quantity: 1000, subscriptionId: subB.id, idempotencyKey: 'shared-event-key', agent_id: 'agent-b', workflow_id: 'wf-b', metadata: { model: 'gpt-4o', provider: 'openai' } },
    { eventType: 'llm', metricName: 'llm_tokens_output', quantity: 500, subscriptionId: subB.id, agent_id: 'agent-b', metadata: { model: 'gpt-4o', provider: 'openai' } },
  ]);
  userA = (await a.endUsers.create({ externalId: 'shared-external-id', name: 'A user' }, { idempotencyKey: 'same-header-key' })).endUser;
  await a.usage.recordBatch([{ eventType: 'llm', metricName: 'llm_tokens_input', quantity: 7, idempotencyKey: 'shared-event-key', agent_id: 'agent-a', workflow_id: 'wf-a', metadata: { model: 'gpt-4o', provider: 'openai' } }]);
  before = await snapshotB();
});

afterAll(async () => {
  await a?.shutdown();
  await b?.shutdown();
  await server?.close();
});

describe('security: tenant isolation', () => {
  it('shared externalId, Idempotency-Key header and event key stay per tenant', async () => {
    expect(userA.id).not.toBe(userB.id);
    expect(userA.name).toBe('A user');
    const events = await a.usage.query({ limit: 1000 });
    expect(events.events.map((e) => [e.idempotencyKey, e.quantity])).toEqual([['shared-event-key', 7]]);
  });

  it("every SDK method given B's ids answers 404 (BearLumenNotFoundError)", async () => {
    const calls: [string, () => Promise<unknown>][] = [
      ['endUsers.update', () => a.endUsers.update(userB.id, { name: 'hijacked' })],
      ['endUsers.deactivate', () => a.endUsers.deactivate(userB.id)],
      ['endUsers.reactivate', () => a.endUsers.reactivate(userB.id)],
      ['subscriptions.retrieve', () => a.subscriptions.retrieve(subB.id)],
      ['subscriptions.update', () => a.subscriptions.update(subB.id, { pricingPlanId: 'hijacked' })],
      ['subscriptions.cancel', () => a.subscriptions.cancel(subB.id)],
    ];
    for (const [name, call] of calls) await expect(call(), name).rejects.toBeInstanceOf(BearLumenNotFoundError);
  });

  it("every id route over raw HTTP, whatever the method, is a 404 for B's ids", async () => {
    const routes: [string, string][] = [
      ['GET', `/v1/end-users/${userB.id}`],
      ['PATCH', `/v1/end-users/${userB.id}`],
      ['POST', `/v1/end-users/${userB.id}/deactivate`],
      ['POST', `/v1/end-users/${userB.id}/reactivate`],
      ['GET', `/v1/subscriptions/${subB.id}`],
      ['PATCH', `/v1/subscriptions/${subB.id}`],
      ['POST', `/v1/subscriptions/${subB.id}/cancel`],
    ];
    for (const [method, path] of routes) {
      const res = await request(server.url + path, {
        method: method as 'GET',
        headers: { authorization: `Bearer ${keyA}`, ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) },
        body: method === 'GET' ? null : JSON.stringify(method !== 'PATCH' ? {} : path.includes('end-users') ? { name: 'x' } : { pricingPlanId: 'y' }),
      });
      const body = (await res.body.json()) as { error: { code: string }; requestId: string };
      expect([res.statusCode, body.error.code], `${method} ${path}`).toEqual([404, 'resource_not_found']);
    }
  });

  it("lists, queries, aggregations, summaries and cost attribution never include B's rows", async () => {
    const users = await a.endUsers.list();
    expect(users.endUsers.map((u) => u.id)).toEqual([userA.id]);
    expect([users.total, users.activeCount, users.deactivatedCount]).toEqual([1, 1, 0]);
    expect((await a.subscriptions.list()).data).toEqual([]);
    expect((await a.subscriptions.list({ userId: userB.id })).total).toBe(0);
    expect((await a.usage.query({ subscriptionId: subB.id })).total).toBe(0);
    expect((await a.usage.query({ agent_id: 'agent-b' })).total).toBe(0);

    const aggregation = await a.usage.aggregation(range);
    expect(aggregation.aggregations.map((r) => [r.metricName, r.totalQuantity, r.eventCount])).toEqual([['llm_tokens_input', 7, 1]]);
    const summary = await a.usage.summary(range);
    expect([summary.totalEvents, summary.inputTokens, summary.outputTokens]).toEqual([1, 7, 0]);
    expect((await a.usage.summary({ ...range, subscriptionId: subB.id })).totalEvents).toBe(0);

    const byAgent = await a.costAttribution.byAgent(range);
    const byWorkflow = await a.costAttribution.byWorkflow(range);
    expect(byAgent.items.map((i) => i.attributionValue)).toEqual(['agent-a']);
    expect(byWorkflow.items.map((i) => i.attributionValue)).toEqual(['wf-a']);
    expect(byAgent.totalCostNanoUsd).toBe(summary.totalCostNanoUsd);
    expect(byAgent.totalCostNanoUsd).toBeGreaterThan(0);
    // B's cost is far larger; A's total must not include any of it.
    const bSummary = await b.usage.summary(range);
    expect(bSummary.totalCostNanoUsd).toBeGreaterThan(byAgent.totalCostNanoUsd);
    expect((await a.costAttribution.byAgent({ ...range, subscriptionId: subB.id })).items).toEqual([]);
    expect((await a.costAttribution.listAgents(range)).values).toEqual(['agent-a']);
    expect((await a.costAttribution.listWorkflows(range)).values).toEqual(['wf-a']);
  });

  it("A cannot attach events or subscriptions to B's entities", async () => {
    await expect(a.usage.record({ eventType: 'llm', metricName: 'requests', quantity: 1, subscriptionId: subB.id })).rejects.toMatchObject({ status: 400, code: 'resource_missing' });
    await expect(a.usage.recordBatch([{ eventType: 'llm', metricName: 'requests', quantity: 1, subscriptionId: subB.id }])).rejects.toMatchObject({ status: 400 });
    const created = a.subscriptions.create({ userId: userB.id, pricingPlanId: 'p', currentPeriodStart: new Date().toISOString(), currentPeriodEnd: new Date(Date.now() + 1000).toISOString() });
    // The same answer as for a user that does not exist: B's user is invisible to A.
    await expect(created).rejects.toMatchObject({ status: 400, code: 'resource_missing', param: 'userId' });
    expect((await a.subscriptions.list()).total).toBe(0);
    expect((await a.usage.query()).total).toBe(1);
  });

  it("B's data is unchanged after all of A's attempts", async () => {
    expect(await snapshotB()).toEqual(before);
    expect((await b.subscriptions.retrieve(subB.id)).status).toBe('ACTIVE');
  });
});
