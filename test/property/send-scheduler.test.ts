/**
 * Adaptive sending under random traffic (fast-check; docs/pipeline.md "Adaptive sending"). A model
 * pipeline drives the real SendScheduler on fake timers: bursts of records, full batches cut at once,
 * batches settling after random delays, replies recorded by a settlement's callbacks, steady
 * trickles on a fast link, flushes. Whatever the schedule:
 * - no event waits in the buffer longer than `flushIntervalMs` (+1 ms of timer rounding);
 * - a partial batch the scheduler sends starts at least `lingerMs` after the previous batch, unless it
 *   holds a reply;
 * - once traffic stops and every batch has settled, the buffer empties within `flushIntervalMs`.
 * The seed is printed; replay with BEARLUMEN_PROPERTY_SEED=<seed>.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SendScheduler } from '../../src/pipeline/send-scheduler';

const SEED = Number(process.env['BEARLUMEN_PROPERTY_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env['BEARLUMEN_PROPERTY_RUNS'] ?? 200);
const MAX_BATCH = 8;

type Action =
  | { kind: 'record'; count: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'settle'; reply: number }
  | { kind: 'trickle'; events: number; gapMs: number }
  | { kind: 'flush' };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('record' as const), count: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 15 }) }),
  fc.record({ kind: fc.constant('settle' as const), reply: fc.integer({ min: 0, max: 2 }) }),
  // Steady traffic on a fast link: one event every gapMs, each batch settling within the same ms.
  fc.record({ kind: fc.constant('trickle' as const), events: fc.integer({ min: 1, max: 20 }), gapMs: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ kind: fc.constant('flush' as const) }),
);
const settingsArb = fc.integer({ min: 0, max: 10 }).chain((lingerMs) => fc.record({ lingerMs: fc.constant(lingerMs), flushIntervalMs: fc.integer({ min: Math.max(1, lingerMs), max: 40 }) }));

interface Cut {
  at: number;
  by: 'scheduler' | 'full' | 'flush';
  hasReply: boolean;
  oldest: number;
}

async function run(settings: { lingerMs: number; flushIntervalMs: number }, actions: Action[]): Promise<void> {
  const start = Date.now();
  const now = (): number => Date.now() - start;
  /** Record times of the buffered events, and whether each is a reply. */
  let buffer: Array<{ at: number; isReply: boolean }> = [];
  let inFlight = 0;
  const cuts: Cut[] = [];
  let cutBy: Cut['by'] = 'scheduler';
  const scheduler: SendScheduler = new SendScheduler({
    ...settings,
    keepAlive: false,
    now: () => Date.now(),
    isIdle: () => inFlight === 0,
    hasBuffered: () => buffer.length > 0,
    cut: () => cut(),
  });
  function cut(): void {
    scheduler.cancel();
    cuts.push({ at: now(), by: cutBy, hasReply: buffer.some((e) => e.isReply), oldest: Math.min(...buffer.map((e) => e.at)) });
    for (const event of buffer) expect(now() - event.at, 'an event waited past flushIntervalMs').toBeLessThanOrEqual(settings.flushIntervalMs + 1);
    buffer = [];
    inFlight += 1;
  }
  function cutAs(by: Cut['by']): void {
    cutBy = by;
    cut();
    cutBy = 'scheduler';
  }
  function record(isReply: boolean): void {
    buffer.push({ at: now(), isReply });
    // As the pipeline does: a full batch leaves at once, anything less is the scheduler's.
    if (buffer.length >= MAX_BATCH) cutAs('full');
    else scheduler.buffered();
  }
  /** The oldest batch in flight settles; its callers record `replies` events in the same turn. */
  async function settle(replies: number): Promise<void> {
    inFlight -= 1;
    scheduler.answered();
    if (inFlight === 0) scheduler.onIdle();
    for (let i = 0; i < replies; i++) record(true);
    await new Promise<void>((resolve) => process.nextTick(resolve));
  }
  for (const action of actions) {
    if (action.kind === 'record') for (let i = 0; i < action.count; i++) record(false);
    else if (action.kind === 'trickle') {
      for (let i = 0; i < action.events; i++) {
        record(false);
        await vi.advanceTimersByTimeAsync(0);
        while (inFlight > 0) await settle(0);
        await vi.advanceTimersByTimeAsync(action.gapMs);
      }
    }
    else if (action.kind === 'advance') await vi.advanceTimersByTimeAsync(action.ms);
    else if (action.kind === 'flush') {
      if (buffer.length > 0) cutAs('flush');
    } else if (inFlight > 0) await settle(action.reply);
  }
  // Traffic stops; every batch settles (not a reply window any more); the buffer must drain.
  while (inFlight > 0) {
    inFlight -= 1;
    if (inFlight === 0) scheduler.onIdle();
  }
  await vi.advanceTimersByTimeAsync(settings.flushIntervalMs + 2);
  expect(buffer, 'events left in the buffer after traffic stopped').toEqual([]);
  for (let i = 1; i < cuts.length; i++) {
    const cutNow = cuts[i] as Cut;
    if (cutNow.by !== 'scheduler' || cutNow.hasReply) continue;
    const gap = cutNow.at - (cuts[i - 1] as Cut).at;
    expect(gap, `a partial batch left ${gap} ms after the previous one (lingerMs ${settings.lingerMs})`).toBeGreaterThanOrEqual(settings.lingerMs);
  }
  scheduler.cancel();
}

describe('property: adaptive sending under random traffic', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never holds an event past flushIntervalMs, keeps partial batches lingerMs apart (replies excepted), and drains when traffic stops', async () => {
    process.stdout.write(`send-scheduler property: ${JSON.stringify({ seed: SEED, runs: RUNS })}\n`);
    await fc.assert(fc.asyncProperty(settingsArb, fc.array(actionArb, { minLength: 1, maxLength: 60 }), run), { numRuns: RUNS, seed: SEED, endOnFailure: true });
  });
});
