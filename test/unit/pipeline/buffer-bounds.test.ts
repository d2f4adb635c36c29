import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { BearLumenAuthenticationError, BearLumenBufferFullError } from '@bearlumen/node-sdk';
import { createPipeline } from '../../../src/pipeline/create-pipeline';
import { resolveBatchingOptions, type BatchingOptions } from '../../../src/pipeline/options';
import type { Pipeline, PipelineEventMap } from '../../../src/pipeline/types';
import type { UsageEventInput } from '../../../src/protocol/types';
import { FakeTransport, silentLogger, sleep, usageEvent } from './fake-transport';

function pipelineWith(transport: FakeTransport, batching: BatchingOptions, logger = silentLogger): Pipeline {
  return createPipeline({ transport, logger, options: resolveBatchingOptions({ retryBaseMs: 1, retryMaxMs: 5, ...batching }), handleExit: false });
}

/** A transport whose answers wait until `open()` is called. */
function heldTransport(): { transport: FakeTransport; open: () => void } {
  const transport = new FakeTransport();
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  transport.responder = async () => {
    await gate;
    return undefined;
  };
  return { transport, open };
}

describe('pipeline bounds (fake transport)', () => {
  it('never puts an event in two requests, whatever mix of size, timer and flush() triggers cuts the batches', async () => {
    const transport = new FakeTransport();
    const pipeline = pipelineWith(transport, { maxBatchSize: 7, flushIntervalMs: 1, concurrency: 3 });
    const results: Array<Promise<unknown>> = [];
    for (let i = 0; i < 500; i++) {
      results.push(pipeline.record(usageEvent(i)));
      if (i % 13 === 0) void pipeline.flush();
      if (i % 50 === 0) await sleep(2);
    }
    await pipeline.flush();
    await Promise.all(results);
    const sent = transport.calls.flat().map((event) => event.idempotencyKey);
    expect(sent).toHaveLength(500);
    expect(new Set(sent).size).toBe(500);
    expect(transport.calls.every((events) => events.length <= 7)).toBe(true);
    expect(pipeline.stats()).toMatchObject({ delivered: 500, duplicates: 0, buffered: 0, inFlight: 0 });
  });

  it('bounds the bytes held as well as the count: records beyond maxBufferedBytes are refused', async () => {
    const { transport, open } = heldTransport();
    const pipeline = pipelineWith(transport, { maxBufferedBytes: 4096, flushIntervalMs: 1 });
    // The pipeline owns each event it is given (it stamps it in place): a fresh one per record.
    const big = (): UsageEventInput => usageEvent(1, { metadata: { note: 'x'.repeat(1500) } });
    const accepted = [pipeline.record(big()), pipeline.record(big())];
    await expect(pipeline.record(big())).rejects.toBeInstanceOf(BearLumenBufferFullError);
    expect(pipeline.stats().bufferedBytes).toBeLessThanOrEqual(4096);
    open();
    await Promise.all(accepted);
    expect(pipeline.stats()).toMatchObject({ bufferedBytes: 0, delivered: 2, droppedByReason: { buffer_full: 1 } });
  });

  it('logs an overflow episode once when dropping starts and once with the count when room returns', async () => {
    const lines: Array<{ level: number; msg: string; dropped?: number }> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line) as (typeof lines)[number]) });
    const { transport, open } = heldTransport();
    const pipeline = pipelineWith(transport, { maxBufferedEvents: 2, flushIntervalMs: 1 }, logger);
    const accepted = [pipeline.record(usageEvent(1)), pipeline.record(usageEvent(2))];
    for (let i = 0; i < 5; i++) await expect(pipeline.record(usageEvent(3))).rejects.toBeInstanceOf(BearLumenBufferFullError);
    expect(lines.map((line) => line.msg)).toEqual([expect.stringContaining('event buffer full')]);
    open();
    await Promise.all(accepted);
    await pipeline.record(usageEvent(4));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ dropped: 5, msg: expect.stringContaining('room again') });
  });

  it('tells error observers about a final failure, and rejects fire-and-forget promises without an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const transport = new FakeTransport();
      transport.responder = () => new BearLumenAuthenticationError(401, { code: 'api_key_invalid', message: 'bad key' });
      const pipeline = pipelineWith(transport, { flushIntervalMs: 1 });
      const errors: Array<PipelineEventMap['error']> = [];
      pipeline.on('error', (error) => errors.push(error));
      for (let i = 0; i < 3; i++) void pipeline.record(usageEvent(i));
      await pipeline.flush();
      await sleep(20);
      expect(errors).toEqual([{ error: expect.any(BearLumenAuthenticationError), count: 3, willRetry: false }]);
      expect(pipeline.stats()).toMatchObject({ failed: 3, lastError: { code: 'api_key_invalid' } });
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
