/**
 * A server outage while a producer keeps recording at a steady rate. Memory stays bounded, measured from
 * outside the SDK: the heap (after gc) grows by about what `maxBufferedEvents` events take, and the
 * record() promises still pending never exceed `maxBufferedEvents` (the SDK's own counters enforce the
 * cap, so they cannot be what checks it); what does not fit is refused with BearLumenBufferFullError and
 * counted as `buffer_full`; after the server comes back, every accepted event is delivered exactly once.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumenBufferFullError } from '@bearlumen/node-sdk';
import { startRestartableServer, type RestartableServer } from '../helpers/restartable-server';
import { expectExactlyOnce, fastClient, type Recorded } from './fault-kit';

let server: RestartableServer;

beforeAll(async () => {
  server = await startRestartableServer();
});

afterAll(async () => {
  await server?.close();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const MAX_BUFFERED = 300;

// A gc() for this worker without a command-line flag: heap figures after a full collection.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapUsed = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
/** Metadata of about 2 KB per event, a fresh string each: 300 held events are ~0.7 MB, 5000 are ~12 MB. */
const padding = (marker: string): string => `${marker}:${'p'.repeat(2000)}`;
/** Heap growth allowed while the buffer is full: the held events plus room for the server and test noise. */
const HEAP_SLACK_BYTES = 6 * 1024 * 1024;

describe('fault: outage with a steady producer', () => {
  it('holds at most maxBufferedEvents, counts the overflow, delivers every accepted event after recovery', async () => {
    const client = fastClient(server.url, server.apiKey, { maxBatchSize: 50, flushIntervalMs: 10, retryMaxMs: 100, maxBufferedEvents: MAX_BUFFERED });
    const recorded: Recorded[] = [];
    let settled = 0;
    let peakPending = 0;
    const state: { phase: 'up' | 'down' | 'recovered' } = { phase: 'up' };
    const refusedSoFar = (): number => client.stats().droppedByReason.buffer_full ?? 0;
    const producer = (async () => {
      for (let i = 0; state.phase !== 'recovered' || i < 1500; i++) {
        const marker = `out-${i}`;
        const promise = client.usage.record({ eventType: 'fault_test', metricName: 'requests', quantity: 1, metadata: { n: marker, pad: padding(marker) } });
        promise.then(
          () => (settled += 1),
          () => (settled += 1),
        );
        recorded.push({ marker, quantity: 1, promise });
        if (i % 5 === 4) {
          await sleep(1);
          // After a turn of the loop every refusal has settled: what is still pending is held.
          peakPending = Math.max(peakPending, recorded.length - settled);
        }
        if (i > 20_000) throw new Error('producer ran away');
      }
    })();
    producer.catch(() => undefined);

    await sleep(100);
    const heapBefore = heapUsed();
    await server.stop();
    state.phase = 'down';
    // Stay down until the buffer has overflowed for a while (bounded by the producer's own limit).
    for (let waited = 0; (refusedSoFar() < 200 || waited < 800) && waited < 10_000; waited += 20) await sleep(20);
    const heapGrowth = heapUsed() - heapBefore;
    expect(heapGrowth).toBeLessThan(MAX_BUFFERED * 2500 + HEAP_SLACK_BYTES);
    await server.start();
    state.phase = 'recovered';
    await producer;
    const report = await client.shutdown();
    const outcomes = await Promise.allSettled(recorded.map((r) => r.promise));
    const accepted = recorded.filter((_, i) => outcomes[i]?.status === 'fulfilled');
    const rejections = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    const refused = rejections.length;

    expect(refused).toBeGreaterThanOrEqual(200);
    for (const reason of rejections) expect(reason).toBeInstanceOf(BearLumenBufferFullError);
    expect(peakPending).toBeLessThanOrEqual(MAX_BUFFERED);
    expect(peakPending).toBeGreaterThan(MAX_BUFFERED / 2);
    expect(report.droppedByReason).toEqual({ buffer_full: refused });
    expect(report).toMatchObject({ failed: 0, unsent: [] });
    expect(report.delivered + report.duplicates).toBe(accepted.length);
    const store = server.store;
    if (store === null) throw new Error('server not running');
    await expectExactlyOnce(store, server.apiKey, accepted);
  });

  it("overflow: 'block' holds producers back instead: nothing refused, nothing over the bound, all delivered once", async () => {
    const MAX = 30;
    const apiKey = await server.createKey('overflow-block');
    const client = fastClient(server.url, apiKey, { maxBatchSize: 10, flushIntervalMs: 5, retryMaxMs: 100, maxBufferedEvents: MAX, overflow: 'block' });
    const recorded: Recorded[] = [];
    let peakHeld = 0;
    // 50 producers that each await their own record(): backpressure, as a stream writer would see it.
    const producers = Array.from({ length: 50 }, async (_, w) => {
      for (let i = 0; i < 40; i++) {
        const marker = `blk-${w}-${i}`;
        const promise = client.usage.record({ eventType: 'fault_test', metricName: 'requests', quantity: 2, metadata: { n: marker } });
        recorded.push({ marker, quantity: 2, promise });
        const { buffered, inFlight } = client.stats();
        peakHeld = Math.max(peakHeld, buffered + inFlight);
        await promise;
      }
    });
    await sleep(50);
    await server.stop();
    const atStop = recorded.length;
    await sleep(600);
    const whileDown = recorded.length - atStop;
    await server.start();
    await Promise.all(producers);
    const report = await client.shutdown();

    // While the server was down, at most one waiting record() per producer could be added.
    expect(whileDown).toBeLessThanOrEqual(50);
    expect(peakHeld).toBeLessThanOrEqual(MAX);
    expect(report).toMatchObject({ failed: 0, dropped: 0, unsent: [] });
    expect(report.delivered + report.duplicates).toBe(recorded.length);
    expect(recorded.length).toBe(2000);
    const store = server.store;
    if (store === null) throw new Error('server not running');
    await expectExactlyOnce(store, apiKey, recorded);
  });
});
