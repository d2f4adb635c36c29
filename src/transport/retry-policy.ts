/** Pure retry rules shared by single requests and the batch pipeline. `now` and `random` are injected. */
import { BearLumenConnectionError, BearLumenTimeoutError, type BearLumenError } from '../errors';
import { SHOULD_RETRY_HEADER } from '../protocol/error-codes';

export { SHOULD_RETRY_HEADER };

/** Statuses worth another attempt: timeouts, conflicts that clear, rate limits and server failures. */
const RETRYABLE_STATUSES = new Set([408, 409, 429, 500, 502, 503, 504]);

/** Whether a response status may succeed if the same request is sent again. 400/401/403/404/413/422 never do. */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

export interface BackoffOptions {
  /** First delay ceiling, ms. */
  baseMs: number;
  /** Largest delay, ms. */
  maxMs: number;
}

/**
 * Exponential backoff with full jitter ("Exponential Backoff And Jitter", AWS architecture blog):
 * a uniform delay in [0, min(maxMs, baseMs * 2^(attempt-1))]. Full jitter spreads clients that failed
 * together, so a recovering server is not hit by synchronized waves.
 * @param attempt 1 for the first retry.
 */
export function backoffMs(attempt: number, { baseMs, maxMs }: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Reads `retry-after-ms` (milliseconds) or `Retry-After` (seconds, or an HTTP date) into a delay in ms.
 * Returns undefined when absent or unparseable; a date in the past gives 0.
 */
export function parseRetryAfter(headers: { 'retry-after'?: string | undefined; 'retry-after-ms'?: string | undefined }, now: number = Date.now()): number | undefined {
  const ms = headers['retry-after-ms'];
  if (ms !== undefined && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const raw = headers['retry-after'];
  if (raw === undefined || raw.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(raw)) return Math.round(Number(raw) * 1000);
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Longest wait the SDK accepts from a server's `Retry-After`, ms: no wait is ever longer, for single
 * requests and batches alike (docs/errors.md "Retry-After"). A single call asked to wait longer stops
 * retrying and rejects at once with the error (its `retryAfterMs` says what the server asked); a batch,
 * which retries in the background within its own budget, waits this long and then probes again.
 */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Backoff of single requests: full jitter under 0.5 s, 1 s, 2 s, … capped at 8 s (openai-node's range). */
export const REQUEST_BACKOFF: BackoffOptions = Object.freeze({ baseMs: 500, maxMs: 8_000 });

/**
 * Whether an error response may succeed when sent again. The server's `x-should-retry: true|false`
 * decides first (our server sends it with every error, from its error-code table); without it, the
 * status decides (isRetryableStatus), e.g. for a proxy's 502.
 */
export function isRetryableResponse(status: number, shouldRetry: string | undefined): boolean {
  const verdict = shouldRetry?.trim().toLowerCase();
  if (verdict === 'true') return true;
  if (verdict === 'false') return false;
  return isRetryableStatus(status);
}

/** The verdict the transport read for an error response, for the pipeline, which retries on its own. */
const verdicts = new WeakMap<object, boolean>();

/** Remembers whether `error`'s response may be retried (called by the transport). */
export function noteRetryVerdict(error: object, retryable: boolean): void {
  verdicts.set(error, retryable);
}

/** The verdict noted for `error`, or undefined when none was (no response, or another transport). */
export function retryVerdictOf(error: object): boolean | undefined {
  return verdicts.get(error);
}

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/**
 * A connection error whose cause (or its cause) is a reset or closed socket, so no response was read:
 * most often a keep-alive socket the server closed while idle. The transport retries it once at once,
 * even with maxRetries 0.
 */
export function isResetBeforeResponse(error: BearLumenError): boolean {
  if (!(error instanceof BearLumenConnectionError) || error instanceof BearLumenTimeoutError) return false;
  for (let cause: unknown = error.cause, depth = 0; cause !== undefined && cause !== null && depth < 3; depth++) {
    const code: unknown = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && RESET_CODES.has(code)) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}
