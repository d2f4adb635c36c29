/**
 * The only place that writes an error body: `{ error: { type, code, message, param?, details? }, requestId }`.
 * Bad input always maps to a 4xx naming the field; anything unexpected becomes a 500
 * `internal_error` whose internals stay in the server log, never in the response.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, SHOULD_RETRY_HEADER } from '../protocol/error-codes';
import type { ErrorBody } from '../protocol/types';
import { ApiError, describeValue } from './errors';

interface SchemaError {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  message?: string | undefined;
  params: Record<string, unknown>;
}

const PART_LABEL: Record<string, string> = { body: 'body', querystring: 'query parameter', params: 'path parameter', headers: 'header' };

/** Read the value at a JSON pointer (`/a/0/b`) of the request part, for quoting in a message. */
function valueAt(root: unknown, pointer: string): unknown {
  let value = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const pointerToParam = (pointer: string): string =>
  pointer
    .split('/')
    .slice(1)
    .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');

const join = (base: string, name: string): string => (base === '' ? name : `${base}.${name}`);

/** `idempotency-key` → `Idempotency-Key`: headers are named as documented. */
const headerName = (name: string): string => name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());

/** Turn the first schema-validation error of a request into the protocol error. */
export function schemaErrorToApiError(errors: readonly SchemaError[], context: string, root: unknown): ApiError {
  const first = errors[0];
  const part = PART_LABEL[context] ?? context;
  if (first === undefined) return new ApiError('parameter_invalid', `Invalid ${part}`);
  const rawBase = pointerToParam(first.instancePath);
  const base = context === 'headers' ? headerName(rawBase) : rawBase;
  if (first.keyword === 'required') {
    const list = (first.params['requiredProperties'] ?? [first.params['missingProperty']]) as unknown[];
    const name = join(base, String(list[0]));
    return new ApiError('parameter_missing', `${name} is required (${part})`, { param: name });
  }
  if (first.keyword === 'additionalProperties' || first.schemaPath.endsWith('/additionalProperties')) {
    const extra = first.keyword === 'additionalProperties' ? (first.params['additionalProperties'] ?? [first.params['additionalProperty']]) : null;
    const name = Array.isArray(extra) ? join(base, String(extra[0])) : base;
    return new ApiError('parameter_invalid', `${name} is not a known ${part}`, { param: name });
  }
  if (base === '' && first.keyword === 'type') {
    return new ApiError('parameter_invalid', `The ${part} ${first.message ?? 'has the wrong type'}`);
  }
  // A nullable or union field reports one error per branch; say so once instead of quoting a branch.
  const union = errors.find((e) => e.instancePath === first.instancePath && (e.keyword === 'anyOf' || e.keyword === 'oneOf'));
  const rule = union ? 'has an invalid type or value' : (first.message ?? 'is invalid');
  const received = context === 'headers' ? '' : ` (got ${describeValue(valueAt(root, first.instancePath))})`;
  return new ApiError('parameter_invalid', `${base} ${rule}${received}`, { param: base });
}

/** Map any error thrown while handling a request to an ApiError (or null for a genuine 5xx). */
export function toApiError(error: FastifyError | Error, request: FastifyRequest): ApiError | null {
  if (error instanceof ApiError) return error;
  const e = error as FastifyError & { validation?: SchemaError[]; validationContext?: string };
  if (Array.isArray(e.validation)) {
    const context = e.validationContext ?? 'body';
    const root = context === 'querystring' ? request.query : context === 'params' ? request.params : request.body;
    return schemaErrorToApiError(e.validation, context, root);
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('payload_too_large', 'Request body is too large (limit 16 MiB after decompression)');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_media_type', 'Content-Type must be application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('invalid_json', 'Request body is not valid JSON');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('parameter_invalid', 'Content-Length does not match the body', { param: 'Content-Length' });
    default:
      break;
  }
  if (typeof e.code === 'string' && e.code.startsWith('Z_')) {
    return new ApiError('invalid_content_encoding', 'Request body is not valid gzip');
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 404) return new ApiError('route_not_found', 'Not found');
  if (status === 413) return new ApiError('payload_too_large', 'Request body is too large');
  if (status === 415) return new ApiError('unsupported_media_type', 'Unsupported media type');
  if (status >= 400 && status < 500) return new ApiError('parameter_invalid', e.message);
  return null;
}

/** Write the protocol error body for `error`. */
export function sendApiError(reply: FastifyReply, error: ApiError, requestId: string): FastifyReply {
  const body: ErrorBody = {
    error: {
      type: error.type,
      code: error.code,
      message: error.message,
      ...(error.param === undefined ? {} : { param: error.param }),
      ...(error.details === undefined ? {} : { details: error.details }),
    },
    requestId,
  };
  if (error.headers) reply.headers(error.headers);
  reply.header(SHOULD_RETRY_HEADER, String(ERROR_CODES[error.code].retryable));
  return reply.code(error.statusCode).type('application/json; charset=utf-8').send(body);
}

/** Install the error and not-found handlers on the app. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error, request);
    if (apiError === null) {
      request.log.error({ err: error }, 'unhandled error');
      return sendApiError(reply, new ApiError('internal_error', 'Internal server error'), request.id);
    }
    return sendApiError(reply, apiError, request.id);
  });
  app.setNotFoundHandler((request, reply) => {
    return sendApiError(reply, new ApiError('route_not_found', `No route ${request.method} ${request.url.split('?')[0] ?? ''}`), request.id);
  });
}
