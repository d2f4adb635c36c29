import type { UsageEventInput, UsageRecordResponse } from '../protocol/types';
import type { BearLumenError } from '../errors';
import type { SpoolStats } from './spool/spool';

export type { SpoolStats } from './spool/spool';

/**
 * Why an event was given up on without the server's answer:
 * `invalid` (record() refused its input: a BearLumenValidationError, or a throw while reading the event),
 * `buffer_full` (record() refused it: the buffer was full with overflow 'reject', a blocked record()
 * waited longer than `blockTimeoutMs` or found `maxBlockedRecords` waiting, or the event alone is larger
 * than `maxBufferedBytes`), `closed` (record() called once shutdown started, or a blocked record() when
 * shutdown started: error code `client_closed`), `retries_exhausted` (retryable failures for longer than
 * `maxRetryDurationMs`), `shutdown_timeout` (still unacknowledged at shutdown's deadline: the report's `unsent`; or spilled to
 * the spool and still on disk only when shutdown ended: the report's `spooled`).
 * Events the server refused are not drops: they count as `failed`. Every `record()` call ends in exactly
 * one of delivered, duplicates, failed or one drop reason.
 */
export type DropReason = 'invalid' | 'buffer_full' | 'shutdown_timeout' | 'retries_exhausted' | 'closed';

/** What `shutdown()` resolves to: every event the client ever accepted is in exactly one bucket. */
export interface ShutdownReport {
  /** Events stored by the server as new. */
  delivered: number;
  /** Events the server already held (same idempotency key): acknowledged, not stored twice. */
  duplicates: number;
  /** Events the server refused (a 4xx for them: invalid, too large, key reused, unauthorized); their promises rejected with its error. */
  failed: number;
  /** Events never accepted or given up on (every DropReason, `unsent` included). */
  dropped: number;
  /** The same, per reason. */
  droppedByReason: Partial<Record<DropReason, number>>;
  /** Events read back from the spool directory (left there by earlier processes) and fed into this client: already in the counts above when settled. */
  replayed: number;
  /**
   * Events still unacknowledged when the deadline passed (with their idempotency keys), so the caller can
   * persist and resend them: the server treats a resend of a stored event as a duplicate. With a spool
   * they also stay in the spool directory, and the next client started on it delivers them.
   */
  unsent: UsageEventInput[];
  /**
   * Events accepted while the memory bound was full (spilled to the spool directory) and still on disk
   * only at shutdown: counted in `dropped` as `shutdown_timeout` but not listed in `unsent` (they are not
   * in memory); the next client started on the directory delivers them. 0 without a spool.
   */
  spooled: number;
}

/** A snapshot of the pipeline's counters (`client.stats()`). */
export interface PipelineStats {
  /** Events not yet sent: in the buffer, or in batches waiting for a free `concurrency` slot. */
  buffered: number;
  /** Events (not requests) in batches being sent or waiting for a retry. Same as `inFlightEvents`. */
  inFlight: number;
  /** Events in batches being sent or waiting for a retry. */
  inFlightEvents: number;
  /** Batch requests being sent or waiting for a retry (at most `concurrency`). */
  inFlightBatches: number;
  /** Estimated bytes of every unacknowledged event (buffered + inFlight); bounded by `maxBufferedBytes`. */
  bufferedBytes: number;
  /** Events stored by the server as new. */
  delivered: number;
  /** Events the server already held (same idempotency key). */
  duplicates: number;
  /** Events the server refused (their promises rejected with the server's error). */
  failed: number;
  /** Total dropped, and per reason. */
  dropped: number;
  droppedByReason: Partial<Record<DropReason, number>>;
  /** Attempts after the first, over all batches. */
  retries: number;
  /** Batches acknowledged. */
  batches: number;
  /** The last error seen (message and code only; never a secret), or null. */
  lastError: { code: string; message: string; at: string } | null;
  /** `'open'` while the server is failing and batches wait behind one shared backoff. */
  circuit: 'closed' | 'open';
  /** The durable spool's counters, or null when `batching.spoolDir` is not set. */
  spool: SpoolStats | null;
}

/** Observer events (`client.on(name, listener)`). */
export interface PipelineEventMap {
  /** A batch was acknowledged: `count` events, of which `recorded` stored as new and `duplicates` already held. */
  flush: { count: number; recorded: number; duplicates: number; attempts: number; durationMs: number };
  /** A batch attempt of `count` events failed (retried or final). */
  error: { error: BearLumenError; count: number; willRetry: boolean };
  /**
   * `count` events were given up on. `events` holds them (with their keys) for `retries_exhausted` and
   * `shutdown_timeout`, so they can be persisted and resent; it is empty for events record() never
   * accepted (`invalid`, `buffer_full`, `closed`) and for spilled events still on disk only at shutdown
   * (`shutdown_timeout`, the report's `spooled`: the next client on the spool directory delivers them).
   */
  drop: { reason: DropReason; count: number; events: UsageEventInput[] };
}

/** What the client needs from the pipeline. */
export interface Pipeline {
  /**
   * Buffers an already validated, folded event; resolves when its batch is acknowledged. Takes ownership
   * of `event` (a fresh object from toWireEvent): its missing `idempotencyKey` and `timestamp` are filled
   * in place, and it must not be recorded twice.
   */
  record(event: UsageEventInput): Promise<UsageRecordResponse>;
  /** Settles every event buffered before the call (resolved or rejected); never rejects itself. */
  flush(): Promise<void>;
  /** Runs once: stop intake, drain within the deadline, close the transport, report. */
  shutdown(options?: { timeoutMs?: number }): Promise<ShutdownReport>;
  stats(): PipelineStats;
  /**
   * Accounts for a record() call that failed before its event reached the pipeline (invalid input, or a
   * throw while reading it): counted as dropped (`invalid`), observed, logged once per rule; returns a
   * promise rejected with `error`, already marked handled.
   */
  refuse(error: unknown): Promise<never>;
  /** Subscribes to an observer event; returns the unsubscribe function. */
  on<K extends keyof PipelineEventMap>(event: K, listener: (payload: PipelineEventMap[K]) => void): () => void;
}
