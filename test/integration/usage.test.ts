import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen, BearLumenInvalidRequestError, type UsageRecordInput } from '@bearlumen/node-sdk';
import { startServer, type StartedServer } from '../helpers/start-server';
import { startPipelineProxy } from './pipeline-proxy';

let server: StartedServer;
let client: BearLumen;
let subscriptionId = '';
const event = (quantity: number, extra: Partial<UsageRecordInput> = {}): UsageRecordInput => ({ eventType: 'token_usage', metricName: 'llm_tokens_input', quantity, ...extra });

beforeAll(async () => {
  server = await startServer();
  client = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false, batching: { flushIntervalMs: 20 } });
  const userId = (await client.endUsers.create({ externalId: 'usage-owner' })).endUser.id;
  subscriptionId = (
    await client.subscriptions.create({
      userId,
      pricingPlanId: 'plan',
      currentPeriodStart: new Date(Date.now() - 86_400_000).toISOString(),
      currentPeriodEnd: new Date(Date.now() + 29 * 86_400_000).toISOString(),
    })
  ).id;
});

afterAll(async () => {
  await client?.shutdown();
  await server?.close();
});

describe('usage.record', () => {
  it('resolves { eventId, recorded } once its batch is acknowledged; a repeated key is a duplicate', async () => {
    const [a, b] = await Promise.all([client.usage.record(event(10, { idempotencyKey: 'rec-1' })), client.usage.record(event(20, { idempotencyKey: 'rec-2' }))]);
    expect(a.recorded && b.recorded).toBe(true);
    expect(a.eventId).not.toBe(b.eventId);
    expect(await client.usage.record(event(10, { idempotencyKey: 'rec-1' }))).toEqual({ eventId: a.eventId, recorded: false });
  });

  it('stores the given timestamp, and folds agent_id / workflow_id over metadata keys of the same name', async () => {
    const timestamp = new Date(Date.now() - 3 * 86_400_000).toISOString();
    const { eventId } = await client.usage.record(
      event(7, { idempotencyKey: 'rec-fold', timestamp, agent_id: 'explicit-agent', workflow_id: 'wf', metadata: { agent_id: 'meta-agent', model: 'gpt-4o', provider: 'openai' } }),
    );
    const { events } = await client.usage.query({ agent_id: 'explicit-agent' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ eventId, quantity: 7, metadata: { agent_id: 'explicit-agent', workflow_id: 'wf', model: 'gpt-4o' } });
    expect(Date.parse(events[0]?.timestamp as string)).toBe(Date.parse(timestamp));
    expect((await client.usage.query({ agent_id: 'meta-agent' })).total).toBe(0);
  });

  it('without a key, the SDK stamps one so the event is stored once', async () => {
    const { eventId } = await client.usage.record(event(3, { agent_id: 'stamp-check' }));
    const { events } = await client.usage.query({ agent_id: 'stamp-check' });
    expect(events.map((e) => e.eventId)).toEqual([eventId]);
    expect(events[0]?.idempotencyKey.length).toBeGreaterThan(0);
  });

  it('an event the server refuses (unknown subscription) rejects only its own promise', async () => {
    const results = await Promise.allSettled([
      client.usage.record(event(1, { idempotencyKey: 'ok-a', subscriptionId })),
      client.usage.record(event(1, { idempotencyKey: 'bad-b', subscriptionId: 'sub_nope' })),
      client.usage.record(event(1, { idempotencyKey: 'ok-c' })),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(BearLumenInvalidRequestError);
  });
});

describe('usage.recordBatch', () => {
  it('records all events and reports per-event results; the same keys again are skipped', async () => {
    const events = [event(1, { idempotencyKey: 'b-1' }), event(2, { idempotencyKey: 'b-2' }), event(3, { idempotencyKey: 'b-3' })];
    const first = await client.usage.recordBatch(events);
    expect(first).toMatchObject({ recordedCount: 3, skippedCount: 0 });
    expect(first.results.every((r) => r.recorded)).toBe(true);
    const again = await client.usage.recordBatch(events);
    expect(again).toMatchObject({ recordedCount: 0, skippedCount: 3 });
    expect(again.results.map((r) => r.eventId)).toEqual(first.results.map((r) => r.eventId));
  });

  it('gives keyless events a key before sending, and does not mutate the input', async () => {
    const events = [event(5, { agent_id: 'batch-keyless' }), event(6, { agent_id: 'batch-keyless' })];
    const result = await client.usage.recordBatch(events);
    expect(result.recordedCount).toBe(2);
    expect(events[0]).not.toHaveProperty('idempotencyKey');
    const stored = await client.usage.query({ agent_id: 'batch-keyless' });
    expect(new Set(stored.events.map((e) => e.idempotencyKey)).size).toBe(2);
  });

  it('sends 1000 events with metadata in one gzip-compressed request', async () => {
    const proxy = await startPipelineProxy(server.url);
    const proxied = new BearLumen({ apiKey: server.apiKey, baseUrl: proxy.url, handleExit: false });
    const events = Array.from({ length: 1000 }, (_, i) =>
      event(i, { idempotencyKey: `big-${i}`, workflow_id: 'big-batch', metadata: { model: 'gpt-4o', provider: 'openai', note: 'x'.repeat(40) } }),
    );
    try {
      const result = await proxied.usage.recordBatch(events);
      expect(result).toMatchObject({ recordedCount: 1000, skippedCount: 0 });
      expect(proxy.requests).toEqual([{ method: 'POST', path: '/v1/usage/events/batch', contentEncoding: 'gzip' }]);
    } finally {
      await proxied.shutdown();
      await proxy.close();
    }
    expect((await client.usage.query({ workflow_id: 'big-batch', limit: 1 })).total).toBe(1000);
  });

  it('a batch with a bad subscription is refused whole, naming the index', async () => {
    const error = await client.usage.recordBatch([event(1, { idempotencyKey: 'v-0' }), event(1, { idempotencyKey: 'v-1', subscriptionId: 'sub_missing' })]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BearLumenInvalidRequestError);
    const api = error as BearLumenInvalidRequestError;
    expect(api.code).toBe('batch_validation_failed');
    expect(api.details?.map((d) => d.index)).toEqual([1]);
    expect((await client.usage.recordBatch([event(1, { idempotencyKey: 'v-0' })])).recordedCount).toBe(1);
  });
});

describe('usage queries', () => {
  beforeAll(async () => {
    await client.usage.recordBatch(
      Array.from({ length: 25 }, (_, i) => ({ eventType: 'api_call', metricName: 'requests', quantity: 1, subscriptionId, idempotencyKey: `q-${i}` })),
    );
  });

  it('query filters and pages; iterate walks every page', async () => {
    const page = await client.usage.query({ subscriptionId, metricName: 'requests', limit: 10, offset: 20 });
    expect(page).toMatchObject({ total: 25, limit: 10, offset: 20 });
    expect(page.events).toHaveLength(5);
    const keys: string[] = [];
    for await (const e of client.usage.iterate({ subscriptionId, metricName: 'requests', limit: 10 })) keys.push(e.idempotencyKey);
    expect(keys.sort()).toEqual(Array.from({ length: 25 }, (_, i) => `q-${i}`).sort());
  });

  it('aggregation per metric and per DAY window; summary totals', async () => {
    const all = await client.usage.aggregation({ subscriptionId, metricName: 'requests' });
    expect(all.windowSize).toBeNull();
    expect(all.aggregations).toMatchObject([{ metricName: 'requests', totalQuantity: 25, eventCount: 25 }]);
    const daily = await client.usage.aggregation({ subscriptionId, metricName: 'requests', windowSize: 'DAY' });
    expect(daily.windowSize).toBe('DAY');
    expect(daily.aggregations.reduce((n, a) => n + a.eventCount, 0)).toBe(25);
    const summary = await client.usage.summary({ subscriptionId, eventType: 'api_call' });
    expect(summary).toMatchObject({ totalEvents: 25, metricCount: 1 });
  });

  it('a range entirely before any event is empty', async () => {
    expect((await client.usage.query({ startDate: '2020-01-01', endDate: '2020-01-02' })).total).toBe(0);
  });
});
