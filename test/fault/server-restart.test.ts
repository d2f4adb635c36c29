/**
 * The server process goes away while a producer records at a steady rate, and comes back on the same
 * port with the same database file. Everything recorded is delivered after the restart, exactly once,
 * including batches whose response was cut by the stop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineEventMap } from '@bearlumen/node-sdk';
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

describe('fault: server stopped and restarted on the same port and database', () => {
  it('a steady producer loses nothing and double counts nothing across a restart', async () => {
    const client = fastClient(server.url, server.apiKey, { maxBatchSize: 50, flushIntervalMs: 10, retryMaxMs: 100 });
    const recorded: Recorded[] = [];
    const producer = (async () => {
      for (let i = 0; i < 600; i++) {
        const marker = `rs-${i}`;
        recorded.push({ marker, quantity: i + 1, promise: client.usage.record({ eventType: 'fault_test', metricName: 'requests', quantity: i + 1, metadata: { n: marker } }) });
        // At least ~600 ms of producing, so recording goes on while the server is down whatever the machine's speed.
        if (i % 5 === 4) await sleep(5);
      }
    })();
    const errorsWhileDown: PipelineEventMap['error'][] = [];
    client.on('error', (event) => {
      if (!server.isRunning) errorsWhileDown.push(event);
    });
    await sleep(100);
    await server.stop();
    const recordedAtStop = recorded.length;
    // Bounded wait for the first failed attempt against the stopped server.
    for (let waited = 0; errorsWhileDown.length === 0; waited += 10) {
      if (waited > 10_000) throw new Error('no failed attempt within 10 s of the stop');
      await sleep(10);
    }
    await sleep(400);
    // While down: the failures were retryable, and every batch waits behind the open circuit.
    expect(errorsWhileDown.every((event) => event.willRetry)).toBe(true);
    expect(client.stats().circuit).toBe('open');
    const recordedAtRestart = recorded.length;
    await server.start();
    await producer;
    const report = await client.shutdown();

    // The producer kept recording during the outage, and those events were delivered too.
    expect(recordedAtRestart).toBeGreaterThan(recordedAtStop);
    expect(client.stats()).toMatchObject({ circuit: 'closed' });
    expect(client.stats().retries).toBeGreaterThan(0);
    expect(report).toMatchObject({ failed: 0, dropped: 0, unsent: [] });
    expect(report.delivered + report.duplicates).toBe(600);
    const store = server.store;
    if (store === null) throw new Error('server not running');
    const totals = await expectExactlyOnce(store, server.apiKey, recorded);
    expect(totals).toEqual({ rows: 600, quantitySum: (600 * 601) / 2 });
  });
});
