import PQueue from 'p-queue';
import type { Logger } from 'pino';
import { sharedAbortController } from '../internal/shared-abort';
import type { Ledger } from './ledger';
import type { PendingEvent } from './pending-event';

/** What the batch queue needs: how many batches may be in flight, how to deliver one, and the ledger for a sender bug. */
export interface BatchQueueDeps {
  concurrency: number;
  /** Sends a batch until every event in it is settled (the batch sender: retries, backoff, accounting); never rejects. */
  deliver: (entries: PendingEvent[], signal: AbortSignal) => Promise<void>;
  ledger: Ledger;
  logger: Logger;
  /** The last batch settled: nothing queued or in flight. */
  onIdle: () => void;
}

/** A batch cut from the buffer: its events, and a promise that resolves once all are settled. */
interface Batch {
  readonly entries: PendingEvent[];
  done: Promise<void>;
}

/**
 * Batches cut from the buffer, sent through a bounded p-queue (`concurrency` in flight, the rest
 * queued), and tracked until every event in them is settled: what flush() and shutdown() wait for, and
 * what a shutdown deadline aborts (docs/pipeline.md "How an event travels").
 */
export class BatchQueue {
  readonly #deps: BatchQueueDeps;
  readonly #queue: PQueue;
  readonly #abort = sharedAbortController();
  readonly #batches = new Set<Batch>();
  #queuedEvents = 0;
  #queuedBatches = 0;

  constructor(deps: BatchQueueDeps) {
    this.#deps = deps;
    this.#queue = new PQueue({ concurrency: deps.concurrency });
  }

  /** No batch is queued or in flight. */
  get isIdle(): boolean {
    return this.#batches.size === 0;
  }

  /** Events in batches waiting for a sending slot. */
  get queuedEvents(): number {
    return this.#queuedEvents;
  }

  /** Batches being sent (holding a slot). */
  get inFlightBatches(): number {
    return this.#batches.size - this.#queuedBatches;
  }

  enqueue(entries: PendingEvent[]): void {
    const batch: Batch = { entries, done: Promise.resolve() };
    this.#queuedEvents += entries.length;
    this.#queuedBatches += 1;
    this.#batches.add(batch);
    const signal = this.#abort.signal;
    batch.done = this.#queue
      .add(async () => {
        this.#queuedEvents -= entries.length;
        this.#queuedBatches -= 1;
        await this.#deps.deliver(entries, signal);
      })
      .catch((error: unknown) => {
        // The sender never rejects; if a bug made it, fail the events rather than leave them hanging.
        this.#deps.logger.error({ err: error }, 'usage batch sender failed unexpectedly');
        for (const entry of entries) this.#deps.ledger.fail(entry, error);
      })
      .finally(() => {
        this.#batches.delete(batch);
        if (this.#batches.size === 0) this.#deps.onIdle();
      });
  }

  /** The entries of every batch not yet settled, batch by batch in the order they were cut (some of their events may be settled). */
  unsettled(): PendingEvent[][] {
    return [...this.#batches].map((batch) => batch.entries);
  }

  /** Resolves once every batch enqueued so far has settled. */
  settled(): Promise<void> {
    return Promise.all([...this.#batches].map((batch) => batch.done)).then(() => undefined);
  }

  /** Aborts every send (a shutdown deadline passed) and returns the events not yet settled. */
  abort(error: unknown): PendingEvent[] {
    this.#abort.abort(error);
    return [...this.#batches].flatMap((batch) => batch.entries).filter((entry) => !entry.isSettled);
  }
}
