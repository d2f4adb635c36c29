import { MAX_RETRIES_LIMIT, MAX_TIMEOUT_MS } from '../config';
import { assertInteger, assertKnownKeys, assertObject, fail, optionalIdempotencyKey } from '../internal/validate';

/** Per-call options, the last argument of every resource method. Each overrides the client's setting for this call only. */
export interface RequestOptions {
  /** Per-attempt timeout in milliseconds, 1–600000. @default the client's `timeout` (30000) */
  timeout?: number;
  /** Retries after the first attempt, 0–10. @default the client's `maxRetries` (2) */
  maxRetries?: number;
  /** Aborts the request, including any wait between attempts; the call rejects with a BearLumenUserAbortError (code `aborted`, not a connection error). */
  signal?: AbortSignal;
  /**
   * `Idempotency-Key` header for POSTs. When absent the SDK generates one before the first attempt and
   * reuses it on every retry; pass your own to make a create safe across process restarts (the server
   * replays the stored response for 24 h).
   */
  idempotencyKey?: string;
}

const REQUEST_OPTION_KEYS: ReadonlySet<string> = new Set(['timeout', 'maxRetries', 'signal', 'idempotencyKey']);

/**
 * Checks a RequestOptions argument.
 * @throws {BearLumenValidationError} naming `options.<key>`.
 */
export function assertRequestOptions(options: unknown): asserts options is RequestOptions | undefined {
  if (options === undefined) return;
  assertObject(options, 'options');
  assertKnownKeys(options, REQUEST_OPTION_KEYS, 'options');
  if (options['timeout'] !== undefined) assertInteger(options['timeout'], 'options.timeout', 1, MAX_TIMEOUT_MS);
  if (options['maxRetries'] !== undefined) assertInteger(options['maxRetries'], 'options.maxRetries', 0, MAX_RETRIES_LIMIT);
  const signal = options['signal'];
  if (signal !== undefined && !(signal instanceof AbortSignal)) fail('options.signal', 'must be an AbortSignal', signal);
  optionalIdempotencyKey(options['idempotencyKey'], 'options.idempotencyKey');
}
