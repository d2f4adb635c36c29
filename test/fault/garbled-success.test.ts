/**
 * The server commits a batch, but the 2xx that reaches the client is unreadable (an HTML page from a
 * proxy, a JSON body without results). Nothing can be concluded about which events were stored, so
 * the only safe reaction is to send the same keys again: the server answers the truth (duplicates),
 * and every event ends up stored once and resolved, never reported as refused.
 */
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/protocol/routes';
import { expectExactlyOnce, fastClient, recordMany, useProxiedServer } from './fault-kit';

const env = useProxiedServer();

describe('fault: a committed batch answered with an unreadable 2xx', () => {
  it.each([
    ['a JSON body without results', 'application/json', '{"ok":true}'],
    ['an HTML page', 'text/html', '<html><body>Welcome to the captive portal</body></html>'],
  ])('%s: the batch is sent again with the same keys, every event stored once and resolved', async (_label, type, body) => {
    env.proxy.reset();
    const apiKey = await env.server.createKey(`garbled-${type}`);
    env.proxy.enqueue({ kind: 'forward-then-status', status: 200, contentType: type, body }, ROUTES.usageBatch);
    const client = fastClient(env.proxy.url, apiKey, { flushIntervalMs: 20 });
    const recorded = recordMany(client, 30, `garbled-${type}`);
    const report = await client.shutdown();

    expect(env.proxy.log[0]).toMatchObject({ action: 'forward-then-status', upstreamStatus: 200, status: 200 });
    expect(report).toMatchObject({ delivered: 0, duplicates: 30, failed: 0, dropped: 0 });
    await expectExactlyOnce(env.server.store, apiKey, recorded);
  });
});

describe('fault: recordBatch answered with a 2xx that does not account for its events', () => {
  it('rejects with invalid_response instead of passing as success; a resend with the same keys stores each once', async () => {
    env.proxy.reset();
    const apiKey = await env.server.createKey('garbled-record-batch');
    // Never forwarded: a success here would be a silent loss.
    env.proxy.enqueue({ kind: 'status', status: 200, body: '{"ok":true}' }, ROUTES.usageBatch);
    const client = fastClient(env.proxy.url, apiKey);
    const events = Array.from({ length: 10 }, (_, i) => ({ eventType: 'fault_test', metricName: 'requests', quantity: i + 1, idempotencyKey: `grb-${i}`, metadata: { n: `grb-${i}` } }));
    await expect(client.usage.recordBatch(events)).rejects.toMatchObject({ code: 'invalid_response' });
    const result = await client.usage.recordBatch(events);
    await client.shutdown();
    expect(result).toMatchObject({ recordedCount: 10, skippedCount: 0 });
  });
});
