/**
 * When a partial batch leaves the buffer: adaptive sending, as a database's group commit or TCP's
 * Nagle algorithm does it (docs/pipeline.md "Adaptive sending").
 *
 * - Nothing in flight: the buffer leaves right after the current turn of the event loop (one
 *   `setImmediate`), so an awaited `record()` on a quiet client costs one request, not
 *   `flushIntervalMs`; events recorded in the same turn (a `Promise.all`) still share one batch.
 * - Batches in flight: events accumulate into the next batch. It leaves when it is full (the pipeline
 *   cuts at `maxBatchSize` / `maxBatchBytes`), when the last batch in flight settles (`onIdle()`), or
 *   at the latest `flushIntervalMs` after its first event. A burst therefore still leaves in full
 *   batches, while a trickle waits at most one round trip.
 */
export interface SendSchedulerOptions {
  /** Longest wait of a buffered event while batches are in flight, ms. */
  flushIntervalMs: number;
  /**
   * Whether the interval timer holds the process open. True only without the exit hook: then nothing
   * else drains the buffer when the loop empties, and an awaited record() must still settle.
   */
  keepAlive: boolean;
  /** Whether no batch is in flight or queued. */
  isIdle: () => boolean;
  /** Whether the buffer holds events. */
  hasBuffered: () => boolean;
  /** Moves the buffer into a batch (and calls `cancel()`). */
  cut: () => void;
}

/** Schedules the cut of a partial batch; see the file comment. Holds at most one timer and one immediate. */
export class SendScheduler {
  readonly #options: SendSchedulerOptions;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;

  constructor(options: SendSchedulerOptions) {
    this.#options = options;
  }

  /** An event joined the buffer, which is still below a full batch. */
  buffered(): void {
    if (this.#immediate !== undefined || this.#timer !== undefined) return;
    if (this.#options.isIdle()) {
      this.#immediate = setImmediate(() => {
        this.#immediate = undefined;
        this.#cutOrWait();
      });
    } else {
      this.#arm();
    }
  }

  /** The last batch in flight settled: what accumulated meanwhile leaves now. */
  onIdle(): void {
    if (this.#options.hasBuffered()) this.#options.cut();
  }

  /** The buffer was cut (full batch, flush, shutdown): nothing is pending any more. */
  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }

  /** After the turn: still idle → send; a full batch left in the same turn → accumulate behind it. */
  #cutOrWait(): void {
    if (!this.#options.hasBuffered()) return;
    if (this.#options.isIdle()) this.#options.cut();
    else this.#arm();
  }

  #arm(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#options.hasBuffered()) this.#options.cut();
    }, this.#options.flushIntervalMs);
    if (!this.#options.keepAlive) this.#timer.unref();
  }
}
