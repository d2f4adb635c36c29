import pRetry, { AbortError } from 'p-retry';
import type { Logger } from 'pino';
import { BearLumenApiError, BearLumenConnectionError, BearLumenError, BearLumenInvalidRequestError } from '../errors';
import type { ErrorDetail, UsageBatchResponse } from '../protocol/types';
import { ROUTES } from '../protocol/routes';
import { isRetryableStatus, retryVerdictOf } from '../transport/retry-policy';
import type { Transport } from '../transport/types';
import type { BackoffGate, GatePass } from './backoff-gate';
import { encodeBatchBody } from './batch-body';
import { describe, type Ledger } from './ledger';
import type { Observers } from './observers';
import type { PendingEvent } from './pending-event';

/** Hard ceiling on attempts per request, whatever the time budget (no unbounded retry loop). */
const MAX_ATTEMPTS = 500;

export interface BatchSenderDeps {
  transport: Transport;
  gate: BackoffGate;
  ledger: Ledger;
  observers: Observers;
  logger: Logger;
  /** How long a batch keeps retrying after its first failure, ms. */
  maxRetryDurationMs: number;
  now?: () => number;
}

/** How one request for a set of events ended. */
type Outcome =
  | { kind: 'ok'; response: UsageBatchResponse; attempts: number }
  | { kind: 'aborted' }
  | { kind: 'exhausted'; error: BearLumenError }
  | { kind: 'refused'; error: unknown };

/**
 * Delivers one batch until every event in it is settled, or the signal aborts (the caller then settles
 * what is left). Never rejects. The rules (docs/design-decisions.md, "Batch outcomes"):
 * - retryable failures (connection, 408, 409, 429, 5xx, a 2xx without a result per event) are retried with the same events and keys behind
 *   the shared BackoffGate, for up to `maxRetryDurationMs` after the first failure;
 * - `batch_validation_failed` / `idempotency_key_reused` with per-index `details` fail exactly those
 *   events and resend the rest (same keys); a 413 bisects the batch (and later batches are cut at the
 *   size that fit), a single event still too large fails;
 * - any other refusal (401, 400, …) fails every event of the batch with that error.
 */
export function createBatchSender(deps: BatchSenderDeps): (entries: PendingEvent[], signal: AbortSignal) => Promise<void> {
  const { transport, gate, ledger, observers, logger, maxRetryDurationMs } = deps;
  const now = deps.now ?? Date.now;

  async function request(entries: PendingEvent[], signal: AbortSignal): Promise<Outcome> {
    const body = entries;
    let attempts = 0;
    let firstFailureAt: number | undefined;
    let exhausted: BearLumenError | undefined;
    try {
      const response = await pRetry(
        async () => {
          const pass = await gate.pass(signal);
          attempts += 1;
          if (attempts > 1) ledger.retries += 1;
          return send(body, pass, signal, (error, willRetryAfterMs) => {
            firstFailureAt ??= now();
            const willRetry = attempts < MAX_ATTEMPTS && now() - firstFailureAt + willRetryAfterMs <= maxRetryDurationMs;
            report(error, entries.length, willRetry);
            if (!willRetry) exhausted = error;
            return willRetry;
          });
        },
        // Waiting happens in the gate (one shared backoff), so p-retry itself never sleeps; `forever`
        // avoids a per-request array of MAX_ATTEMPTS timeouts, the attempt and time budgets end it.
        { forever: true, retries: 0, minTimeout: 0, maxTimeout: 0, factor: 1, randomize: false, unref: true, signal },
      );
      return { kind: 'ok', response, attempts };
    } catch (error) {
      if (signal.aborted) return { kind: 'aborted' };
      if (exhausted !== undefined) return { kind: 'exhausted', error: exhausted };
      return { kind: 'refused', error };
    }
  }

  async function send(
    body: readonly PendingEvent[],
    pass: GatePass,
    signal: AbortSignal,
    onRetryable: (error: BearLumenError, delayMs: number) => boolean,
  ): Promise<UsageBatchResponse> {
    try {
      const response = await transport.request<UsageBatchResponse>({ method: 'POST', path: ROUTES.usageBatch, encodedBody: encodeBatchBody(body), maxRetries: 0, signal, compress: true });
      // A 2xx that does not answer for every event (an HTML page from a proxy, a body without results)
      // says nothing about what was stored: failing the events would report stored events as refused.
      // The same keys can safely go again (found by test/fault/garbled-success.test.ts).
      const results: unknown = (response as Partial<UsageBatchResponse> | undefined)?.results;
      if (!Array.isArray(results) || results.length !== body.length) {
        throw new BearLumenError(`batch response has ${Array.isArray(results) ? results.length : 'no'} results for ${body.length} events`, 'invalid_response');
      }
      gate.succeed();
      return response;
    } catch (error) {
      if (signal.aborted) {
        gate.release(pass);
        throw new AbortError(toError(error));
      }
      if (!isRetryable(error)) {
        // An HTTP answer, even a refusal, proves the server is reachable.
        if (error instanceof BearLumenApiError) gate.succeed();
        else gate.release(pass);
        throw new AbortError(toError(error));
      }
      const delayMs = gate.fail(pass, retryAfterOf(error));
      if (!onRetryable(error, delayMs)) throw new AbortError(error);
      throw error;
    }
  }

  function report(error: unknown, events: number, willRetry: boolean): void {
    ledger.noteError(error);
    const fields = { ...describe(error), requestId: error instanceof BearLumenApiError ? error.requestId : undefined, events };
    if (!willRetry) logger.warn(fields, `${events} usage events failed`);
    else logger.debug(fields, 'usage batch attempt failed; retrying');
    if (error instanceof BearLumenError) observers.emit('error', { error, count: events, willRetry });
  }

  function settle(entries: PendingEvent[], response: UsageBatchResponse, attempts: number, startedAt: number): void {
    const results = response.results;
    if (!Array.isArray(results) || results.length !== entries.length) {
      const error = new BearLumenError(`batch response has ${Array.isArray(results) ? results.length : 'no'} results for ${entries.length} events`, 'invalid_response');
      report(error, entries.length, false);
      for (const entry of entries) ledger.fail(entry, error);
      return;
    }
    let recorded = 0;
    for (let i = 0; i < entries.length; i++) {
      const result = results[i] as UsageBatchResponse['results'][number];
      if (result.recorded) recorded += 1;
      ledger.resolve(entries[i] as PendingEvent, result);
    }
    ledger.batches += 1;
    if (observers.has('flush')) {
      observers.emit('flush', { count: entries.length, recorded, duplicates: entries.length - recorded, attempts, durationMs: now() - startedAt });
    }
  }

  // The most events a batch held when the server (or a proxy in front of it) last accepted a split
  // after a 413: later batches are cut at it, so a small body limit costs one split, not one per batch.
  let fitSize = Number.POSITIVE_INFINITY;

  return async function deliver(entries: PendingEvent[], signal: AbortSignal): Promise<void> {
    if (entries.length > fitSize) {
      for (let start = 0; start < entries.length && !signal.aborted; start += fitSize) await deliver(entries.slice(start, start + fitSize), signal);
      return;
    }
    let batch = entries;
    while (batch.length > 0 && !signal.aborted) {
      const startedAt = now();
      const outcome = await request(batch, signal);
      if (outcome.kind === 'aborted') return;
      if (outcome.kind === 'ok') return settle(batch, outcome.response, outcome.attempts, startedAt);
      if (outcome.kind === 'exhausted') {
        ledger.abandon(batch, 'retries_exhausted', outcome.error);
        return;
      }
      const error = outcome.error;
      if (error instanceof BearLumenApiError && error.status === 413 && batch.length > 1) {
        const middle = Math.ceil(batch.length / 2);
        if (middle < fitSize) {
          fitSize = middle;
          logger.info({ events: batch.length, fitSize }, 'usage batch too large (413): splitting it, and cutting later batches at this size');
        }
        await deliver(batch.slice(0, middle), signal);
        await deliver(batch.slice(middle), signal);
        return;
      }
      const rejected = rejectedIndexes(error, batch.length);
      report(error, rejected?.size ?? batch.length, false);
      if (rejected === undefined) {
        for (const entry of batch) ledger.fail(entry, error);
        return;
      }
      // Partial rejection: exactly the named events fail; the rest go again with the same keys.
      const kept: PendingEvent[] = [];
      batch.forEach((entry, index) => {
        const detail = rejected.get(index);
        if (detail === undefined) kept.push(entry);
        else ledger.fail(entry, eventError(error as BearLumenApiError, detail));
      });
      batch = kept;
    }
  };
}

/** Retryable per the shared policy: no response at all, or the server's `x-should-retry`, else 408/409/429/5xx. */
function isRetryable(error: unknown): error is BearLumenError {
  // An unreadable 2xx (transport or shape check): resending the same keys is safe and gets the real answer.
  if (error instanceof BearLumenError && error.code === 'invalid_response') return true;
  if (error instanceof BearLumenApiError) return retryVerdictOf(error) ?? isRetryableStatus(error.status);
  return error instanceof BearLumenConnectionError;
}

/** `Retry-After` as parsed by the transport (429 always; any status when the transport attaches it). */
function retryAfterOf(error: BearLumenError): number | undefined {
  const value: unknown = (error as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Per-event details of a 400/422 batch refusal, by index; undefined when the refusal is not per event. */
function rejectedIndexes(error: unknown, size: number): Map<number, ErrorDetail> | undefined {
  if (!(error instanceof BearLumenApiError) || (error.status !== 400 && error.status !== 422)) return undefined;
  const details = error.details;
  if (!Array.isArray(details) || details.length === 0) return undefined;
  const byIndex = new Map<number, ErrorDetail>();
  for (const detail of details) {
    if (!Number.isInteger(detail.index) || detail.index < 0 || detail.index >= size) return undefined;
    byIndex.set(detail.index, detail);
  }
  return byIndex;
}

/** The error one refused event's promise rejects with: the server's detail for that event. */
function eventError(batchError: BearLumenApiError, detail: ErrorDetail): BearLumenInvalidRequestError {
  const body: { code: string; message: string; type?: string; param?: string; details: ErrorDetail[] } = {
    code: detail.code,
    message: detail.message,
    details: [detail],
  };
  if (batchError.type !== undefined) body.type = batchError.type;
  if (detail.param !== undefined) body.param = detail.param;
  return new BearLumenInvalidRequestError(batchError.status, body, batchError.requestId);
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
