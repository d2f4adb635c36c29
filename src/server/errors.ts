/**
 * The one error type route code throws. Its code comes from the protocol's table
 * (`protocol/error-codes.ts`), which fixes the HTTP status and error `type`; `error-handler.ts`
 * turns it into the wire error body.
 */
import { ERROR_CODES, type ErrorCode } from '../protocol/error-codes';
import type { ErrorDetail } from '../protocol/types';

/** An error with a wire code, sent to the client as the protocol's error body. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly type: string;
  readonly param: string | undefined;
  readonly details: ErrorDetail[] | undefined;
  /** Extra response headers (e.g. `Retry-After`). */
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, message: string, extra: { param?: string; details?: ErrorDetail[]; headers?: Record<string, string> } = {}) {
    super(message);
    this.code = code;
    this.statusCode = ERROR_CODES[code].status;
    this.type = ERROR_CODES[code].type;
    this.param = extra.param;
    this.details = extra.details;
    this.headers = extra.headers;
  }
}

/** Shorten a received value for an error message: never a whole body, never more than 60 characters. */
export function describeValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) text = String(value);
  else if (Array.isArray(value)) text = 'an array';
  else text = `a ${typeof value}`;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** 404 for an id that does not exist in the caller's tenant (another tenant's ids included). */
export function notFound(kind: string, id: string): ApiError {
  return new ApiError('resource_not_found', `No ${kind} with id ${describeValue(id)}`, { param: 'id' });
}
