/**
 * SendScheduler: when a partial batch leaves (docs/pipeline.md "Adaptive sending"). A fake pipeline
 * around it: `buffer` events waiting, `inFlight` batches, and the time of each cut, on fake timers.
 * The pipeline's own tests (test/integration/pipeline.test.ts) check the same rules against the server.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SendScheduler } from '../../../src/pipeline/send-scheduler';

interface Harness {
  scheduler: SendScheduler;
  /** Record one event (the pipeline tells the scheduler, as for a batch not yet full). */
  record: () => void;
  /** A batch in flight settles (the pipeline reports the settled events, then onIdle if it was the last). */
  settle: () => void;
  /** When each cut happened (fake ms since the start) and how many events it took. */
  cuts: Array<{ at: number; events: number }>;
}

/** `fastLink`: every batch settles right after its cut (at the same fake ms), as on a sub-ms link. */
function harness(lingerMs: number, flushIntervalMs = 1000, fastLink = false): Harness {
  const start = Date.now();
  let buffer = 0;
  let inFlight = 0;
  const cuts: Harness['cuts'] = [];
  const scheduler: SendScheduler = new SendScheduler({
    flushIntervalMs,
    lingerMs,
    keepAlive: false,
    now: () => Date.now(),
    isIdle: () => inFlight === 0,
    hasBuffered: () => buffer > 0,
    cut: () => {
      scheduler.cancel();
      cuts.push({ at: Date.now() - start, events: buffer });
      buffer = 0;
      inFlight += 1;
      if (fastLink) setTimeout(settle, 0);
    },
  });
  function settle(): void {
    inFlight -= 1;
    // As the pipeline does: the settled events' promises resolve (answered), then the queue is idle.
    scheduler.answered();
    if (inFlight === 0) scheduler.onIdle();
  }
  return {
    scheduler,
    cuts,
    record: () => {
      buffer += 1;
      scheduler.buffered();
    },
    settle,
  };
}

/** Past the promise callbacks of a settlement (the scheduler's reply window ends in a nextTick). */
const nextTurn = (): Promise<void> => new Promise<void>((resolve) => process.nextTick(resolve));

describe('SendScheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends a lone event right after the turn when nothing was sent within lingerMs', async () => {
    const h = harness(5);
    h.record();
    h.record();
    expect(h.cuts).toEqual([]);
    await vi.advanceTimersByTimeAsync(0);
    expect(h.cuts).toEqual([{ at: 0, events: 2 }]);
  });

  it('with lingerMs 0, sends after every turn in which nothing is in flight (one request per event at a steady trickle)', async () => {
    const h = harness(0, 1000, true);
    for (let ms = 0; ms < 10; ms++) {
      h.record();
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(h.cuts.map((c) => c.events)).toEqual(Array(10).fill(1));
  });

  it('under a steady trickle, sends no sooner than lingerMs after the previous request, with what arrived meanwhile', async () => {
    const h = harness(5, 1000, true);
    // One event per ms; each request settles within the same ms (a fast link).
    for (let ms = 0; ms < 20; ms++) {
      h.record();
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(h.cuts.map((c) => c.at)).toEqual([0, 5, 10, 15, 20]);
    expect(h.cuts.map((c) => c.events)).toEqual([1, 4, 5, 5, 5]);
  });

  it('a batch settling within lingerMs of its start holds what accumulated until lingerMs has passed', async () => {
    const h = harness(5);
    h.record();
    await vi.advanceTimersByTimeAsync(0);
    h.record();
    h.record();
    await vi.advanceTimersByTimeAsync(1);
    h.settle();
    await vi.advanceTimersByTimeAsync(3);
    expect(h.cuts).toEqual([{ at: 0, events: 1 }]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.cuts).toEqual([
      { at: 0, events: 1 },
      { at: 5, events: 2 },
    ]);
  });

  it('a batch settling after lingerMs lets what accumulated leave at once', async () => {
    const h = harness(5);
    h.record();
    await vi.advanceTimersByTimeAsync(0);
    h.record();
    await vi.advanceTimersByTimeAsync(30);
    expect(h.cuts).toHaveLength(1);
    h.settle();
    expect(h.cuts).toEqual([
      { at: 0, events: 1 },
      { at: 30, events: 1 },
    ]);
  });

  it('while a batch stays in flight, a partial batch leaves flushIntervalMs after it was first scheduled', async () => {
    const h = harness(5, 50);
    h.record();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(2);
    h.record();
    await vi.advanceTimersByTimeAsync(20);
    h.record();
    await vi.advanceTimersByTimeAsync(29);
    expect(h.cuts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.cuts).toEqual([
      { at: 0, events: 1 },
      { at: 52, events: 2 },
    ]);
  });

  it('a linger timer that comes due while a batch is in flight waits for it (or for flushIntervalMs)', async () => {
    const h = harness(5, 50);
    h.record();
    await vi.advanceTimersByTimeAsync(0);
    h.settle();
    await nextTurn();
    h.record(); // 0 ms after the first request, not a reply: lingers until 5 ms
    await vi.advanceTimersByTimeAsync(5);
    expect(h.cuts.map((c) => c.at)).toEqual([0, 5]);
    h.record(); // the batch cut at 5 is still in flight
    await vi.advanceTimersByTimeAsync(10);
    expect(h.cuts).toHaveLength(2);
    h.settle(); // 15 ms: more than lingerMs after the cut at 5
    expect(h.cuts).toEqual([
      { at: 0, events: 1 },
      { at: 5, events: 1 },
      { at: 15, events: 1 },
    ]);
  });

  it('an event recorded by the callbacks of a settlement (an awaited record() in a loop) leaves at once, within lingerMs', async () => {
    const h = harness(5);
    h.record();
    await vi.advanceTimersByTimeAsync(0);
    // The response arrives 1 ms later; the awaiting caller records its next event in the same turn.
    await vi.advanceTimersByTimeAsync(1);
    h.settle();
    await Promise.resolve();
    h.record();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.cuts).toEqual([
      { at: 0, events: 1 },
      { at: 1, events: 1 },
    ]);
  });

  it('the same event recorded in a later turn lingers', async () => {
    const h = harness(5);
    h.record();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(1);
    h.settle();
    await nextTurn();
    h.record();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.cuts).toEqual([{ at: 0, events: 1 }]);
    await vi.advanceTimersByTimeAsync(4);
    expect(h.cuts).toEqual([
      { at: 0, events: 1 },
      { at: 5, events: 1 },
    ]);
  });

  it('a reply does not wait for a linger already running', async () => {
    const h = harness(5);
    h.record();
    await vi.advanceTimersByTimeAsync(0);
    h.settle();
    await vi.advanceTimersByTimeAsync(1);
    h.record(); // lingers until 5
    await vi.advanceTimersByTimeAsync(1);
    h.scheduler.answered(); // another request's events settle (a non-batch call, a spool replay)
    h.record();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.cuts).toEqual([
      { at: 0, events: 1 },
      { at: 2, events: 2 },
    ]);
  });
});

