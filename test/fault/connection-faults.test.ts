/**
 * Faults below HTTP: the connection is reset before the server sees the request, reset after the
 * server committed (the response is lost), or the request stalls past the client's timeout (and, in
 * the worst case, reaches the server after the client has already retried). Every event ends up
 * stored exactly once, and a lost response comes back as a duplicate, never as a second row.
 */
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/protocol/routes';
import { expectExactlyOnce, fastClient, recordMany, useProxiedServer } from './fault-kit';

const env = useProxiedServer();

describe('fault: connection resets and stalls', () => {
  it('reset before forwarding: the server never saw it, the retry records every event once', async () => {
    env.proxy.reset();
    const apiKey = await env.server.createKey('reset-before');
    env.proxy.enqueue([{ kind: 'reset-before' }, { kind: 'reset-before' }], ROUTES.usageBatch);
    const client = fastClient(env.proxy.url, apiKey, { maxBatchSize: 20 });
    const recorded = recordMany(client, 60, 'rb');
    const report = await client.shutdown();

    expect(env.proxy.log.filter((e) => e.action === 'reset-before')).toHaveLength(2);
    expect(report).toMatchObject({ delivered: 60, duplicates: 0, failed: 0, dropped: 0 });
    await expectExactlyOnce(env.server.store, apiKey, recorded);
  });

  it('reset after the server committed (response lost): the retry is answered as duplicates, stored once', async () => {
    env.proxy.reset();
    const apiKey = await env.server.createKey('reset-after');
    env.proxy.enqueue({ kind: 'reset-after' }, ROUTES.usageBatch);
    const client = fastClient(env.proxy.url, apiKey, { maxBatchSize: 1000, flushIntervalMs: 50 });
    const recorded = recordMany(client, 60, 'ra');
    const report = await client.shutdown();

    const lost = env.proxy.log.filter((e) => e.action === 'reset-after');
    expect(lost).toHaveLength(1);
    expect(lost[0]?.upstreamStatus).toBe(200);
    // Every event of the lost batch comes back recorded: false, with the id of the row stored the first time.
    const results = await Promise.all(recorded.map((r) => r.promise));
    const lostEvents = results.filter((r) => !r.recorded).length;
    expect(lostEvents).toBeGreaterThan(0);
    expect(report).toMatchObject({ delivered: 60 - lostEvents, duplicates: lostEvents, failed: 0, dropped: 0 });
    await expectExactlyOnce(env.server.store, apiKey, recorded);
  });

  it('stall past the client timeout, then reach the server anyway: stored once', async () => {
    env.proxy.reset();
    const apiKey = await env.server.createKey('stall-then-forward');
    env.proxy.enqueue({ kind: 'stall', ms: 700, thenForward: true }, ROUTES.usageBatch);
    const client = fastClient(env.proxy.url, apiKey, { maxBatchSize: 1000, flushIntervalMs: 50 }, 300);
    const recorded = recordMany(client, 40, 'st');
    const report = await client.shutdown();
    // Let the stalled request reach the server, so the check sees its effect (a duplicate skip). Bounded.
    for (let waited = 0; env.proxy.log.find((e) => e.action === 'stall')?.upstreamStatus == null && waited < 5000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    expect(env.proxy.log.find((e) => e.action === 'stall')?.upstreamStatus).toBe(200);
    expect(client.stats().lastError?.code).toBe('timeout');
    expect(report.delivered + report.duplicates).toBe(40);
    expect(report).toMatchObject({ failed: 0, dropped: 0 });
    await expectExactlyOnce(env.server.store, apiKey, recorded);
  });

  it('headers arrive but the body stalls past the timeout (after commit): the retry is a duplicate, stored once', async () => {
    env.proxy.reset();
    const apiKey = await env.server.createKey('slow-body');
    env.proxy.enqueue({ kind: 'slow-body', ms: 1500 }, ROUTES.usageBatch);
    const client = fastClient(env.proxy.url, apiKey, { flushIntervalMs: 20 }, 300);
    const recorded = recordMany(client, 30, 'sb');
    const report = await client.shutdown();

    expect(env.proxy.log[0]).toMatchObject({ action: 'slow-body', upstreamStatus: 200, status: 200 });
    expect(client.stats().lastError?.code).toBe('timeout');
    expect(report).toMatchObject({ delivered: 0, duplicates: 30, failed: 0, dropped: 0 });
    await expectExactlyOnce(env.server.store, apiKey, recorded);
  });

  it('stall without an answer ever: the client times out, retries, and records once', async () => {
    env.proxy.reset();
    const apiKey = await env.server.createKey('stall-forever');
    env.proxy.enqueue([{ kind: 'stall', ms: 5000 }, { kind: 'stall', ms: 5000 }], ROUTES.usageBatch);
    const client = fastClient(env.proxy.url, apiKey, { maxBatchSize: 15 }, 250);
    const recorded = recordMany(client, 30, 'sf');
    const report = await client.shutdown();

    expect(env.proxy.log.filter((e) => e.action === 'stall')).toHaveLength(2);
    expect(report).toMatchObject({ delivered: 30, duplicates: 0, failed: 0, dropped: 0 });
    await expectExactlyOnce(env.server.store, apiKey, recorded);
  });
});
