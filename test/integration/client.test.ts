import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  BearLumen,
  BearLumenAuthenticationError,
  BearLumenClosedError,
  type PipelineEventMap,
} from '@bearlumen/node-sdk';
import { startServer, type StartedServer } from '../helpers/start-server';

let server: StartedServer;
const range = { startDate: '2024-01-01', endDate: '2024-01-31' };
const event = { eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: 10 };

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.close();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('authentication', () => {
  it('a wrong key is a BearLumenAuthenticationError with the request id, never retried, never quoting the key', async () => {
    const wrongKey = 'bl_test_wrongwrongwrongwrong0';
    const client = new BearLumen({ apiKey: wrongKey, baseUrl: server.url, handleExit: false, batching: { flushIntervalMs: 10, maxRetryDurationMs: 0 } });
    const error = await client.endUsers.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BearLumenAuthenticationError);
    const auth = error as BearLumenAuthenticationError;
    expect(auth.status).toBe(401);
    expect(auth.requestId).toMatch(/^req_/);
    expect(auth.code).toMatch(/^api_key_/);
    expect(auth.message).not.toContain(wrongKey);
    expect(JSON.stringify(auth)).not.toContain(wrongKey);
    await expect(client.usage.record(event)).rejects.toBeInstanceOf(BearLumenAuthenticationError);
    await client.shutdown();
  });

  it('reads BEARLUMEN_API_KEY when apiKey is not given', async () => {
    vi.stubEnv('BEARLUMEN_API_KEY', server.apiKey);
    const client = new BearLumen({ baseUrl: server.url, handleExit: false });
    expect((await client.endUsers.list()).total).toBeGreaterThanOrEqual(0);
    await client.shutdown();
  });
});

describe('lifecycle', () => {
  it('shutdown reports every recorded event, runs once, and then every method but flush() rejects with BearLumenClosedError', async () => {
    const client = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false });
    const flushes: PipelineEventMap['flush'][] = [];
    client.on('flush', (payload) => flushes.push(payload));
    const pending = Array.from({ length: 5 }, (_, i) => client.usage.record({ ...event, idempotencyKey: `life-${i}` }));
    const report = await client.shutdown();
    await Promise.all(pending);
    expect(report).toMatchObject({ delivered: 5, duplicates: 0, failed: 0, dropped: 0, unsent: [] });
    expect(flushes.reduce((n, f) => n + f.count, 0)).toBe(5);
    expect(client.stats()).toMatchObject({ delivered: 5, buffered: 0, inFlight: 0 });
    expect(await client.shutdown()).toBe(report);

    const calls: (() => Promise<unknown>)[] = [
      () => client.endUsers.create({ externalId: 'x' }),
      () => client.endUsers.update('eu_1', { name: 'x' }),
      () => client.endUsers.list(),
      () => client.endUsers.deactivate('eu_1'),
      () => client.endUsers.reactivate('eu_1'),
      () => client.subscriptions.create({ userId: 'eu_1', pricingPlanId: 'p', currentPeriodStart: '2025-01-01T00:00:00Z', currentPeriodEnd: '2025-02-01T00:00:00Z' }),
      () => client.subscriptions.retrieve('sub_1'),
      () => client.subscriptions.update('sub_1', {}),
      () => client.subscriptions.cancel('sub_1'),
      () => client.subscriptions.list(),
      () => client.usage.record(event),
      () => client.usage.recordBatch([event]),
      () => client.usage.query(),
      () => client.usage.aggregation(),
      () => client.usage.summary(),
      () => client.costAttribution.byAgent(range),
      () => client.costAttribution.byWorkflow(range),
      () => client.costAttribution.listAgents(range),
      () => client.costAttribution.listWorkflows(range),
      () => client.endUsers.iterate().next(),
    ];
    for (const call of calls) await expect(call()).rejects.toBeInstanceOf(BearLumenClosedError);
    // flush() alone resolves: after (or during) shutdown there is nothing left for it to wait for.
    await expect(client.flush()).resolves.toBeUndefined();
  });

  it('flush() settles everything recorded before it', async () => {
    const client = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false, batching: { flushIntervalMs: 60_000 } });
    const pending = Array.from({ length: 3 }, (_, i) => client.usage.record({ ...event, idempotencyKey: `flush-${i}` }));
    expect(client.stats().buffered).toBe(3);
    await client.flush();
    expect(client.stats()).toMatchObject({ buffered: 0, delivered: 3 });
    expect((await Promise.all(pending)).every((r) => r.recorded)).toBe(true);
    await client.shutdown();
  });

  it('batching: false sends each record on its own with the same results', async () => {
    const client = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false, batching: false });
    const first = await client.usage.record({ ...event, idempotencyKey: 'direct-1' });
    expect(first.recorded).toBe(true);
    expect(await client.usage.record({ ...event, idempotencyKey: 'direct-1' })).toEqual({ eventId: first.eventId, recorded: false });
    await client.shutdown();
  });

  it("works through the user's own Dispatcher and leaves it open on shutdown", async () => {
    const agent = new Agent({ connections: 2 });
    const client = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false, dispatcher: agent });
    expect((await client.endUsers.list()).limit).toBe(100);
    await client.shutdown();
    const health = await request(`${server.url}/healthz`, { dispatcher: agent });
    expect(health.statusCode).toBe(200);
    await health.body.dump();
    await agent.close();
  });

  it('a validation failure rejects the returned promise (standard async semantics) and buffers nothing', async () => {
    const client = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false });
    const promise = client.usage.record({ ...event, quantity: -1 });
    expect(promise).toBeInstanceOf(Promise);
    await expect(promise).rejects.toThrow(/^quantity must be/);
    expect(client.stats()).toMatchObject({ buffered: 0, inFlight: 0 });
    await client.shutdown();
  });
});
