/**
 * 429 with `Retry-After`, in seconds and as an HTTP date: the pipeline waits at least that long
 * before the next attempt (a lower bound, so a slow machine cannot make it flaky), then delivers every
 * event exactly once.
 */
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/protocol/routes';
import { expectExactlyOnce, fastClient, recordMany, useProxiedServer } from './fault-kit';

const env = useProxiedServer();

/** Time between the 429 and the next batch request the proxy saw. */
function waitAfter429(): number {
  const batches = env.proxy.log.filter((e) => e.path === ROUTES.usageBatch);
  const index = batches.findIndex((e) => e.status === 429);
  const next = batches[index + 1];
  if (index < 0 || next === undefined) throw new Error('no request after the 429');
  return next.at - (batches[index]?.at ?? 0);
}

describe('fault: 429 with Retry-After', () => {
  it('Retry-After in seconds: the next attempt waits at least that long, every event stored once', async () => {
    env.proxy.reset();
    const apiKey = await env.server.createKey('retry-after-seconds');
    env.proxy.enqueue({ kind: 'status', status: 429, headers: { 'retry-after': '1' } }, ROUTES.usageBatch);
    // One batch, so the request after the 429 is its retry (a concurrent batch sent before the 429 would not wait).
    const client = fastClient(env.proxy.url, apiKey, { flushIntervalMs: 20 });
    const recorded = recordMany(client, 50, 'ras');
    const report = await client.shutdown();

    expect(waitAfter429()).toBeGreaterThanOrEqual(950);
    expect(report).toMatchObject({ delivered: 50, duplicates: 0, failed: 0, dropped: 0 });
    expect(client.stats().retries).toBeGreaterThanOrEqual(1);
    await expectExactlyOnce(env.server.store, apiKey, recorded);
  });

  it('Retry-After as an HTTP date: honoured the same way', async () => {
    env.proxy.reset();
    const apiKey = await env.server.createKey('retry-after-date');
    // HTTP dates have whole seconds: 2 s ahead is at least 1 s ahead once truncated.
    const date = new Date(Date.now() + 2000).toUTCString();
    env.proxy.enqueue({ kind: 'status', status: 429, headers: { 'retry-after': date } }, ROUTES.usageBatch);
    // One batch, so the request after the 429 is its retry (a concurrent batch sent before the 429 would not wait).
    const client = fastClient(env.proxy.url, apiKey, { flushIntervalMs: 20 });
    const recorded = recordMany(client, 50, 'rad');
    const report = await client.shutdown();

    expect(waitAfter429()).toBeGreaterThanOrEqual(950);
    expect(report).toMatchObject({ delivered: 50, failed: 0, dropped: 0 });
    await expectExactlyOnce(env.server.store, apiKey, recorded);
  });
});
