/**
 * Every error code the server sends, with its HTTP status, error `type`, and whether the same request
 * may succeed if sent again (`retryable`: sent as the `x-should-retry` header, which the SDK obeys
 * before its status rules; docs/protocol.md).
 * The server throws only these; the SDK maps them to error classes. See docs/errors.md.
 */
export const ERROR_CODES = {
  parameter_missing: { status: 400, type: 'invalid_request_error', retryable: false },
  parameter_invalid: { status: 400, type: 'invalid_request_error', retryable: false },
  quantity_invalid: { status: 400, type: 'invalid_request_error', retryable: false },
  timestamp_out_of_range: { status: 400, type: 'invalid_request_error', retryable: false },
  metadata_too_large: { status: 400, type: 'invalid_request_error', retryable: false },
  metadata_invalid: { status: 400, type: 'invalid_request_error', retryable: false },
  batch_empty: { status: 400, type: 'invalid_request_error', retryable: false },
  batch_too_large: { status: 400, type: 'invalid_request_error', retryable: false },
  batch_validation_failed: { status: 400, type: 'invalid_request_error', retryable: false },
  invalid_time_range: { status: 400, type: 'invalid_request_error', retryable: false },
  invalid_json: { status: 400, type: 'invalid_request_error', retryable: false },
  invalid_content_encoding: { status: 400, type: 'invalid_request_error', retryable: false },
  resource_missing: { status: 400, type: 'invalid_request_error', retryable: false },
  subscription_canceled: { status: 400, type: 'invalid_request_error', retryable: false },
  api_key_missing: { status: 401, type: 'authentication_error', retryable: false },
  api_key_invalid: { status: 401, type: 'authentication_error', retryable: false },
  forbidden: { status: 403, type: 'permission_error', retryable: false },
  resource_not_found: { status: 404, type: 'not_found_error', retryable: false },
  route_not_found: { status: 404, type: 'not_found_error', retryable: false },
  external_id_taken: { status: 409, type: 'conflict_error', retryable: false },
  idempotency_request_in_progress: { status: 409, type: 'idempotency_error', retryable: true },
  request_timeout: { status: 408, type: 'invalid_request_error', retryable: true },
  payload_too_large: { status: 413, type: 'invalid_request_error', retryable: false },
  unsupported_media_type: { status: 415, type: 'invalid_request_error', retryable: false },
  headers_too_large: { status: 431, type: 'invalid_request_error', retryable: false },
  idempotency_key_reused: { status: 422, type: 'idempotency_error', retryable: false },
  rate_limited: { status: 429, type: 'rate_limit_error', retryable: true },
  internal_error: { status: 500, type: 'api_error', retryable: true },
  unavailable: { status: 503, type: 'api_error', retryable: true },
} as const satisfies Record<string, { status: number; type: string; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Response header by which the server says whether the same request may succeed if sent again (docs/protocol.md). */
export const SHOULD_RETRY_HEADER = 'x-should-retry';
