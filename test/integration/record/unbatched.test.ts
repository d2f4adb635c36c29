/**
 * `batching: { enabled: false, … }` sends each record() on its own and keeps the delivery options it is
 * given (before, `batching: false` was the only way to disable batching, and it silently used the default
 * five-minute retry budget and exit timeout).
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen, BearLumenConnectionError, BearLumenValidationError } from '@bearlumen/node-sdk';
import { startServer, type StartedServer } from '../../helpers/start-server';
import { deadUrl } from '../../helpers/dead-url';

let server: StartedServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server.close();
});

const event = { eventType: 'unbatched', metricName: 'requests', quantity: 1 };

describe('batching: { enabled: false }', () => {
  it('sends each event on its own and still delivers it', async () => {
    const client = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false, batching: { enabled: false } });
    const results = await Promise.all([client.usage.record(event), client.usage.record(event)]);
    expect(results.map((r) => r.recorded)).toEqual([true, true]);
    expect(client.stats()).toMatchObject({ delivered: 2, batches: 2 });
    await client.shutdown();
  });

  it('keeps the retry budget it is given: maxRetryDurationMs: 0 gives up after the first failed attempt', async () => {
    const client = new BearLumen({
      apiKey: server.apiKey,
      baseUrl: await deadUrl(),
      handleExit: false,
      maxRetries: 0,
      logger: pino({ level: 'silent' }),
      batching: { enabled: false, maxRetryDurationMs: 0, exitTimeoutMs: 100 },
    });
    await expect(client.usage.record(event)).rejects.toBeInstanceOf(BearLumenConnectionError);
    expect(client.stats()).toMatchObject({ dropped: 1, droppedByReason: { retries_exhausted: 1 }, retries: 0 });
    await client.shutdown();
  });

  it('refuses buffering options that would have no effect, naming them', () => {
    expect(() => new BearLumen({ apiKey: server.apiKey, handleExit: false, batching: { enabled: false, flushIntervalMs: 10 } })).toThrow(BearLumenValidationError);
    expect(() => new BearLumen({ apiKey: server.apiKey, handleExit: false, batching: { enabled: false, flushIntervalMs: 10 } })).toThrow(/batching\.flushIntervalMs has no effect when batching\.enabled is false/);
  });
});
