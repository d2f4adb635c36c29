/**
 * The server (or a gateway in front of it) answers 500/502/503/504 to batch requests: the pipeline
 * retries with the same event keys and, once the server answers, every event is stored exactly once.
 * Also the nastier variant: the server commits, then a gateway replaces its answer with a 502.
 */
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/protocol/routes';
import { expectExactlyOnce, fastClient, recordMany, useProxiedServer } from './fault-kit';

const env = useProxiedServer();

describe('fault: error statuses on batch requests', () => {
  it.each([500, 502, 503, 504])('%i on the first three batch attempts: retried, every event stored once', async (status) => {
    env.proxy.reset();
    const apiKey = await env.server.createKey(`status-${status}`);
    env.proxy.enqueue([{ kind: 'status', status }, { kind: 'status', status }, { kind: 'status', status }], ROUTES.usageBatch);
    const client = fastClient(env.proxy.url, apiKey, { maxBatchSize: 10 });
    const recorded = recordMany(client, 40, `s${status}`);
    const report = await client.shutdown();

    expect(env.proxy.pending()).toBe(0);
    expect(env.proxy.log.filter((e) => e.status === status)).toHaveLength(3);
    expect(report).toMatchObject({ delivered: 40, duplicates: 0, failed: 0, dropped: 0, unsent: [] });
    await expectExactlyOnce(env.server.store, apiKey, recorded);
  });

  it('the server commits, then a gateway answers 502 instead: the retry is a duplicate, never a second row', async () => {
    env.proxy.reset();
    const apiKey = await env.server.createKey('forward-then-502');
    env.proxy.enqueue([{ kind: 'forward-then-status', status: 502 }, { kind: 'forward-then-status', status: 504 }], ROUTES.usageBatch);
    const client = fastClient(env.proxy.url, apiKey, { maxBatchSize: 10 });
    const recorded = recordMany(client, 30, 'fts');
    const report = await client.shutdown();

    // Both lost answers were for committed batches, so exactly their events come back as duplicates.
    const committedThenLost = env.proxy.log.filter((e) => e.action === 'forward-then-status' && e.upstreamStatus === 200);
    expect(committedThenLost).toHaveLength(2);
    expect(report.delivered + report.duplicates).toBe(30);
    expect(report.duplicates).toBeGreaterThan(0);
    expect(report).toMatchObject({ failed: 0, dropped: 0 });
    await expectExactlyOnce(env.server.store, apiKey, recorded);
  });
});
