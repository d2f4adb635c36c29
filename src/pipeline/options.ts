/**
 * Batching options (`new BearLumen({ batching })`): types, defaults and validation.
 * Owned by the pipeline; the client passes the user's value through `resolveBatchingOptions()`.
 * docs/pipeline.md explains each default.
 */
import { BearLumenValidationError } from '../errors';
import { MAX_BATCH_SIZE, MAX_BODY_BYTES } from '../protocol/limits';
import { assertInteger, assertKnownKeys, assertObject, optionalEnum } from '../internal/validate';

/** What `record()` does when the buffer is full. */
export type OverflowPolicy = 'reject' | 'block';

/** Batching options. Every duration is in milliseconds. */
export interface BatchingOptions {
  /** Most events per batch request, 1–1000 (the server's limit). @default 1000 */
  readonly maxBatchSize?: number;
  /**
   * Most bytes per batch request (estimated JSON size, before gzip), 1 KiB–16 MiB. A batch leaves as soon
   * as the next event would cross it. Kept at a quarter of the server's 16 MiB body limit so that even
   * non-ASCII text (up to 3 bytes a character, which the estimate counts as one) stays under it.
   * @default 4194304 (4 MiB)
   */
  readonly maxBatchBytes?: number;
  /** Longest time an event waits in the buffer before its batch is sent, 1–600000 ms. @default 1000 */
  readonly flushIntervalMs?: number;
  /** Most batch requests in flight at once, 1–64. @default 4 */
  readonly concurrency?: number;
  /** Most events held unacknowledged (buffered, in flight or waiting for a retry), ≥ 1. @default 100000 */
  readonly maxBufferedEvents?: number;
  /** Most estimated bytes held unacknowledged, ≥ 1 KiB. @default 67108864 (64 MiB) */
  readonly maxBufferedBytes?: number;
  /**
   * When the buffer is full: `'reject'` makes `record()` reject with BearLumenBufferFullError (the event
   * is counted as dropped); `'block'` makes `record()` wait for room (rejects with BearLumenClosedError
   * if shutdown starts first).
   * @default 'reject'
   */
  readonly overflow?: OverflowPolicy;
  /**
   * How long a batch keeps retrying after its first failed attempt (connection errors, 408, 409, 429,
   * 5xx) before its events are dropped as `retries_exhausted`, 0–86400000 ms. Five minutes outlasts a
   * two-minute outage with room for the longest backoff.
   * @default 300000
   */
  readonly maxRetryDurationMs?: number;
  /** First backoff ceiling after a failure (full jitter), 1–60000 ms. @default 500 */
  readonly retryBaseMs?: number;
  /** Largest backoff between attempts, ≥ retryBaseMs, ≤ 600000 ms. @default 30000 */
  readonly retryMaxMs?: number;
  /**
   * Longest wait before the next probe during an outage, 1–600000 ms. While the server fails, one batch
   * at a time probes it and the others wait; capping the probe's wait lets delivery resume within this
   * long of the server's return, however long the outage was. A server's `Retry-After` still wins.
   * @default 5000
   */
  readonly probeMaxMs?: number;
  /** Default deadline of `shutdown()` when no `timeoutMs` is given, 0–3600000 ms. @default 10000 */
  readonly shutdownTimeoutMs?: number;
  /**
   * Deadline of the exit hook's drain (beforeExit, SIGTERM, SIGINT), 0–600000 ms. Below `docker stop`'s
   * 10 s and Kubernetes' 30 s grace periods, leaving the app's own handlers time too.
   * @default 5000
   */
  readonly exitTimeoutMs?: number;
}

/** Options with every default filled in; `enabled` is false for `batching: false`. */
export type ResolvedBatchingOptions = { readonly [K in keyof BatchingOptions]-?: NonNullable<BatchingOptions[K]> } & {
  readonly enabled: boolean;
};

/** The defaults, once (see each option's `@default` and docs/pipeline.md for the reasons). */
export const BATCHING_DEFAULTS: ResolvedBatchingOptions = Object.freeze({
  enabled: true,
  maxBatchSize: MAX_BATCH_SIZE,
  maxBatchBytes: 4 * 1024 * 1024,
  flushIntervalMs: 1000,
  concurrency: 4,
  maxBufferedEvents: 100_000,
  maxBufferedBytes: 64 * 1024 * 1024,
  overflow: 'reject',
  maxRetryDurationMs: 300_000,
  retryBaseMs: 500,
  retryMaxMs: 30_000,
  probeMaxMs: 5000,
  shutdownTimeoutMs: 10_000,
  exitTimeoutMs: 5000,
});

const KNOWN_KEYS: ReadonlySet<string> = new Set(Object.keys(BATCHING_DEFAULTS).filter((key) => key !== 'enabled'));

/** Integer ranges, checked in this order. */
const RANGES: ReadonlyArray<readonly [keyof BatchingOptions, number, number]> = [
  ['maxBatchSize', 1, MAX_BATCH_SIZE],
  ['maxBatchBytes', 1024, MAX_BODY_BYTES],
  ['flushIntervalMs', 1, 600_000],
  ['concurrency', 1, 64],
  ['maxBufferedEvents', 1, Number.MAX_SAFE_INTEGER],
  ['maxBufferedBytes', 1024, Number.MAX_SAFE_INTEGER],
  ['maxRetryDurationMs', 0, 86_400_000],
  ['retryBaseMs', 1, 60_000],
  ['retryMaxMs', 1, 600_000],
  ['probeMaxMs', 1, 600_000],
  ['shutdownTimeoutMs', 0, 3_600_000],
  ['exitTimeoutMs', 0, 600_000],
];

/**
 * Validates the `batching` option and fills the defaults. `false` sends each event on its own
 * (same retries, keys and results, no buffering delay).
 * @throws {BearLumenValidationError} naming `batching.<option>`, the rule and the received value, for
 * unknown keys, out-of-range numbers or an unknown overflow policy.
 */
export function resolveBatchingOptions(input: BatchingOptions | false | undefined): ResolvedBatchingOptions {
  if (input === false) return { ...BATCHING_DEFAULTS, enabled: false };
  if (input === undefined) return BATCHING_DEFAULTS;
  assertObject(input, 'batching');
  assertKnownKeys(input as Record<string, unknown>, KNOWN_KEYS, 'batching');
  const values: Record<string, unknown> = input;
  for (const [name, min, max] of RANGES) {
    const value = values[name];
    if (value !== undefined) assertInteger(value, `batching.${name}`, min, max);
  }
  optionalEnum(input.overflow, 'batching.overflow', ['reject', 'block']);
  const resolved: ResolvedBatchingOptions = { ...BATCHING_DEFAULTS, ...withoutUndefined(input), enabled: true };
  if (resolved.retryMaxMs < resolved.retryBaseMs) {
    throw new BearLumenValidationError('batching.retryMaxMs', `must be >= batching.retryBaseMs (${resolved.retryBaseMs})`, resolved.retryMaxMs);
  }
  return resolved;
}

function withoutUndefined(input: BatchingOptions): BatchingOptions {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) if (value !== undefined) out[key] = value;
  return out;
}
