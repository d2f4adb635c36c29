/** Batching options (`new BearLumen({ batching })`). Owned by the pipeline; the client passes them through. */
export interface BatchingOptions {
  /** Most events per batch request, 1–1000. @default 1000 */
  readonly maxBatchSize?: number;
  /** Longest time an event waits in the buffer before its batch is sent, ms. @default 1000 */
  readonly flushIntervalMs?: number;
  /** Most batch requests in flight at once. @default 4 */
  readonly concurrency?: number;
  /** Most events held unacknowledged (buffered, in flight or retrying). @default 100000 */
  readonly maxBufferedEvents?: number;
  /** What `record()` does when the buffer is full: reject with BearLumenBufferFullError, or wait for room. @default 'reject' */
  readonly overflow?: 'reject' | 'block';
}

export type ResolvedBatchingOptions = { readonly [K in keyof BatchingOptions]-?: NonNullable<BatchingOptions[K]> } & { readonly enabled: boolean };

export const BATCHING_DEFAULTS: ResolvedBatchingOptions = Object.freeze({
  enabled: true,
  maxBatchSize: 1000,
  flushIntervalMs: 1000,
  concurrency: 4,
  maxBufferedEvents: 100_000,
  overflow: 'reject',
});

/** Validates and fills defaults. Placeholder until the pipeline issue lands: no validation yet. */
export function resolveBatchingOptions(input: BatchingOptions | false | undefined): ResolvedBatchingOptions {
  if (input === false) return { ...BATCHING_DEFAULTS, enabled: false };
  return { ...BATCHING_DEFAULTS, ...input, enabled: true };
}
