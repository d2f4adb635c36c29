/**
 * The SDK never makes Node print a process warning to the host's stderr (docs/pipeline.md "Nothing on
 * the host's stderr"). Many requests or batches in flight at once each listen to one shared abort
 * signal; past 10 listeners Node warns "Possible EventTarget memory leak detected". Found with
 * `batching.concurrency: 16` during an outage and with 12 concurrent `endUsers.list()` retrying
 * against a stopped server.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BearLumen } from '@bearlumen/node-sdk';
import { startRestartableServer, type RestartableServer } from '../helpers/restartable-server';
import { expectExactlyOnce, fastClient, recordMany, silentLogger } from './fault-kit';

let server: RestartableServer;
const warnings: Error[] = [];
const onWarning = (warning: Error): void => {
  warnings.push(warning);
};

beforeAll(async () => {
  server = await startRestartableServer();
});

afterAll(async () => {
  await server?.close();
});

beforeEach(() => {
  warnings.length = 0;
  process.on('warning', onWarning);
});

afterEach(() => {
  process.off('warning', onWarning);
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const leakWarnings = (): string[] => warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message);

describe('fault: no process warnings with much in flight', () => {
  it('16 batches retrying through an outage print no MaxListenersExceededWarning, and all are delivered once', async () => {
    const client = fastClient(server.url, server.apiKey, { concurrency: 16, maxBatchSize: 10, flushIntervalMs: 5, retryBaseMs: 20, retryMaxMs: 50 });
    try {
      await server.stop();
      const recorded = recordMany(client, 300, 'warn');
      // Every batch is cut and in flight (a slot each), failing and waiting at the backoff gate.
      const deadline = Date.now() + 5000;
      while (client.stats().inFlightBatches < 16 && Date.now() < deadline) await sleep(10);
      expect(client.stats().inFlightBatches).toBe(16);
      await sleep(300);
      await server.start();
      await client.flush();
      await expectExactlyOnce(server.store!, server.apiKey, recorded);
      expect(leakWarnings()).toEqual([]);
    } finally {
      await client.shutdown({ timeoutMs: 1000 });
      await server.start();
    }
  });

  it('12 concurrent requests waiting to retry against a stopped server print no MaxListenersExceededWarning', async () => {
    const client = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, maxRetries: 1, timeout: 2000, handleExit: false, logger: silentLogger });
    try {
      await server.stop();
      const results = await Promise.allSettled(Array.from({ length: 12 }, () => client.endUsers.list()));
      expect(results.map((r) => r.status)).toEqual(Array(12).fill('rejected'));
      expect(leakWarnings()).toEqual([]);
    } finally {
      await client.shutdown({ timeoutMs: 1000 });
      await server.start();
    }
  });
});
