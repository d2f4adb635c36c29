/**
 * The bounds of a full buffer: `overflow: 'block'` waiters are capped in number (`maxBlockedRecords`)
 * and time (`blockTimeoutMs`, driven by fake timers, no real sleeps), and an event larger than
 * `maxBufferedBytes` on its own is refused even when the buffer is empty. Every refusal is counted.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BearLumenBufferFullError, BearLumenClosedError } from '@bearlumen/node-sdk';
import { createPipeline } from '../../../src/pipeline/create-pipeline';
import { resolveBatchingOptions, type BatchingOptions } from '../../../src/pipeline/options';
import type { Pipeline, PipelineEventMap } from '../../../src/pipeline/types';
import { FakeTransport, silentLogger, usageEvent } from './fake-transport';

/** A transport that never answers until `open()`: every admitted event stays held. */
function heldPipeline(batching: BatchingOptions): { pipeline: Pipeline; open: () => void } {
  const transport = new FakeTransport();
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  transport.responder = async () => {
    await gate;
    return undefined;
  };
  const pipeline = createPipeline({ transport, logger: silentLogger, options: resolveBatchingOptions({ flushIntervalMs: 1, ...batching }), handleExit: false });
  return { pipeline, open };
}

/** Settles microtasks without advancing time. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe("overflow: 'block' is bounded", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a waiting record() rejects with BearLumenBufferFullError after blockTimeoutMs, counted as buffer_full', async () => {
    const { pipeline } = heldPipeline({ maxBufferedEvents: 1, overflow: 'block', blockTimeoutMs: 5000 });
    const drops: Array<PipelineEventMap['drop']> = [];
    pipeline.on('drop', (drop) => drops.push(drop));
    void pipeline.record(usageEvent(1));
    let outcome: unknown;
    pipeline.record(usageEvent(2)).then(
      () => (outcome = 'resolved'),
      (error: unknown) => (outcome = error),
    );
    await vi.advanceTimersByTimeAsync(4999);
    expect(outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome).toBeInstanceOf(BearLumenBufferFullError);
    expect((outcome as Error).message).toContain('blockTimeoutMs (5000 ms)');
    expect(pipeline.stats()).toMatchObject({ dropped: 1, droppedByReason: { buffer_full: 1 } });
    expect(drops).toEqual([{ reason: 'buffer_full', count: 1, events: [] }]);
  });

  it('waiters still get in, in order, when room comes before their deadline', async () => {
    const { pipeline, open } = heldPipeline({ maxBufferedEvents: 1, overflow: 'block', blockTimeoutMs: 5000 });
    const first = pipeline.record(usageEvent(1));
    const second = pipeline.record(usageEvent(2));
    await vi.advanceTimersByTimeAsync(1000);
    open();
    await vi.advanceTimersByTimeAsync(10);
    await expect(first).resolves.toMatchObject({ recorded: true });
    await expect(second).resolves.toMatchObject({ recorded: true });
    expect(pipeline.stats()).toMatchObject({ delivered: 2, dropped: 0 });
  });

  it('one record() more than maxBlockedRecords is refused at once; the waiters keep waiting', async () => {
    const { pipeline } = heldPipeline({ maxBufferedEvents: 1, overflow: 'block', maxBlockedRecords: 2, blockTimeoutMs: 60_000 });
    void pipeline.record(usageEvent(1));
    const waiting = [pipeline.record(usageEvent(2)), pipeline.record(usageEvent(3))];
    await expect(pipeline.record(usageEvent(4))).rejects.toThrow(/maxBlockedRecords \(2\) records already wait/);
    expect(pipeline.stats().droppedByReason).toEqual({ buffer_full: 1 });
    // The two waiters end with shutdown (counted as closed), not earlier.
    await settle();
    const shutdown = pipeline.shutdown({ timeoutMs: 0 });
    await vi.advanceTimersByTimeAsync(2000);
    const report = await shutdown;
    for (const promise of waiting) await expect(promise).rejects.toBeInstanceOf(BearLumenClosedError);
    expect(report.droppedByReason).toMatchObject({ buffer_full: 1, closed: 2 });
  });
});

describe('an event larger than maxBufferedBytes', () => {
  it.each(['reject', 'block'] as const)('is refused with a clear, counted error even when the buffer is empty (overflow %s)', async (overflow) => {
    const { pipeline } = heldPipeline({ maxBufferedBytes: 2048, overflow });
    const huge = usageEvent(1, { metadata: { note: '€'.repeat(1000) } });
    await expect(pipeline.record(huge)).rejects.toThrow(/larger than maxBufferedBytes \(about \d+ bytes > 2048\)/);
    expect(pipeline.stats()).toMatchObject({ buffered: 0, bufferedBytes: 0, droppedByReason: { buffer_full: 1 } });
    // A smaller one still gets in.
    void pipeline.record(usageEvent(2, { metadata: { note: '€'.repeat(100) } }));
    expect(pipeline.stats().buffered).toBe(1);
  });
});
