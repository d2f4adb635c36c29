import type { Logger } from 'pino';
import { BearLumenBufferFullError, BearLumenClosedError } from '../errors';
import type { UsageEventInput, UsageRecordResponse } from '../protocol/types';
import type { Transport } from '../transport/types';
import { BackoffGate } from './backoff-gate';
import { BatchQueue } from './batch-queue';
import { BlockedRecords } from './blocked-records';
import { createBatchSender } from './batch-sender';
import { holdProcessOpen, settlesWithin } from './deadline';
import { createEventStamper, estimateEventBytes } from './event-stamp';
import { registerExitHook, type ExitParticipant, type ExitTrigger } from './exit-hook';
import { describe, Ledger } from './ledger';
import { Observers } from './observers';
import type { ResolvedBatchingOptions } from './options';
import { handledRejection, ignoreRejection, PendingEvent } from './pending-event';
import { SendScheduler } from './send-scheduler';
import type { SpoolFs } from './spool/fs';
import { SpoolLink } from './spool-link';
import type { Pipeline, PipelineEventMap, PipelineStats, ShutdownReport } from './types';

export interface PipelineDeps {
  transport: Transport;
  logger: Logger;
  options: ResolvedBatchingOptions;
  /** Install the beforeExit / SIGTERM / SIGINT drain hook. */
  handleExit: boolean;
  /** Clock and randomness (backoff jitter), injectable for tests. */
  now?: () => number;
  random?: () => number;
  /** The spool's file system and heartbeat, injectable so tests can make the disk fail and heal. */
  spoolFs?: SpoolFs;
  spoolHeartbeatMs?: number;
}

/** How long shutdown waits, after its deadline, for aborted sends to unwind (they are accounted for already). */
const SHUTDOWN_GRACE_MS = 50;

/**
 * The batching pipeline behind `usage.record()` (docs/pipeline.md): a bounded buffer cut into batches
 * on size, bytes, adaptive sending (send-scheduler.ts), `flush()` and `shutdown()`; batches sent
 * through a bounded p-queue by the batch sender (retries behind one shared backoff); every event
 * accounted for; `shutdown()` and the exit drain bounded by their deadlines (deadline.ts).
 */
export function createPipeline(deps: PipelineDeps): Pipeline {
  return new BatchingPipeline(deps);
}

class BatchingPipeline implements Pipeline, ExitParticipant {
  readonly #options: ResolvedBatchingOptions;
  readonly #transport: Transport;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #observers: Observers;
  readonly #ledger: Ledger;
  readonly #gate: BackoffGate;
  readonly #batches: BatchQueue;
  readonly #stamp: (event: UsageEventInput) => void;
  readonly #spool: SpoolLink | undefined;
  readonly #blocked: BlockedRecords;
  #buffer: PendingEvent[] = [];
  #bufferBytes = 0;
  readonly #scheduler: SendScheduler;
  #isClosed = false;
  /** Reused for every refused record(): a stack trace per refusal cost ~5 µs, exactly when the app is under pressure (bench/). */
  #bufferFullError: BearLumenBufferFullError | undefined;
  #shutdown: Promise<ShutdownReport> | undefined;
  #unregisterExit: (() => void) | undefined;
  constructor({ transport, logger, options, handleExit, now = Date.now, random = Math.random, spoolFs, spoolHeartbeatMs }: PipelineDeps) {
    this.#options = options;
    this.#transport = transport;
    this.#logger = logger;
    this.#now = now;
    this.#observers = new Observers(logger);
    this.#ledger = new Ledger(logger, this.#observers, (entry) => {
      this.#spool?.settled(entry);
      this.#admitBlocked();
      this.#scheduler.answered();
    });
    this.#gate = new BackoffGate({ baseMs: options.retryBaseMs, maxMs: options.retryMaxMs, probeMaxMs: options.probeMaxMs, now, random });
    const { maxRetryDurationMs } = options;
    const deliver = createBatchSender({ transport, gate: this.#gate, ledger: this.#ledger, observers: this.#observers, logger, maxRetryDurationMs, now });
    this.#batches = new BatchQueue({ concurrency: options.concurrency, deliver, ledger: this.#ledger, logger, onIdle: () => this.#scheduler.onIdle() });
    this.#stamp = createEventStamper(now);
    this.#blocked = new BlockedRecords({ timeoutMs: options.blockTimeoutMs, max: options.maxBlockedRecords, now, onTimeout: () => this.#ledger.refuse('buffer_full') });
    // Without the exit hook nothing drains the buffer when the loop empties, so the interval timer stays
    // ref'd while events wait: an awaited record() then settles instead of the process ending with the
    // promise pending (exit code 13). It is armed only while the buffer holds events.
    this.#scheduler = new SendScheduler({
      flushIntervalMs: options.flushIntervalMs,
      lingerMs: options.lingerMs,
      keepAlive: !handleExit,
      isIdle: () => this.#batches.isIdle,
      hasBuffered: () => this.#buffer.length > 0,
      cut: () => this.#cut(),
    });
    if (handleExit) this.#unregisterExit = registerExitHook(this);
    if (options.spoolDir !== undefined) {
      const deps = { options: { ...options, spoolDir: options.spoolDir }, logger, ledger: this.#ledger, fs: spoolFs, heartbeatMs: spoolHeartbeatMs };
      const unsettled = (): PendingEvent[][] => [...this.#batches.unsettled(), this.#buffer];
      this.#spool = new SpoolLink({ ...deps, admit: (entry) => this.#admit(entry), onRoom: () => this.#admitBlocked(), unsettled });
    }
  }

  record(event: UsageEventInput): Promise<UsageRecordResponse> {
    if (this.#isClosed) {
      this.#ledger.refuse('closed');
      return handledRejection(new BearLumenClosedError());
    }
    this.#stamp(event);
    const bytes = estimateEventBytes(event);
    if (this.#blocked.size === 0) {
      if (this.#hasRoom(bytes)) {
        const entry = new PendingEvent(event, bytes);
        this.#admit(entry);
        return entry.promise;
      }
      // Memory is full: with a healthy spool the event goes to disk only (docs/pipeline.md "Spilling to disk").
      const spilled = this.#spool?.spill(event, bytes);
      if (spilled !== undefined) return spilled;
    }
    return this.#overflow(event, bytes);
  }

  /** record() found no room (or others already waiting): refuse, or wait under `overflow: 'block'`. */
  #overflow(event: UsageEventInput, bytes: number): Promise<UsageRecordResponse> {
    const { maxBufferedBytes, overflow } = this.#options;
    if (bytes > maxBufferedBytes) {
      // Would never fit, even in an empty buffer: waiting could not help.
      this.#ledger.refuse('buffer_full');
      return handledRejection(new BearLumenBufferFullError(`The event alone is larger than maxBufferedBytes (about ${bytes} bytes > ${maxBufferedBytes}); it was not buffered`));
    }
    if (overflow === 'reject' || this.#blocked.isFull) {
      this.#ledger.refuse('buffer_full');
      if (overflow === 'block') return handledRejection(new BearLumenBufferFullError(`The event buffer is full and maxBlockedRecords (${this.#options.maxBlockedRecords}) records already wait for room`));
      return handledRejection((this.#bufferFullError ??= new BearLumenBufferFullError()));
    }
    if (this.#blocked.size === 0) this.#logger.warn({ unacked: this.#ledger.unacked }, "event buffer full: record() waits for room (overflow: 'block')");
    const entry = new PendingEvent(event, bytes);
    const result = this.#blocked.wait(entry).then(() => entry.promise);
    result.catch(ignoreRejection);
    return result;
  }

  refuse(error: unknown): Promise<never> {
    this.#ledger.refuseInvalid(error);
    return handledRejection(error);
  }

  async flush(): Promise<void> {
    // Someone awaits this flush: keep the process alive until it settles, within the retry budget,
    // or the loop would empty during an outage (the SDK's own timers are unref'd), `beforeExit` would
    // fire and the exit hook's short deadline would drop what the caller is waiting for.
    const letGo = holdProcessOpen(this.#options.maxRetryDurationMs + this.#options.retryMaxMs);
    try {
      await this.#settleAll();
    } finally {
      letGo();
    }
  }

  shutdown(options: { timeoutMs?: number } = {}): Promise<ShutdownReport> {
    this.#shutdown ??= this.#runShutdown(options.timeoutMs ?? this.#options.shutdownTimeoutMs);
    return this.#shutdown;
  }

  stats(): PipelineStats {
    const ledger = this.#ledger;
    const buffered = this.#buffer.length + this.#batches.queuedEvents;
    const inFlightEvents = ledger.unacked - buffered;
    return {
      buffered,
      inFlight: inFlightEvents,
      inFlightEvents,
      inFlightBatches: this.#batches.inFlightBatches,
      bufferedBytes: ledger.unackedBytes,
      delivered: ledger.delivered,
      duplicates: ledger.duplicates,
      failed: ledger.failed,
      dropped: ledger.dropped,
      droppedByReason: { ...ledger.droppedByReason },
      retries: ledger.retries,
      batches: ledger.batches,
      lastError: ledger.lastError,
      circuit: this.#gate.isOpen ? 'open' : 'closed',
      spool: this.#spool?.stats() ?? null,
    };
  }

  on<K extends keyof PipelineEventMap>(event: K, listener: (payload: PipelineEventMap[K]) => void): () => void {
    return this.#observers.on(event, listener);
  }

  hasPending(): boolean {
    return this.#ledger.unacked > 0 || (this.#spool?.spilledWaiting ?? 0) > 0;
  }

  async drainForExit(trigger: ExitTrigger): Promise<void> {
    if (this.#shutdown !== undefined) {
      await this.#shutdown;
      return;
    }
    const isDrained = await settlesWithin(this.#options.exitTimeoutMs, this.#settleAll());
    if (isDrained) return;
    if (trigger === 'beforeExit') {
      // The loop has no other work left: give up now, or beforeExit would fire again and again.
      await this.shutdown({ timeoutMs: 0 });
    } else {
      this.#logger.warn({ unacknowledged: this.#ledger.unacked, trigger }, 'exit deadline passed with usage events unacknowledged');
    }
  }

  /** Settles what is buffered and, with a spool, what was spilled to disk before the call (read back as memory frees up). */
  async #settleAll(): Promise<void> {
    // Read before waiting: spilled events are read back while the buffer drains, so by the end of the
    // first wait none may be left on disk, but those read back are then still to be settled.
    const hasSpilled = this.#spool !== undefined && this.#spool.spilledWaiting > 0;
    await this.#settleBuffered();
    if (!hasSpilled || this.#spool === undefined) return;
    await this.#spool.whenSpillFed();
    await this.#settleBuffered();
  }

  /** Cuts the buffer and waits until every batch (this one and those before) has settled. */
  async #settleBuffered(): Promise<void> {
    if (this.#buffer.length > 0) this.#cut();
    await this.#batches.settled();
  }

  #hasRoom(bytes: number): boolean {
    const { unacked, unackedBytes } = this.#ledger;
    if (this.#spool !== undefined && !this.#spool.hasRoom(bytes)) return false;
    // With the spool on, a held event also keeps its encoded JSON (its run, reused for the batch body): counted twice.
    const held = this.#spool === undefined ? unackedBytes + bytes : 2 * (unackedBytes + bytes);
    return unacked < this.#options.maxBufferedEvents && held <= this.#options.maxBufferedBytes;
  }

  #admit(entry: PendingEvent): void {
    this.#ledger.admit(entry);
    if (!this.#options.enabled) {
      this.#spool?.admitted(entry, true);
      this.#batches.enqueue([entry]);
      return;
    }
    if (this.#buffer.length > 0 && this.#bufferBytes + entry.bytes > this.#options.maxBatchBytes) this.#cut();
    this.#spool?.admitted(entry, this.#buffer.length === 0);
    this.#buffer.push(entry);
    this.#bufferBytes += entry.bytes;
    if (this.#buffer.length >= this.#options.maxBatchSize) this.#cut();
    else this.#scheduler.buffered();
  }

  #admitBlocked(): void {
    if (this.#blocked.size > 0) this.#blocked.admitWhile((entry) => this.#hasRoom(entry.bytes), (entry) => this.#admit(entry));
    this.#spool?.wake();
  }

  /** Moves the whole buffer into one batch (the buffer never holds more than one batch's worth). */
  #cut(): void {
    this.#scheduler.cancel();
    const entries = this.#buffer;
    this.#buffer = [];
    this.#bufferBytes = 0;
    this.#batches.enqueue(entries);
  }

  async #runShutdown(timeoutMs: number): Promise<ShutdownReport> {
    const deadline = this.#now() + timeoutMs;
    this.#isClosed = true;
    const refused = this.#blocked.refuseAll(new BearLumenClosedError('The client shut down before the buffer had room for this event'));
    for (let i = 0; i < refused; i++) this.#ledger.refuse('closed');
    this.#spool?.stop();
    const isDrained = await settlesWithin(timeoutMs, this.#settleAll());
    // Reading spilled events back stops here (what is still on disk stays for the next client).
    this.#spool?.close();
    let unsent: UsageEventInput[] = [];
    if (!isDrained) {
      if (this.#buffer.length > 0) this.#cut();
      const last = this.#ledger.lastError;
      const error = new BearLumenClosedError(`shutdown deadline (${timeoutMs} ms) passed before the event was acknowledged${last === null ? '' : ` (last error: ${last.code})`}`);
      const leftovers = this.#batches.abort(error);
      this.#spool?.retain(leftovers);
      unsent = this.#ledger.abandon(leftovers, 'shutdown_timeout', error).map((entry) => entry.event);
    }
    this.#unregisterExit?.();
    // Spilled events never read back stay on disk for the next client: counted like the retained ones, not listed.
    const spooled = this.#spool?.spilledWaiting ?? 0;
    if (spooled > 0) this.#ledger.leaveSpooled(spooled);
    // The rest of the deadline bounds the other requests in flight (endUsers.list(), …) too: after it
    // the transport aborts them and destroys its pool instead of waiting (docs/pipeline.md "Deadlines").
    const closing = this.#transport.close({ timeoutMs: Math.max(0, deadline - this.#now()) }).catch((error: unknown) => {
      this.#logger.warn({ err: describe(error) }, 'closing the transport failed');
    });
    // Aborted sends end within a turn or two; their events are already accounted for, so this wait is
    // short and bounded: shutdown returns within its deadline plus SHUTDOWN_GRACE_MS.
    if (!isDrained) await settlesWithin(SHUTDOWN_GRACE_MS, this.#batches.settled());
    await closing;
    const ledger = this.#ledger;
    return {
      delivered: ledger.delivered,
      duplicates: ledger.duplicates,
      failed: ledger.failed,
      dropped: ledger.dropped,
      droppedByReason: { ...ledger.droppedByReason },
      replayed: this.#spool?.stats().replayed ?? 0,
      unsent,
      spooled,
    };
  }
}
