/**
 * Requests outside the batch pipeline under a lost response: `usage.recordBatch` and the create POSTs
 * are retried by the transport with the same event keys / the same `Idempotency-Key`, so the server
 * never creates or counts twice.
 */
import { describe, expect, it } from 'vitest';
import { BearLumen, BearLumenConnectionError, BearLumenServerError } from '@bearlumen/node-sdk';
import { ROUTES } from '../../src/protocol/routes';
import { readStoredEvents, summarize, tenantIdOf } from '../helpers/stored-events';
import { silentLogger, useProxiedServer } from './fault-kit';

const env = useProxiedServer();

async function clientFor(tenant: string): Promise<{ client: BearLumen; apiKey: string }> {
  const apiKey = await env.server.createKey(tenant);
  return { apiKey, client: new BearLumen({ apiKey, baseUrl: env.proxy.url, timeout: 2000, maxRetries: 3, handleExit: false, logger: silentLogger }) };
}

describe('fault: lost responses to single requests', () => {
  it('recordBatch without keys: the response is lost after commit, the retry is skipped, stored once', async () => {
    env.proxy.reset();
    const { client, apiKey } = await clientFor('record-batch-lost');
    env.proxy.enqueue({ kind: 'reset-after' }, ROUTES.usageBatch);
    const events = Array.from({ length: 30 }, (_, i) => ({ eventType: 'fault_test', metricName: 'requests', quantity: i + 1, metadata: { n: `rb-${i}` } }));
    const result = await client.usage.recordBatch(events);
    await client.shutdown();

    expect(env.proxy.log.map((e) => e.action)).toEqual(['reset-after', 'forward']);
    expect(result).toMatchObject({ recordedCount: 0, skippedCount: 30 });
    const stored = summarize(await readStoredEvents(env.server.store, await tenantIdOf(env.server.store, apiKey)));
    expect(stored.rows).toBe(30);
    expect(stored.quantitySum).toBe(465);
    expect(result.results.map((r) => r.eventId).sort()).toEqual([...stored.byKey.values()].map((rows) => rows[0]?.eventId).sort());
  });

  it('with maxRetries 0, a connection reset before any response (a stale keep-alive socket) is retried once, and only once', async () => {
    env.proxy.reset();
    const apiKey = await env.server.createKey('stale-socket');
    const client = new BearLumen({ apiKey, baseUrl: env.proxy.url, timeout: 2000, maxRetries: 0, handleExit: false, logger: silentLogger });
    env.proxy.enqueue({ kind: 'reset-before' }, (req) => req.method === 'POST');
    const { endUser } = await client.endUsers.create({ externalId: 'stale-socket-user' });
    expect(endUser.externalId).toBe('stale-socket-user');
    expect(env.proxy.log.map((e) => e.action)).toEqual(['reset-before', 'forward']);

    env.proxy.reset();
    env.proxy.enqueue([{ kind: 'reset-before' }, { kind: 'reset-before' }], ROUTES.endUsers);
    await expect(client.endUsers.list()).rejects.toBeInstanceOf(BearLumenConnectionError);
    expect(env.proxy.log.map((e) => e.action)).toEqual(['reset-before', 'reset-before']);
    // A 503 is no stale socket: maxRetries 0 means one attempt.
    env.proxy.reset();
    env.proxy.enqueue({ kind: 'status', status: 503 }, ROUTES.endUsers);
    await expect(client.endUsers.list()).rejects.toBeInstanceOf(BearLumenServerError);
    expect(env.proxy.log).toHaveLength(1);
    await client.shutdown();
  });

  it('endUsers.create and subscriptions.create: a lost response replays, one entity each', async () => {
    env.proxy.reset();
    const { client } = await clientFor('create-lost');
    env.proxy.enqueue({ kind: 'reset-after' }, (req) => req.method === 'POST');
    const { endUser } = await client.endUsers.create({ externalId: 'lost-response-user' });
    env.proxy.enqueue({ kind: 'forward-then-status', status: 502 }, (req) => req.method === 'POST');
    const subscription = await client.subscriptions.create({
      userId: endUser.id,
      pricingPlanId: 'plan_pro',
      currentPeriodStart: new Date().toISOString(),
      currentPeriodEnd: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const users = await client.endUsers.list();
    const subscriptions = await client.subscriptions.list();
    await client.shutdown();

    expect(env.proxy.log.filter((e) => e.method === 'POST').map((e) => [e.action, e.upstreamStatus])).toEqual([
      ['reset-after', 201],
      ['forward', 201],
      ['forward-then-status', 201],
      ['forward', 201],
    ]);
    expect(users.endUsers.map((u) => u.id)).toEqual([endUser.id]);
    expect(subscriptions.data.map((s) => s.id)).toEqual([subscription.id]);
  });
});
