/**
 * shutdown() while batches are still retrying: nothing is lost silently. Every event still
 * unacknowledged at the deadline is returned in `report.unsent` with its idempotency key; resending
 * those later stores each exactly once, even the ones the server had already committed before its
 * answer was lost.
 */
import { describe, expect, it } from 'vitest';
import { BearLumenClosedError } from '@bearlumen/node-sdk';
import { ROUTES } from '../../src/protocol/routes';
import { readStoredEvents, summarize, tenantIdOf } from '../helpers/stored-events';
import { fastClient, recordMany, useProxiedServer } from './fault-kit';

const env = useProxiedServer();

describe('fault: shutdown mid-retry', () => {
  it('reports every unacknowledged event as unsent; resending them stores each exactly once', async () => {
    const apiKey = await env.server.createKey('shutdown-mid-retry');
    // The first batch commits but its answer is lost; after that the server "is down" (503) for good.
    env.proxy.enqueue({ kind: 'reset-after' }, ROUTES.usageBatch);
    env.proxy.setScript((req) => (req.path === ROUTES.usageBatch ? { kind: 'status', status: 503 } : undefined));
    const client = fastClient(env.proxy.url, apiKey, { maxBatchSize: 20 });
    const recorded = recordMany(client, 60, 'smr');
    // Wait (bounded) until the first batch has committed and lost its answer, and the others are retrying.
    for (let waited = 0; !(env.proxy.log.some((e) => e.action === 'reset-after' && e.upstreamStatus === 200) && client.stats().retries > 0) && waited < 10_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const report = await client.shutdown({ timeoutMs: 100 });

    expect(report).toMatchObject({ delivered: 0, duplicates: 0, failed: 0, dropped: 60, droppedByReason: { shutdown_timeout: 60 } });
    expect(report.unsent).toHaveLength(60);
    const outcomes = await Promise.allSettled(recorded.map((r) => r.promise));
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(BearLumenClosedError);
    }
    const committedBefore = (await readStoredEvents(env.server.store, await tenantIdOf(env.server.store, apiKey))).length;
    expect(committedBefore).toBe(20);

    // The caller persists `unsent` and resends it later, when the server is back.
    env.proxy.reset();
    const again = fastClient(env.server.url, apiKey);
    const result = await again.usage.recordBatch(report.unsent);
    await again.shutdown();
    expect(result).toMatchObject({ recordedCount: 40, skippedCount: 20 });

    const stored = summarize(await readStoredEvents(env.server.store, await tenantIdOf(env.server.store, apiKey)));
    expect(stored.rows).toBe(60);
    expect(stored.quantitySum).toBe((60 * 61) / 2);
    for (const r of recorded) expect(stored.byMarker.get(r.marker)?.length, r.marker).toBe(1);
  });
});
