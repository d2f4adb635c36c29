import type { ErrorBody, ErrorDetail } from './protocol/types';

/** Base of every error the SDK throws. Branch on `instanceof` or `code`, never on `message`. */
export class BearLumenError extends Error {
  override readonly name: string = 'BearLumenError';
  /** Stable snake_case code. */
  readonly code: string;

  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** A plain, loggable object; never includes the API key or request bodies. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** Thrown before any I/O when an input breaks a rule: `field` names the path, `rule` what it must be. */
export class BearLumenValidationError extends BearLumenError {
  override readonly name = 'BearLumenValidationError';
  readonly field: string;
  readonly rule: string;

  /** Pass `received` to quote the offending value (shortened; never a secret). */
  constructor(field: string, rule: string, ...received: [] | [unknown]) {
    super(`${field} ${rule}${received.length === 0 ? '' : ` (got ${describe(received[0])})`}`, 'validation_error');
    this.field = field;
    this.rule = rule;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), field: this.field, rule: this.rule };
  }
}

/** No HTTP response was received (refused, reset, DNS). `cause` holds the underlying error. */
export class BearLumenConnectionError extends BearLumenError {
  override readonly name: string = 'BearLumenConnectionError';
  constructor(message = 'Connection error', options?: { cause?: unknown }, code = 'connection_error') {
    super(message, code, options);
  }
}

/** An attempt took longer than `timeout`. */
export class BearLumenTimeoutError extends BearLumenConnectionError {
  override readonly name = 'BearLumenTimeoutError';
  constructor(message = 'Request timed out', options?: { cause?: unknown }) {
    super(message, options, 'timeout');
  }
}

/** The server answered with an error status. */
export class BearLumenApiError extends BearLumenError {
  override readonly name: string = 'BearLumenApiError';
  readonly status: number;
  /** Error `type` from the body, e.g. `invalid_request_error`. */
  readonly type: string | undefined;
  /** The offending parameter, when the server named one. */
  readonly param: string | undefined;
  /** The server's request id (`x-request-id`), for support. */
  readonly requestId: string | undefined;
  /** Per-item failures of a rejected batch. */
  readonly details: ErrorDetail[] | undefined;

  constructor(status: number, body: Partial<ErrorBody['error']>, requestId?: string) {
    const code = body.code ?? `http_${status}`;
    super(`${status} ${code}: ${body.message ?? 'request failed'}`, code);
    this.status = status;
    this.type = body.type;
    this.param = body.param;
    this.requestId = requestId;
    this.details = body.details;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), status: this.status, type: this.type, param: this.param, requestId: this.requestId, details: this.details };
  }
}

/** 400 or 422: the server rejected the request's content (including `idempotency_key_reused`). */
export class BearLumenInvalidRequestError extends BearLumenApiError {
  override readonly name = 'BearLumenInvalidRequestError';
}
/** 401: the API key is missing, malformed or revoked. */
export class BearLumenAuthenticationError extends BearLumenApiError {
  override readonly name = 'BearLumenAuthenticationError';
}
/** 403: the key may not do this. */
export class BearLumenPermissionError extends BearLumenApiError {
  override readonly name = 'BearLumenPermissionError';
}
/** 404: no such resource in your tenant. */
export class BearLumenNotFoundError extends BearLumenApiError {
  override readonly name = 'BearLumenNotFoundError';
}
/** 409: a conflict (an `Idempotency-Key` request still in progress, or a taken externalId). */
export class BearLumenConflictError extends BearLumenApiError {
  override readonly name = 'BearLumenConflictError';
}
/** 413: the request body is too large. */
export class BearLumenPayloadTooLargeError extends BearLumenApiError {
  override readonly name = 'BearLumenPayloadTooLargeError';
}
/** 429: slow down; `retryAfterMs` says for how long when the server said. */
export class BearLumenRateLimitError extends BearLumenApiError {
  override readonly name = 'BearLumenRateLimitError';
  readonly retryAfterMs: number | undefined;
  constructor(status: number, body: Partial<ErrorBody['error']>, requestId?: string, retryAfterMs?: number) {
    super(status, body, requestId);
    this.retryAfterMs = retryAfterMs;
  }
}
/** ≥ 500: the server failed. `retryAfterMs` is set when a 503 said how long to wait (`Retry-After`). */
export class BearLumenServerError extends BearLumenApiError {
  override readonly name = 'BearLumenServerError';
  readonly retryAfterMs: number | undefined;
  constructor(status: number, body: Partial<ErrorBody['error']>, requestId?: string, retryAfterMs?: number) {
    super(status, body, requestId);
    this.retryAfterMs = retryAfterMs;
  }
}

/** `usage.record()` found the buffer full with `overflow: 'reject'`. The event was not buffered. */
export class BearLumenBufferFullError extends BearLumenError {
  override readonly name = 'BearLumenBufferFullError';
  constructor(message = 'The event buffer is full (maxBufferedEvents / maxBufferedBytes reached)') {
    super(message, 'buffer_full');
  }
}

/**
 * Your own `options.signal` aborted the call (also while it waited between attempts). Not a
 * BearLumenConnectionError: a retry loop that retries connection failures must not retry a cancel
 * the app asked for. `cause` is the signal's reason.
 */
export class BearLumenUserAbortError extends BearLumenError {
  override readonly name = 'BearLumenUserAbortError';
  constructor(message = 'Request aborted by its signal', options?: { cause?: unknown }) {
    super(message, 'aborted', options);
  }
}

/** A call after `shutdown()`, or an event abandoned because shutdown's deadline passed. */
export class BearLumenClosedError extends BearLumenError {
  override readonly name = 'BearLumenClosedError';
  constructor(message = 'The client is shut down') {
    super(message, 'client_closed');
  }
}

/** Maps an error response to its class. The one place that decides which class a status gets. */
export function apiErrorFromResponse(status: number, body: unknown, requestId?: string, retryAfterMs?: number): BearLumenApiError {
  const error = isErrorBody(body) ? body.error : { message: typeof body === 'string' && body ? body.slice(0, 200) : 'request failed' };
  if (status === 400 || status === 422) return new BearLumenInvalidRequestError(status, error, requestId);
  if (status === 401) return new BearLumenAuthenticationError(status, error, requestId);
  if (status === 403) return new BearLumenPermissionError(status, error, requestId);
  if (status === 404) return new BearLumenNotFoundError(status, error, requestId);
  if (status === 409) return new BearLumenConflictError(status, error, requestId);
  if (status === 413) return new BearLumenPayloadTooLargeError(status, error, requestId);
  if (status === 429) return new BearLumenRateLimitError(status, error, requestId, retryAfterMs);
  if (status >= 500) return new BearLumenServerError(status, error, requestId, retryAfterMs);
  return new BearLumenApiError(status, error, requestId);
}

function isErrorBody(body: unknown): body is ErrorBody {
  return typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'object' && (body as { error: unknown }).error !== null;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `array(${value.length})`;
  return typeof value;
}
