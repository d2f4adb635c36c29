import { BearLumenBufferFullError } from '../errors';
import type { PendingEvent } from './pending-event';

/** A `record()` waiting for room under `overflow: 'block'`. */
interface Waiter {
  readonly entry: PendingEvent;
  /** When it gives up, ms (same clock as `now`). */
  readonly deadline: number;
  readonly admitted: () => void;
  readonly refused: (error: unknown) => void;
}

/** What the queue needs from the pipeline. */
export interface BlockedRecordsOptions {
  /** Longest wait for room, ms (`batching.blockTimeoutMs`). */
  readonly timeoutMs: number;
  /** Most waiters at once (`batching.maxBlockedRecords`). */
  readonly max: number;
  readonly now: () => number;
  /** A waiter gave up at its deadline: count it (it rejects with BearLumenBufferFullError). */
  readonly onTimeout: () => void;
}

/**
 * The `record()` calls waiting for room under `overflow: 'block'`, first come first served, bounded
 * twice: at most `max` wait at once, and none longer than `timeoutMs`. Every waiter has the same
 * timeout, so deadlines grow in arrival order and one unref'd timer (for the oldest) serves them all.
 */
export class BlockedRecords {
  readonly #options: BlockedRecordsOptions;
  #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(options: BlockedRecordsOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#waiters.length;
  }

  /** Whether another waiter would exceed `max`. */
  get isFull(): boolean {
    return this.#waiters.length >= this.#options.max;
  }

  /** Queues `entry`; resolves once `admitNext` admits it, rejects at its deadline or on `refuseAll`. */
  wait(entry: PendingEvent): Promise<void> {
    return new Promise<void>((admitted, refused) => {
      this.#waiters.push({ entry, deadline: this.#options.now() + this.#options.timeoutMs, admitted, refused });
      if (this.#timer === undefined) this.#arm();
    });
  }

  /** Admits waiters in order while `hasRoom` says the oldest fits. */
  admitWhile(hasRoom: (entry: PendingEvent) => boolean, admit: (entry: PendingEvent) => void): void {
    while (this.#waiters.length > 0) {
      const next = this.#waiters[0] as Waiter;
      if (!hasRoom(next.entry)) return;
      this.#waiters.shift();
      admit(next.entry);
      next.admitted();
    }
    this.#disarm();
  }

  /** Rejects every waiter with `error` (shutdown); returns how many there were. */
  refuseAll(error: unknown): number {
    const waiters = this.#waiters;
    this.#waiters = [];
    this.#disarm();
    for (const waiter of waiters) waiter.refused(error);
    return waiters.length;
  }

  #arm(): void {
    const oldest = this.#waiters[0];
    if (oldest === undefined) return;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, oldest.deadline - this.#options.now()));
    // A waiting record() must not keep an otherwise finished process alive; the exit hook drains.
    this.#timer.unref();
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #expire(): void {
    this.#timer = undefined;
    const now = this.#options.now();
    const { timeoutMs } = this.#options;
    while (this.#waiters.length > 0 && (this.#waiters[0] as Waiter).deadline <= now) {
      const waiter = this.#waiters.shift() as Waiter;
      this.#options.onTimeout();
      waiter.refused(new BearLumenBufferFullError(`The event buffer had no room within blockTimeoutMs (${timeoutMs} ms); the event was not buffered`));
    }
    this.#arm();
  }
}
