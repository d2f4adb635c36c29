import { performance } from 'node:perf_hooks';

/**
 * When a partial batch leaves the buffer: adaptive sending, as a database's group commit or TCP's
 * Nagle algorithm does it, with a linger as Kafka's producer has (docs/pipeline.md "Adaptive sending").
 *
 * - Nothing in flight, and no request started within the last `lingerMs`: the buffer leaves right
 *   after the current turn of the event loop (one `setImmediate`), so an awaited `record()` on a quiet
 *   client costs one request, not `flushIntervalMs`; events recorded in the same turn (a
 *   `Promise.all`) still share one batch.
 * - Nothing in flight, but a request started less than `lingerMs` ago (steady traffic on a fast link):
 *   the buffer leaves `lingerMs` after that request started, with what arrived meanwhile. Without
 *   this, a link faster than the gap between events sends one request per event.
 * - Batches in flight: events accumulate into the next batch. It leaves when it is full (the pipeline
 *   cuts at `maxBatchSize` / `maxBatchBytes`), when the last batch in flight settles (`onIdle()`, then
 *   no sooner than `lingerMs` after the previous request started), or at the latest `flushIntervalMs`
 *   after it was first scheduled. A burst therefore still leaves in full batches, while a trickle
 *   waits at most about one round trip or `lingerMs`, whichever is longer.
 * - Replies never linger: an event recorded by the promise callbacks that earlier events' settling
 *   started (`answered()`) is a caller's next step after awaiting them (an awaited `record()` in a
 *   loop), so it leaves as if nothing had been sent recently. Such a loop therefore runs at the speed
 *   of the round trip, not at one call per `lingerMs`.
 */
export interface SendSchedulerOptions {
  /** Longest wait of a buffered event while batches are in flight, ms. */
  flushIntervalMs: number;
  /** Least time between the starts of two partial batches, ms (0: none). At most `flushIntervalMs`. */
  lingerMs: number;
  /**
   * Whether the timers hold the process open. True only without the exit hook: then nothing
   * else drains the buffer when the loop empties, and an awaited record() must still settle.
   */
  keepAlive: boolean;
  /** Whether no batch is in flight or queued. */
  isIdle: () => boolean;
  /** Whether the buffer holds events. */
  hasBuffered: () => boolean;
  /** Moves the buffer into a batch (and calls `cancel()`). */
  cut: () => void;
  /** A monotonic clock, ms (a seam for tests). @default performance.now */
  now?: () => number;
}

/** Schedules the cut of a partial batch; see the file comment. Holds at most one timer and one immediate. */
export class SendScheduler {
  readonly #options: SendSchedulerOptions;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  /** When #timer fires (clock of #now). */
  #timerDue = 0;
  /** When the buffer's partial batch was first scheduled, if it is. */
  #pendingSince: number | undefined;
  #immediate: NodeJS.Immediate | undefined;
  /** When the buffer was last cut into a batch (the start of the latest request). */
  #lastCutAt = Number.NEGATIVE_INFINITY;
  /** Events settled in the current turn (cleared once the promise callbacks it started have run). */
  #isAnsweredTurn = false;
  /** The buffer holds an event recorded in such a turn: it does not linger. */
  #holdsReply = false;
  readonly #endAnsweredTurn = (): void => {
    this.#isAnsweredTurn = false;
  };

  constructor(options: SendSchedulerOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** An event joined the buffer, which is still below a full batch. */
  buffered(): void {
    if (this.#isAnsweredTurn && !this.#holdsReply) {
      this.#holdsReply = true;
      // A reply does not wait for a linger already running.
      if (this.#timer !== undefined && this.#options.isIdle()) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
    }
    if (this.#immediate !== undefined || this.#timer !== undefined) return;
    const now = this.#now();
    this.#pendingSince = now;
    if (!this.#options.isIdle()) {
      this.#arm(now + this.#options.flushIntervalMs, now);
      return;
    }
    const lingerEnd = this.#lingerEnd();
    if (lingerEnd > now) {
      this.#arm(lingerEnd, now);
      return;
    }
    this.#immediate = setImmediate(() => {
      this.#immediate = undefined;
      this.#due();
    });
  }

  /** The last batch in flight settled: what accumulated meanwhile leaves now, or when the linger ends. */
  onIdle(): void {
    if (!this.#options.hasBuffered()) return;
    const now = this.#now();
    const lingerEnd = this.#lingerEnd();
    if (lingerEnd > now) this.#arm(lingerEnd, now);
    else this.#options.cut();
  }

  /**
   * Events settled: what is recorded before the promise callbacks this starts have run is taken for a
   * reply. The flag ends in a `process.nextTick`, which runs once the current microtask queue (the
   * callers' `await` continuations included) has drained, before any other I/O or timer callback.
   */
  answered(): void {
    if (this.#isAnsweredTurn) return;
    this.#isAnsweredTurn = true;
    process.nextTick(this.#endAnsweredTurn);
  }

  /** The buffer was cut (full batch, flush, shutdown): nothing is pending any more. */
  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
    this.#pendingSince = undefined;
    this.#holdsReply = false;
    this.#lastCutAt = this.#now();
  }

  /** When the buffer may leave, as far as the linger goes: at once when it holds a reply. */
  #lingerEnd(): number {
    return this.#holdsReply ? Number.NEGATIVE_INFINITY : this.#lastCutAt + this.#options.lingerMs;
  }

  /** The immediate or a timer came due: idle → send; batches in flight → wait for them, or for flushIntervalMs. */
  #due(): void {
    if (!this.#options.hasBuffered()) {
      this.#pendingSince = undefined;
      return;
    }
    const now = this.#now();
    const deadline = (this.#pendingSince ?? now) + this.#options.flushIntervalMs;
    if (this.#options.isIdle() || deadline <= now) this.#options.cut();
    else this.#arm(deadline, now);
  }

  /** Fires #due at `dueAt`, unless a timer already fires sooner. */
  #arm(dueAt: number, now: number): void {
    if (this.#timer !== undefined) {
      if (this.#timerDue <= dueAt) return;
      clearTimeout(this.#timer);
    }
    this.#timerDue = dueAt;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#due();
    }, Math.max(0, Math.ceil(dueAt - now)));
    if (!this.#options.keepAlive) this.#timer.unref();
  }
}
