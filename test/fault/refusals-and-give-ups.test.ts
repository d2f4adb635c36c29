/**
 * Faults that end in something other than delivery must still account for every event: a 413 splits
 * the batch and everything is delivered once; a 401 fails the batch's events (counted `failed`, nothing
 * stored); a Retry-After longer than the retry budget gives the events up as `retries_exhausted`, with
 * their keys in the `drop` observer, and resending those later stores each exactly once.
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BearLumenAuthenticationError, type UsageEventInput } from '@bearlumen/node-sdk';
import { ROUTES } from '../../src/protocol/routes';
import { readStoredEvents, summarize, tenantIdOf } from '../helpers/stored-events';
import { expectExactlyOnce, fastClient, recordMany, useProxiedServer } from './fault-kit';

const env = useProxiedServer();

const storedRows = async (apiKey: string): Promise<number> => (await readStoredEvents(env.server.store, await tenantIdOf(env.server.store, apiKey))).length;

describe('fault: refusals and give-ups are accounted for', () => {
  it('413 on a batch: it is split in halves until it fits, later batches are cut at the size that fit, every event stored once', async () => {
    env.proxy.reset();
    const apiKey = await env.server.createKey('split-413');
    // Events per batch request, in order; the first two batch requests are refused as too large.
    const sizes: number[] = [];
    env.proxy.setScript((req) => {
      if (req.path !== ROUTES.usageBatch) return undefined;
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(req.body) : req.body;
      sizes.push((JSON.parse(body.toString('utf8')) as { events: unknown[] }).events.length);
      return sizes.length <= 2 ? { kind: 'status', status: 413 } : undefined;
    });
    const client = fastClient(env.proxy.url, apiKey, { flushIntervalMs: 20 });
    const recorded = recordMany(client, 40, 'split');
    await client.flush();
    // 40 refused → 20 refused → 10 fits; the other halves go at 10 as well, without another 413.
    expect(sizes).toEqual([40, 20, 10, 10, 10, 10]);
    const later = recordMany(client, 30, 'split-later');
    const report = await client.shutdown();
    expect(sizes.slice(6)).toEqual([10, 10, 10]);
    expect(report).toMatchObject({ delivered: 70, duplicates: 0, failed: 0, dropped: 0 });
    await expectExactlyOnce(env.server.store, apiKey, [...recorded, ...later]);
  });

  it("obeys the server's x-should-retry: false: a 503 so marked fails the batch at once instead of retrying it", async () => {
    env.proxy.reset();
    const apiKey = await env.server.createKey('should-retry-false');
    env.proxy.setScript((req) => (req.path === ROUTES.usageBatch ? { kind: 'status', status: 503, headers: { 'x-should-retry': 'false' } } : undefined));
    const client = fastClient(env.proxy.url, apiKey);
    const recorded = recordMany(client, 5, 'no-retry');
    const outcomes = await Promise.allSettled(recorded.map((r) => r.promise));
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    expect(env.proxy.log.filter((e) => e.path === ROUTES.usageBatch)).toHaveLength(1);
    expect(client.stats()).toMatchObject({ failed: 5, retries: 0 });
    await client.shutdown();
  });

  it('401 on a batch: its events fail with BearLumenAuthenticationError, are counted, and nothing is stored', async () => {
    env.proxy.reset();
    const apiKey = await env.server.createKey('refused-401');
    env.proxy.enqueue({ kind: 'status', status: 401, body: JSON.stringify({ error: { type: 'authentication_error', code: 'api_key_invalid', message: 'revoked' }, requestId: 'req_chaos' }) }, ROUTES.usageBatch);
    const client = fastClient(env.proxy.url, apiKey, { flushIntervalMs: 20 });
    const recorded = recordMany(client, 25, 'auth');
    const report = await client.shutdown();
    const outcomes = await Promise.allSettled(recorded.map((r) => r.promise));

    expect(report).toMatchObject({ delivered: 0, failed: 25, dropped: 0 });
    for (const outcome of outcomes) expect(outcome.status === 'rejected' && outcome.reason instanceof BearLumenAuthenticationError).toBe(true);
    expect(await storedRows(apiKey)).toBe(0);
  });

  it('Retry-After beyond the retry budget: events dropped as retries_exhausted with their keys; a resend stores each once', async () => {
    env.proxy.reset();
    const apiKey = await env.server.createKey('exhausted');
    // The first attempt commits but its answer is lost; the retry is told to come back far too late.
    env.proxy.enqueue([{ kind: 'reset-after' }, { kind: 'status', status: 503, headers: { 'retry-after': '30' } }], ROUTES.usageBatch);
    const client = fastClient(env.proxy.url, apiKey, { flushIntervalMs: 20, maxRetryDurationMs: 1000 });
    const dropped: UsageEventInput[] = [];
    client.on('drop', (payload) => dropped.push(...payload.events));
    const recorded = recordMany(client, 30, 'exh');
    const report = await client.shutdown();
    const outcomes = await Promise.allSettled(recorded.map((r) => r.promise));

    expect(report).toMatchObject({ delivered: 0, duplicates: 0, failed: 0, dropped: 30, droppedByReason: { retries_exhausted: 30 }, unsent: [] });
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    expect(dropped).toHaveLength(30);
    expect(await storedRows(apiKey)).toBe(30);

    // The caller resends what the drop observer handed over: the server already holds every one.
    env.proxy.reset();
    const again = fastClient(env.server.url, apiKey);
    const result = await again.usage.recordBatch(dropped);
    await again.shutdown();
    expect(result).toMatchObject({ recordedCount: 0, skippedCount: 30 });
    const stored = summarize(await readStoredEvents(env.server.store, await tenantIdOf(env.server.store, apiKey)));
    expect(stored.rows).toBe(30);
    for (const r of recorded) expect(stored.byMarker.get(r.marker)?.length, r.marker).toBe(1);
  });
});
