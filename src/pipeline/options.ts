/**
 * Batching options (`new BearLumen({ batching })`): types, defaults and validation.
 * Owned by the pipeline; the client passes the user's value through `resolveBatchingOptions()`.
 * docs/pipeline.md explains each default.
 */
import { resolve } from 'node:path';
import { BearLumenValidationError } from '../errors';
import { MAX_BATCH_SIZE, MAX_BODY_BYTES } from '../protocol/limits';
import { assertInteger, assertKnownKeys, assertObject, fail, optionalBoolean, optionalEnum } from '../internal/validate';

/** What `record()` does when the buffer is full. */
export type OverflowPolicy = 'reject' | 'block';

/** Batching options. Every duration is in milliseconds. */
export interface BatchingOptions {
  /**
   * `false` sends each `record()` as its own request at once (same keys, retries, results, exit hook
   * and bounds); the buffering options (`maxBatchSize`, `maxBatchBytes`, `flushIntervalMs`) then have no
   * effect and are refused. `batching: false` is short for `{ enabled: false }`.
   * @default true
   */
  readonly enabled?: boolean;
  /** Most events per batch request, 1–1000 (the server's limit), ≤ `maxBufferedEvents`. @default 1000, or `maxBufferedEvents` if smaller */
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
  /**
   * Least time between the starts of two partial batches, 0–60000 ms, ≤ `flushIntervalMs`. A client that
   * sent nothing for this long sends a lone event at once; under steady traffic on a fast link, events
   * that arrive within this long of the previous request go together in the next one instead of one
   * request each (docs/pipeline.md "Adaptive sending"). Full batches never wait. 0 sends whenever
   * nothing is in flight.
   * @default 5
   */
  readonly lingerMs?: number;
  /** Most batch requests in flight at once, 1–64. @default 4 */
  readonly concurrency?: number;
  /** Most events held unacknowledged (buffered, in flight or waiting for a retry), ≥ 1. @default 100000 */
  readonly maxBufferedEvents?: number;
  /**
   * Most bytes held unacknowledged, ≥ 1 KiB: the sum of each event's estimated UTF-8 JSON size (an upper
   * bound; docs/pipeline.md says exactly what it covers). An event larger than this on its own is refused.
   * @default 67108864 (64 MiB)
   */
  readonly maxBufferedBytes?: number;
  /**
   * When the buffer is full (and, with `spoolDir`, the event cannot be spilled to disk instead:
   * `maxSpoolBytes` full or the spool memory-only): `'reject'` makes `record()` reject with BearLumenBufferFullError (the event
   * is counted as dropped); `'block'` makes `record()` wait for room, at most `blockTimeoutMs`, with at
   * most `maxBlockedRecords` waiting (rejects with BearLumenBufferFullError beyond either bound, with
   * BearLumenClosedError if shutdown starts first).
   * @default 'reject'
   */
  readonly overflow?: OverflowPolicy;
  /** With `overflow: 'block'`: longest wait for room before `record()` rejects with BearLumenBufferFullError, 1–3600000 ms. @default 30000 */
  readonly blockTimeoutMs?: number;
  /** With `overflow: 'block'`: most `record()` calls waiting for room at once; one more rejects with BearLumenBufferFullError, 1–1000000. @default 10000 */
  readonly maxBlockedRecords?: number;
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
  /**
   * A directory for the durable spool (docs/pipeline.md "Surviving crashes"): every accepted event is
   * written there before the event-loop turn that recorded it ends, so a crash (SIGKILL, OOM kill, an
   * uncaught exception) loses none; the next client started on the directory delivers what is left.
   * Events accepted while the memory bound is full are kept on disk only and read back as memory frees
   * up (docs/pipeline.md "Spilling to disk"). A relative path is resolved against the working directory. Falls back to `BEARLUMEN_SPOOL_DIR`.
   * @default undefined (off: events live in memory only)
   */
  readonly spoolDir?: string;
  /** `fdatasync` after every spool write, so events also survive power loss (costs a disk flush per event-loop turn). @default false */
  readonly spoolSync?: boolean;
  /** Most bytes of spool files this client keeps, ≥ 1 MiB; when full (and memory is full), `overflow` decides as for the memory bound. @default 1073741824 (1 GiB) */
  readonly maxSpoolBytes?: number;
}

/** Options with every default filled in; `enabled` is false for `batching: false`; `spoolDir` is absolute, or undefined when the spool is off. */
export type ResolvedBatchingOptions = { readonly [K in Exclude<keyof BatchingOptions, 'spoolDir'>]-?: NonNullable<BatchingOptions[K]> } & {
  readonly spoolDir: string | undefined;
};

/** Environment variable naming the spool directory when `batching.spoolDir` is not given. */
export const SPOOL_DIR_ENV = 'BEARLUMEN_SPOOL_DIR';

/** The defaults, once (see each option's `@default` and docs/pipeline.md for the reasons). */
export const BATCHING_DEFAULTS: ResolvedBatchingOptions = Object.freeze({
  enabled: true,
  maxBatchSize: MAX_BATCH_SIZE,
  maxBatchBytes: 4 * 1024 * 1024,
  flushIntervalMs: 1000,
  lingerMs: 5,
  concurrency: 4,
  maxBufferedEvents: 100_000,
  maxBufferedBytes: 64 * 1024 * 1024,
  overflow: 'reject',
  blockTimeoutMs: 30_000,
  maxBlockedRecords: 10_000,
  maxRetryDurationMs: 300_000,
  retryBaseMs: 500,
  retryMaxMs: 30_000,
  probeMaxMs: 5000,
  shutdownTimeoutMs: 10_000,
  exitTimeoutMs: 5000,
  spoolDir: undefined,
  spoolSync: false,
  maxSpoolBytes: 1024 * 1024 * 1024,
});

const KNOWN_KEYS: ReadonlySet<string> = new Set(Object.keys(BATCHING_DEFAULTS));

/** Options that shape batches: meaningless, so refused, when `enabled` is false. */
const BUFFERING_KEYS = ['maxBatchSize', 'maxBatchBytes', 'flushIntervalMs', 'lingerMs'] as const;
/** Options of `overflow: 'block'`: refused with `'reject'` rather than silently ignored. */
const BLOCK_KEYS = ['blockTimeoutMs', 'maxBlockedRecords'] as const;

/** Integer ranges, checked in this order. */
const RANGES: ReadonlyArray<readonly [keyof BatchingOptions, number, number]> = [
  ['maxBatchSize', 1, MAX_BATCH_SIZE],
  ['maxBatchBytes', 1024, MAX_BODY_BYTES],
  ['flushIntervalMs', 1, 600_000],
  ['lingerMs', 0, 60_000],
  ['concurrency', 1, 64],
  ['maxBufferedEvents', 1, Number.MAX_SAFE_INTEGER],
  ['maxBufferedBytes', 1024, Number.MAX_SAFE_INTEGER],
  ['blockTimeoutMs', 1, 3_600_000],
  ['maxBlockedRecords', 1, 1_000_000],
  ['maxRetryDurationMs', 0, 86_400_000],
  ['retryBaseMs', 1, 60_000],
  ['retryMaxMs', 1, 600_000],
  ['probeMaxMs', 1, 600_000],
  ['shutdownTimeoutMs', 0, 3_600_000],
  ['exitTimeoutMs', 0, 600_000],
  ['maxSpoolBytes', 1024 * 1024, Number.MAX_SAFE_INTEGER],
];

/**
 * Validates the `batching` option and fills the defaults. `false` is `{ enabled: false }`: each event is
 * sent on its own (same retries, keys, results, exit hook and bounds, no buffering delay). Options are
 * also checked against each other (docs/pipeline.md, "Options"): a batch bound larger than the buffer
 * bound is refused when both are given, and lowered to the buffer bound when only the buffer bound is.
 * @throws {BearLumenValidationError} naming `batching.<option>`, the rule and the received value, for
 * unknown keys, out-of-range numbers, an unknown overflow policy or options that contradict each other.
 */
export function resolveBatchingOptions(input: BatchingOptions | false | undefined, env: NodeJS.ProcessEnv = {}): ResolvedBatchingOptions {
  const envDir = env[SPOOL_DIR_ENV];
  const fromEnv = envDir === undefined || envDir === '' ? {} : { spoolDir: resolveSpoolDir(envDir, SPOOL_DIR_ENV) };
  if (input === false) return { ...BATCHING_DEFAULTS, ...fromEnv, enabled: false };
  if (input === undefined) return { ...BATCHING_DEFAULTS, ...fromEnv };
  assertObject(input, 'batching');
  assertKnownKeys(input as Record<string, unknown>, KNOWN_KEYS, 'batching');
  const values: Record<string, unknown> = input;
  for (const [name, min, max] of RANGES) {
    const value = values[name];
    if (value !== undefined) assertInteger(value, `batching.${name}`, min, max);
  }
  optionalBoolean(input.enabled, 'batching.enabled');
  optionalEnum(input.overflow, 'batching.overflow', ['reject', 'block']);
  optionalBoolean(input.spoolSync, 'batching.spoolSync');
  const spool = input.spoolDir === undefined ? fromEnv : { spoolDir: resolveSpoolDir(input.spoolDir, 'batching.spoolDir') };
  const given = withoutUndefined(input);
  const resolved: ResolvedBatchingOptions = { ...BATCHING_DEFAULTS, ...given, ...spool };
  assertConsistent(given, resolved);
  return {
    ...resolved,
    maxBatchSize: Math.min(resolved.maxBatchSize, resolved.maxBufferedEvents),
    maxBatchBytes: Math.min(resolved.maxBatchBytes, resolved.maxBufferedBytes),
    lingerMs: Math.min(resolved.lingerMs, resolved.flushIntervalMs),
  };
}

function assertConsistent(given: BatchingOptions, resolved: ResolvedBatchingOptions): void {
  if (resolved.retryMaxMs < resolved.retryBaseMs) {
    throw new BearLumenValidationError('batching.retryMaxMs', `must be >= batching.retryBaseMs (${resolved.retryBaseMs})`, resolved.retryMaxMs);
  }
  if (!resolved.enabled) {
    for (const key of BUFFERING_KEYS) {
      if (given[key] !== undefined) throw new BearLumenValidationError(`batching.${key}`, 'has no effect when batching.enabled is false (each event is sent on its own): remove it', given[key]);
    }
  }
  if (resolved.overflow !== 'block') {
    for (const key of BLOCK_KEYS) {
      if (given[key] !== undefined) throw new BearLumenValidationError(`batching.${key}`, "has no effect unless batching.overflow is 'block'", given[key]);
    }
  }
  if (given.lingerMs !== undefined && given.lingerMs > resolved.flushIntervalMs) {
    throw new BearLumenValidationError('batching.lingerMs', `must be <= batching.flushIntervalMs (${resolved.flushIntervalMs}): no event waits longer than that`, given.lingerMs);
  }
  if (given.maxBatchSize !== undefined && given.maxBatchSize > resolved.maxBufferedEvents) {
    throw new BearLumenValidationError('batching.maxBatchSize', `must be <= batching.maxBufferedEvents (${resolved.maxBufferedEvents}): a batch could never fill`, given.maxBatchSize);
  }
  if (given.maxBatchBytes !== undefined && given.maxBatchBytes > resolved.maxBufferedBytes) {
    throw new BearLumenValidationError('batching.maxBatchBytes', `must be <= batching.maxBufferedBytes (${resolved.maxBufferedBytes}): a batch could never fill`, given.maxBatchBytes);
  }
}

function resolveSpoolDir(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '' || value.includes('\0')) fail(field, 'must be a non-empty directory path without NUL bytes', value);
  return resolve(value);
}

function withoutUndefined(input: BatchingOptions): BatchingOptions {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) if (value !== undefined) out[key] = value;
  return out;
}
