/**
 * Every `record()` call is accounted for exactly once, in `stats()` and in the shutdown report:
 * calls = delivered + duplicates + failed + dropped (every reason: invalid, buffer_full, closed, …),
 * whatever mix of outcomes the calls had. Checked against the promises' own outcomes too.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen, type UsageRecordInput } from '@bearlumen/node-sdk';
import { startServer, type StartedServer } from '../../helpers/start-server';

let server: StartedServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server.close();
});

const valid = (n: number): UsageRecordInput => ({ eventType: 'accounting', metricName: 'llm_tokens_input', quantity: n });

describe('record() accounting', () => {
  it('calls = delivered + duplicates + failed + dropped, in stats() and in the report, closed refusals included', async () => {
    const client = new BearLumen({
      apiKey: server.apiKey,
      baseUrl: server.url,
      handleExit: false,
      logger: pino({ level: 'silent' }),
      batching: { maxBatchSize: 20, maxBufferedEvents: 20, flushIntervalMs: 600_000 },
    });
    const calls: Array<Promise<unknown>> = [];
    const record = (input: UsageRecordInput): void => {
      calls.push(client.usage.record(input));
    };
    for (let i = 0; i < 20; i++) record(valid(i + 1)); // a full batch: sent, held until acknowledged
    for (let i = 0; i < 7; i++) record(valid(1)); // buffer_full: 20 events are unacknowledged
    for (let i = 0; i < 3; i++) record({ ...valid(1), quantity: 0.5 }); // invalid
    await client.flush();
    record({ ...valid(5), idempotencyKey: 'acct-dup' });
    record({ ...valid(5), idempotencyKey: 'acct-dup' }); // duplicate
    record({ ...valid(1), subscriptionId: 'sub_does_not_exist' }); // failed: refused by the server
    await client.flush();
    for (let i = 0; i < 4; i++) record(valid(1)); // buffered when shutdown starts: delivered by it
    const shutdown = client.shutdown();
    for (let i = 0; i < 6; i++) record(valid(1)); // closed: the client is shutting down
    const report = await shutdown;
    record(valid(1)); // closed, after the report: in stats() only

    const outcomes = await Promise.allSettled(calls);
    const stats = client.stats();
    const fulfilled = outcomes.filter((o) => o.status === 'fulfilled').length;
    expect(calls).toHaveLength(44);
    expect(stats).toMatchObject({ delivered: 25, duplicates: 1, failed: 1, droppedByReason: { buffer_full: 7, invalid: 3, closed: 7 } });
    expect(stats.delivered + stats.duplicates + stats.failed + stats.dropped).toBe(calls.length);
    expect(stats.delivered + stats.duplicates).toBe(fulfilled);
    expect(report.delivered + report.duplicates + report.failed + report.dropped).toBe(calls.length - 1);
    expect(report.droppedByReason).toEqual({ buffer_full: 7, invalid: 3, closed: 6 });
  });
});
