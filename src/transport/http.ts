import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';
import type { Logger } from 'pino';
import { Pool, request, type Dispatcher } from 'undici';
import {
  apiErrorFromResponse,
  BearLumenApiError,
  BearLumenClosedError,
  BearLumenConnectionError,
  BearLumenError,
  BearLumenTimeoutError,
  BearLumenUserAbortError,
} from '../errors';
import { newRequestIdempotencyKey } from '../internal/idempotency';
import { sharedAbortController } from '../internal/shared-abort';
import { SDK_VERSION } from '../internal/version';
import { backoffMs, isResetBeforeResponse, isRetryableResponse, MAX_RETRY_AFTER_MS, noteRetryVerdict, parseRetryAfter, REQUEST_BACKOFF, SHOULD_RETRY_HEADER, type BackoffOptions } from './retry-policy';
import type { Transport, TransportRequest } from './types';

const gzipAsync = promisify(gzip);

/**
 * zlib level 1: on a batch of 1000 LLM events it costs ~0.3–0.5 µs per event against ~0.8 at the default
 * level 6, for ~16.5 instead of ~13.2 bytes per event (from ~300): the CPU matters more than the last bytes.
 */
const GZIP_OPTIONS = { level: constants.Z_BEST_SPEED };

/** Bodies above this many bytes are gzipped when a request sets `compress` (batches do). */
export const COMPRESS_THRESHOLD_BYTES = 16 * 1024;
/** Connections the default Pool keeps open at most, unless `connections` asks for more. */
export const POOL_CONNECTIONS = 16;

/** Waits `ms` without holding the process open; rejects when `signal` aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

const unrefSleep: Sleep = async (ms, signal) => {
  await delay(ms, undefined, { signal, ref: false });
};

/** How the client configures its transport (resolved options plus test seams). */
export interface HttpTransportOptions {
  baseUrl: URL;
  apiKey: string;
  /** Default per-attempt timeout, ms. */
  timeout: number;
  /** Default retries after the first attempt. */
  maxRetries: number;
  logger: Logger;
  /** A user's dispatcher (not closed by close()); absent → an owned keep-alive Pool. */
  dispatcher?: Dispatcher | undefined;
  /** Most connections of the owned Pool. @default POOL_CONNECTIONS */
  connections?: number | undefined;
  compressThresholdBytes?: number;
  backoff?: BackoffOptions;
  /** Injected for deterministic tests. */
  random?: () => number;
  sleep?: Sleep;
}

type Attempt<T> = { ok: true; value: T } | { ok: false; error: BearLumenError; retryable: boolean; retryAfterMs?: number | undefined };

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function buildPath(basePath: string, path: string, query: TransportRequest['query']): string {
  if (query === undefined) return basePath + path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.append(key, String(value));
  const qs = params.toString();
  return qs === '' ? basePath + path : `${basePath}${path}?${qs}`;
}

/**
 * The HTTP transport: undici over a keep-alive Pool (or the user's Dispatcher), one timeout per
 * attempt, retries with full-jitter backoff honouring `Retry-After`, an `Idempotency-Key` on every POST
 * fixed before the first attempt, and every response body read to the end so connections are reused.
 * Never logs headers, bodies or the key.
 */
export class HttpTransport implements Transport {
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #origin: string;
  readonly #basePath: string;
  readonly #staticHeaders: Record<string, string>;
  readonly #options: HttpTransportOptions;
  readonly #sleep: Sleep;
  readonly #closeController = sharedAbortController();
  /** Attempts on the wire (or waiting for a socket): aborted when close()'s deadline passes. */
  readonly #attempts = new Set<AbortController>();
  /** Called when the last attempt in flight ends while close() waits for it. */
  #onIdle: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: HttpTransportOptions) {
    this.#options = options;
    this.#origin = options.baseUrl.origin;
    this.#basePath = options.baseUrl.pathname === '/' ? '' : options.baseUrl.pathname;
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher = options.dispatcher ?? new Pool(this.#origin, { connections: options.connections ?? POOL_CONNECTIONS, keepAliveTimeout: 10_000 });
    this.#sleep = options.sleep ?? unrefSleep;
    this.#staticHeaders = {
      authorization: `Bearer ${options.apiKey}`,
      'user-agent': `bearlumen-node/${SDK_VERSION} node/${process.versions.node}`,
      accept: 'application/json',
    };
  }

  /** Sends `req`, retrying per policy, and resolves with the parsed JSON of the 2xx response. */
  async request<T>(req: TransportRequest): Promise<T> {
    if (this.#closing !== undefined) throw new BearLumenClosedError();
    const headers: Record<string, string> = { ...this.#staticHeaders };
    const idempotencyKey = req.idempotencyKey ?? (req.method === 'POST' ? newRequestIdempotencyKey() : undefined);
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    let body: string | Buffer | undefined;
    if (req.body !== undefined || req.encodedBody !== undefined) {
      headers['content-type'] = 'application/json';
      body = req.encodedBody ?? JSON.stringify(req.body);
      const threshold = this.#options.compressThresholdBytes ?? COMPRESS_THRESHOLD_BYTES;
      if (req.compress === true && Buffer.byteLength(body) > threshold) {
        // Compressed once, before the first attempt: every retry sends the identical bytes.
        body = await gzipAsync(body, GZIP_OPTIONS);
        headers['content-encoding'] = 'gzip';
      }
    }
    const path = buildPath(this.#basePath, req.path, req.query);
    const maxRetries = req.maxRetries ?? this.#options.maxRetries;
    const timeout = req.timeoutMs ?? this.#options.timeout;

    // One free, immediate retry of a connection reset before any response, even with maxRetries 0: the
    // usual cause is a keep-alive socket the server closed while idle, and resending is safe because every
    // POST carries its Idempotency-Key (stripe-node does the same; docs/errors.md).
    let staleRetries = 0;
    for (let attempt = 1; ; attempt++) {
      if (req.signal?.aborted === true) throw abortedError(req.signal.reason);
      if (this.#closing !== undefined) throw new BearLumenClosedError();
      const result = await this.#attempt<T>(req, path, headers, body, timeout, attempt);
      if (result.ok) return result.value;
      if (staleRetries === 0 && isResetBeforeResponse(result.error)) {
        staleRetries = 1;
        this.#options.logger.debug({ method: req.method, path: req.path, attempt }, 'bearlumen: connection reset before a response; retrying once at once');
        continue;
      }
      const wait = this.#retryDelay(result, attempt - staleRetries, maxRetries);
      if (wait === undefined) throw result.error;
      this.#options.logger.info({ method: req.method, path: req.path, attempt, delayMs: wait, code: result.error.code }, 'bearlumen: retrying request');
      await this.#wait(wait, req.signal);
    }
  }

  /**
   * Stops new attempts (waiting retries reject with BearLumenClosedError at once), lets the attempts
   * in flight finish for up to `timeoutMs`, then aborts the rest (they reject with BearLumenClosedError)
   * and destroys the owned Pool instead of waiting for it: a stalled request or a black-holed socket
   * never holds `shutdown()` past its deadline (docs/pipeline.md "Deadlines"). Idempotent: later calls
   * return the first call's promise.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#closing === undefined) {
      this.#closeController.abort();
      this.#closing = this.#shutDown(options.timeoutMs ?? Number.POSITIVE_INFINITY);
    }
    return this.#closing;
  }

  async #shutDown(timeoutMs: number): Promise<void> {
    const isIdle = this.#attempts.size === 0 || (await this.#attemptsEnd(timeoutMs));
    if (isIdle) {
      if (this.#ownsDispatcher) await this.#dispatcher.close();
      return;
    }
    for (const controller of this.#attempts) controller.abort(new BearLumenClosedError('The client shut down before the response arrived'));
    if (this.#ownsDispatcher) await this.#dispatcher.destroy();
  }

  /** Resolves true when no attempt is in flight any more, false when `timeoutMs` passed first. */
  #attemptsEnd(timeoutMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      // Ref'd on purpose: shutdown() is awaited, so its deadline keeps the process alive until it passes.
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => finish(false), timeoutMs) : undefined;
      const finish = (isIdle: boolean): void => {
        clearTimeout(timer);
        this.#onIdle = undefined;
        resolve(isIdle);
      };
      this.#onIdle = () => finish(true);
    });
  }

  #retryDelay(result: Extract<Attempt<unknown>, { ok: false }>, attempt: number, maxRetries: number): number | undefined {
    if (!result.retryable || attempt > maxRetries) return undefined;
    if (result.retryAfterMs !== undefined) return result.retryAfterMs <= MAX_RETRY_AFTER_MS ? result.retryAfterMs : undefined;
    return backoffMs(attempt, this.#options.backoff ?? REQUEST_BACKOFF, this.#options.random);
  }

  async #wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    signal?.addEventListener('abort', abort, { once: true });
    this.#closeController.signal.addEventListener('abort', abort, { once: true });
    try {
      await this.#sleep(ms, controller.signal);
    } catch (error) {
      if (signal?.aborted === true) throw abortedError(signal.reason);
      if (this.#closing !== undefined) throw new BearLumenClosedError();
      throw error;
    } finally {
      signal?.removeEventListener('abort', abort);
      this.#closeController.signal.removeEventListener('abort', abort);
    }
  }

  async #attempt<T>(
    req: TransportRequest,
    path: string,
    headers: Record<string, string>,
    body: string | Buffer | undefined,
    timeout: number,
    attempt: number,
  ): Promise<Attempt<T>> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeout);
    timer.unref();
    const forwardAbort = (): void => controller.abort();
    req.signal?.addEventListener('abort', forwardAbort, { once: true });
    this.#attempts.add(controller);
    const started = performance.now();
    try {
      const response = await request(this.#origin + path, {
        dispatcher: this.#dispatcher,
        method: req.method,
        headers,
        body: body ?? null,
        signal: controller.signal,
      });
      // Always read the whole body, success or not: an unread body pins its connection (undici docs).
      const text = await response.body.text();
      const status = response.statusCode;
      const requestId = headerValue(response.headers, 'x-request-id');
      this.#options.logger.debug(
        { method: req.method, path: req.path, status, attempt, requestId, durationMs: Math.round(performance.now() - started) },
        'bearlumen: request',
      );
      if (status >= 200 && status < 300) return parseSuccess<T>(status, text, requestId);
      const parsed = parseJson(text);
      const retryAfterMs = parseRetryAfter({
        'retry-after': headerValue(response.headers, 'retry-after'),
        'retry-after-ms': headerValue(response.headers, 'retry-after-ms'),
      });
      const error = apiErrorFromResponse(status, parsed === undefined ? text : parsed, requestId, retryAfterMs);
      const retryable = isRetryableResponse(status, headerValue(response.headers, SHOULD_RETRY_HEADER));
      noteRetryVerdict(error, retryable);
      return { ok: false, error, retryable, retryAfterMs };
    } catch (error) {
      if (req.signal?.aborted === true) return { ok: false, error: abortedError(req.signal.reason), retryable: false };
      const closeReason: unknown = controller.signal.reason;
      if (closeReason instanceof BearLumenClosedError) return { ok: false, error: closeReason, retryable: false };
      if (timedOut) return { ok: false, error: new BearLumenTimeoutError(`Request timed out after ${timeout} ms`, { cause: error }), retryable: true };
      if (error instanceof BearLumenError) return { ok: false, error, retryable: false };
      const reason = error instanceof Error ? error.message : String(error);
      return { ok: false, error: new BearLumenConnectionError(`Connection error: ${reason}`, { cause: error }), retryable: true };
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', forwardAbort);
      this.#attempts.delete(controller);
      if (this.#attempts.size === 0) this.#onIdle?.();
    }
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not JSON (a proxy's HTML page, say): the caller falls back to the raw text.
    return undefined;
  }
}

function parseSuccess<T>(status: number, text: string, requestId: string | undefined): Attempt<T> {
  if (text === '') return { ok: true, value: undefined as T };
  const parsed = parseJson(text);
  if (parsed === undefined) {
    return { ok: false, error: new BearLumenApiError(status, { code: 'invalid_response', message: 'response body is not JSON' }, requestId), retryable: false };
  }
  return { ok: true, value: parsed as T };
}

function abortedError(reason: unknown): BearLumenUserAbortError {
  return new BearLumenUserAbortError('Request aborted by its signal', { cause: reason });
}
