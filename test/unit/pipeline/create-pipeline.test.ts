import { describe, expect, it, vi } from 'vitest';
import {
  BearLumenAuthenticationError,
  BearLumenClosedError,
  BearLumenConnectionError,
  BearLumenInvalidRequestError,
  BearLumenServerError,
} from '@bearlumen/node-sdk';
import { createPipeline } from '../../../src/pipeline/create-pipeline';
import { resolveBatchingOptions, type BatchingOptions } from '../../../src/pipeline/options';
import type { Pipeline } from '../../../src/pipeline/types';
import { FakeTransport, silentLogger, sleep, usageEvent } from './fake-transport';

function pipelineWith(transport: FakeTransport, batching: BatchingOptions | false = {}): Pipeline {
  const options = resolveBatchingOptions(batching === false ? false : { retryBaseMs: 1, retryMaxMs: 5, ...batching });
  return createPipeline({ transport, logger: silentLogger, options: batching === false ? { ...options, retryBaseMs: 1, retryMaxMs: 5 } : options, handleExit: false });
}

const down = (): BearLumenConnectionError => new BearLumenConnectionError('connect ECONNREFUSED');

describe('pipeline retries (fake transport)', () => {
  it('resends a failed batch with the same idempotency keys until the server answers', async () => {
    const transport = new FakeTransport();
    transport.responder = (_events, call) => (call <= 3 ? down() : undefined);
    const pipeline = pipelineWith(transport);
    const results = Promise.all([pipeline.record(usageEvent(1)), pipeline.record(usageEvent(2))]);
    await pipeline.flush();
    await expect(results).resolves.toEqual([{ eventId: 'evt_1', recorded: true }, { eventId: 'evt_2', recorded: true }]);
    expect(transport.calls).toHaveLength(4);
    const keys = transport.calls.map((events) => events.map((event) => event.idempotencyKey));
    expect(new Set(keys.map((k) => k.join()))).toHaveProperty('size', 1);
    expect(pipeline.stats()).toMatchObject({ delivered: 2, retries: 3, batches: 1, circuit: 'closed' });
  });

  it('while the server fails, only one batch at a time probes it; the others wait for the same backoff', async () => {
    vi.useFakeTimers();
    try {
      const transport = new FakeTransport();
      let isDown = true;
      let concurrentWhileDown = 0;
      let inFlight = 0;
      transport.responder = async () => {
        inFlight += 1;
        if (isDown) concurrentWhileDown = Math.max(concurrentWhileDown, inFlight);
        await sleep(1);
        inFlight -= 1;
        return isDown ? down() : undefined;
      };
      const pipeline = pipelineWith(transport, { maxBatchSize: 1, concurrency: 4, retryBaseMs: 5, retryMaxMs: 20 });
      const first = pipeline.record(usageEvent(0));
      await vi.advanceTimersByTimeAsync(30);
      expect(pipeline.stats().circuit).toBe('open');
      const rest = Array.from({ length: 3 }, (_, i) => pipeline.record(usageEvent(i + 1)));
      await vi.advanceTimersByTimeAsync(80);
      const probesWhileDown = transport.calls.length;
      isDown = false;
      const flushed = pipeline.flush();
      await vi.advanceTimersByTimeAsync(100);
      await flushed;
      await expect(Promise.all([first, ...rest])).resolves.toHaveLength(4);
      // With four independent retry loops, up to four requests would hit the failing server at once.
      expect(concurrentWhileDown).toBe(1);
      expect(probesWhileDown).toBeGreaterThan(1);
      expect(pipeline.stats().delivered).toBe(4);
    } finally {
      vi.useRealTimers();
    }
  });

  it('honours Retry-After on a 503 before the next attempt', async () => {
    vi.useFakeTimers();
    try {
      const transport = new FakeTransport();
      transport.responder = (_events, call) =>
        call === 1 ? new BearLumenServerError(503, { code: 'unavailable', message: 'down' }, 'req_1', 2000) : undefined;
      const pipeline = pipelineWith(transport);
      const result = pipeline.record(usageEvent(1));
      void pipeline.flush();
      await vi.advanceTimersByTimeAsync(1999);
      expect(transport.calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      await expect(result).resolves.toEqual({ eventId: 'evt_1', recorded: true });
      expect(transport.calls).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('with the default options, a two-minute server outage loses nothing', async () => {
    vi.useFakeTimers();
    try {
      const transport = new FakeTransport();
      const outageEnds = Date.now() + 120_000;
      transport.responder = () => (Date.now() < outageEnds ? down() : undefined);
      const pipeline = createPipeline({ transport, logger: silentLogger, options: resolveBatchingOptions(undefined), handleExit: false });
      const results = Array.from({ length: 2500 }, (_, i) => pipeline.record(usageEvent(i)));
      let settled = 0;
      for (const result of results) void result.then(() => (settled += 1));
      await vi.advanceTimersByTimeAsync(119_000);
      expect(settled).toBe(0);
      expect(pipeline.stats()).toMatchObject({ circuit: 'open', dropped: 0, inFlight: 2500 - pipeline.stats().buffered });
      // The next probe comes within probeMaxMs (5 s) of the server's return, not retryMaxMs (30 s).
      await vi.advanceTimersByTimeAsync(1000 + 5000 + 100);
      expect(settled).toBe(2500);
      expect(pipeline.stats()).toMatchObject({ delivered: 2500, dropped: 0, failed: 0, circuit: 'closed' });
      expect(transport.stored.size).toBe(2500);
    } finally {
      vi.useRealTimers();
    }
  });

  it('drops a batch as retries_exhausted after maxRetryDurationMs, handing the events to drop listeners', async () => {
    const transport = new FakeTransport();
    transport.responder = () => down();
    const pipeline = pipelineWith(transport, { maxRetryDurationMs: 30 });
    const drops: unknown[] = [];
    pipeline.on('drop', (drop) => drops.push(drop));
    const result = pipeline.record(usageEvent(7));
    await pipeline.flush();
    await expect(result).rejects.toBeInstanceOf(BearLumenConnectionError);
    expect(drops).toEqual([{ reason: 'retries_exhausted', count: 1, events: [expect.objectContaining({ quantity: 7 })] }]);
    expect(pipeline.stats()).toMatchObject({ dropped: 1, droppedByReason: { retries_exhausted: 1 }, lastError: { code: 'connection_error' } });
  });
});

describe('pipeline refusals (fake transport)', () => {
  it('fails exactly the events named by an idempotency_key_reused refusal and delivers the rest', async () => {
    const transport = new FakeTransport();
    transport.responder = (events, call) =>
      call === 1
        ? new BearLumenInvalidRequestError(422, {
            code: 'idempotency_key_reused',
            message: 'key reused',
            details: [{ index: 1, code: 'idempotency_key_reused', message: 'events[1].idempotencyKey was used for a different event' }],
          })
        : undefined;
    const pipeline = pipelineWith(transport);
    const results = [0, 1, 2].map((n) => pipeline.record(usageEvent(n)));
    await pipeline.flush();
    await expect(results[0]).resolves.toMatchObject({ recorded: true });
    await expect(results[1]).rejects.toMatchObject({ status: 422, code: 'idempotency_key_reused' });
    await expect(results[2]).resolves.toMatchObject({ recorded: true });
    expect(transport.calls[1]?.map((event) => event.quantity)).toEqual([0, 2]);
    expect(pipeline.stats()).toMatchObject({ delivered: 2, failed: 1 });
  });

  it('fails every event of the batch with a 401, without retrying', async () => {
    const transport = new FakeTransport();
    transport.responder = () => new BearLumenAuthenticationError(401, { code: 'api_key_invalid', message: 'bad key' });
    const pipeline = pipelineWith(transport);
    const results = [pipeline.record(usageEvent(1)), pipeline.record(usageEvent(2))];
    await pipeline.flush();
    for (const result of results) await expect(result).rejects.toBeInstanceOf(BearLumenAuthenticationError);
    expect(transport.calls).toHaveLength(1);
    expect(pipeline.stats()).toMatchObject({ failed: 2, retries: 0 });
  });

  it('keeps delivering when an observer throws', async () => {
    const transport = new FakeTransport();
    const pipeline = pipelineWith(transport);
    pipeline.on('flush', () => {
      throw new Error('listener bug');
    });
    const seen: number[] = [];
    pipeline.on('flush', (flush) => seen.push(flush.count));
    const result = pipeline.record(usageEvent(1));
    await pipeline.flush();
    await expect(result).resolves.toMatchObject({ recorded: true });
    expect(seen).toEqual([1]);
  });
});

describe('pipeline modes and shutdown (fake transport)', () => {
  it('with batching: false sends every record on its own, with a key and the same results', async () => {
    const transport = new FakeTransport();
    const pipeline = pipelineWith(transport, false);
    const results = await Promise.all([pipeline.record(usageEvent(1)), pipeline.record(usageEvent(2))]);
    expect(results).toEqual([{ eventId: 'evt_1', recorded: true }, { eventId: 'evt_2', recorded: true }]);
    expect(transport.calls.map((events) => events.length)).toEqual([1, 1]);
    expect(transport.calls[0]?.[0]?.idempotencyKey).toEqual(expect.any(String));
  });

  it('at the shutdown deadline aborts the in-flight request, reports the events unsent and closes the transport', async () => {
    vi.useFakeTimers();
    try {
      const transport = new FakeTransport();
      transport.responder = () => new Promise(() => {}); // never answers
      const pipeline = pipelineWith(transport);
      const result = pipeline.record(usageEvent(5));
      result.catch(() => undefined);
      await vi.advanceTimersByTimeAsync(5);
      expect(transport.requests).toHaveLength(1);
      const shutdown = pipeline.shutdown({ timeoutMs: 20 });
      await vi.advanceTimersByTimeAsync(19);
      expect(transport.isClosed).toBe(false);
      await vi.advanceTimersByTimeAsync(100);
      const report = await shutdown;
      expect(report).toMatchObject({ delivered: 0, failed: 0, dropped: 1, droppedByReason: { shutdown_timeout: 1 } });
      expect(report.unsent).toEqual([expect.objectContaining({ quantity: 5, idempotencyKey: expect.any(String) })]);
      await expect(result).rejects.toBeInstanceOf(BearLumenClosedError);
      expect(transport.requests[0]?.signal?.aborted).toBe(true);
      expect(transport.isClosed).toBe(true);
      expect(transport.closeTimeoutMs).toBe(0);
      await expect(pipeline.shutdown()).resolves.toBe(report);
    } finally {
      vi.useRealTimers();
    }
  });
});
