/**
 * Every error code the server sends, with its HTTP status and error `type`.
 * The server throws only these; the SDK maps them to error classes. See docs/errors.md.
 */
export const ERROR_CODES = {
  parameter_missing: { status: 400, type: 'invalid_request_error' },
  parameter_invalid: { status: 400, type: 'invalid_request_error' },
  quantity_invalid: { status: 400, type: 'invalid_request_error' },
  timestamp_out_of_range: { status: 400, type: 'invalid_request_error' },
  metadata_too_large: { status: 400, type: 'invalid_request_error' },
  metadata_invalid: { status: 400, type: 'invalid_request_error' },
  batch_empty: { status: 400, type: 'invalid_request_error' },
  batch_too_large: { status: 400, type: 'invalid_request_error' },
  batch_validation_failed: { status: 400, type: 'invalid_request_error' },
  invalid_time_range: { status: 400, type: 'invalid_request_error' },
  invalid_json: { status: 400, type: 'invalid_request_error' },
  invalid_content_encoding: { status: 400, type: 'invalid_request_error' },
  resource_missing: { status: 400, type: 'invalid_request_error' },
  subscription_canceled: { status: 400, type: 'invalid_request_error' },
  api_key_missing: { status: 401, type: 'authentication_error' },
  api_key_invalid: { status: 401, type: 'authentication_error' },
  forbidden: { status: 403, type: 'permission_error' },
  resource_not_found: { status: 404, type: 'not_found_error' },
  route_not_found: { status: 404, type: 'not_found_error' },
  external_id_taken: { status: 409, type: 'conflict_error' },
  idempotency_request_in_progress: { status: 409, type: 'idempotency_error' },
  request_timeout: { status: 408, type: 'invalid_request_error' },
  payload_too_large: { status: 413, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  headers_too_large: { status: 431, type: 'invalid_request_error' },
  idempotency_key_reused: { status: 422, type: 'idempotency_error' },
  rate_limited: { status: 429, type: 'rate_limit_error' },
  internal_error: { status: 500, type: 'api_error' },
  unavailable: { status: 503, type: 'api_error' },
} as const satisfies Record<string, { status: number; type: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
