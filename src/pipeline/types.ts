import type { UsageEventInput, UsageRecordResponse } from '../protocol/types';
import type { BearLumenError } from '../errors';

/** Why an event was given up on without being stored. */
export type DropReason = 'buffer_full' | 'shutdown_timeout' | 'rejected' | 'retries_exhausted' | 'closed';

/** What `shutdown()` resolves to: every event the client ever accepted is in exactly one bucket. */
export interface ShutdownReport {
  /** Events stored by the server as new. */
  delivered: number;
  /** Events the server already held (same idempotency key): acknowledged, not stored twice. */
  duplicates: number;
  /** Events the server rejected or that failed for good (their promises rejected with the error). */
  failed: number;
  /** Events never accepted or given up on, by reason (e.g. buffer_full). */
  dropped: number;
  /** Events still unacknowledged when the deadline passed, so the caller can persist them. */
  unsent: UsageEventInput[];
}

/** A snapshot of the pipeline's counters (`client.stats()`). */
export interface PipelineStats {
  /** Events waiting in the buffer (not yet in a batch). */
  buffered: number;
  /** Events in batches being sent or waiting for a retry. */
  inFlight: number;
  delivered: number;
  duplicates: number;
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
}

/** Observer events (`client.on(name, listener)`). */
export interface PipelineEventMap {
  /** A batch was acknowledged. */
  flush: { events: number; recorded: number; duplicates: number; attempts: number; durationMs: number };
  /** A batch attempt failed (retried or final). */
  error: { error: BearLumenError; events: number; willRetry: boolean };
  /** Events were given up on. */
  drop: { reason: DropReason; count: number };
}

/** What the client needs from the pipeline. */
export interface Pipeline {
  /** Buffers an already validated, folded event; resolves when its batch is acknowledged. */
  record(event: UsageEventInput): Promise<UsageRecordResponse>;
  /** Settles every event buffered before the call. */
  flush(): Promise<void>;
  /** Runs once: stop intake, drain within the deadline, close the transport, report. */
  shutdown(options?: { timeoutMs?: number }): Promise<ShutdownReport>;
  stats(): PipelineStats;
  /** Subscribes to an observer event; returns the unsubscribe function. */
  on<K extends keyof PipelineEventMap>(event: K, listener: (payload: PipelineEventMap[K]) => void): () => void;
}
