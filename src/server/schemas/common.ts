/** Schemas shared by every resource: metadata, pagination, the error body. */
import { Type } from 'typebox';
import { DEFAULT_LIST_LIMIT, MAX_ID_LENGTH, MAX_LIST_LIMIT } from '../../protocol/limits';

/** Free-form JSON object; its 10 KB limit is checked by the handler (schemas cannot count bytes). */
export const MetadataSchema = Type.Record(Type.String(), Type.Unknown(), { description: 'JSON object, at most 10 KB as compact UTF-8 JSON' });

/** A string that may be null. */
export const NullableString = Type.Union([Type.String(), Type.Null()]);

/** An RFC 3339 date-time string. */
export const DateTime = Type.String({ format: 'date-time' });

/** An input instant: an ISO 8601 date (read as 00:00 UTC that day) or an RFC 3339 date-time. */
export const DateOrDateTime = Type.Union([Type.String({ format: 'date' }), Type.String({ format: 'date-time' })], {
  description: 'ISO 8601 date (YYYY-MM-DD, read as 00:00 UTC) or RFC 3339 date-time with offset',
});

/** An id-like string of 1–255 characters. */
export const IdString = Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH });

/** `limit` of list queries: 1–1000, default 100. */
export const LimitParam = Type.Integer({ minimum: 1, maximum: MAX_LIST_LIMIT, default: DEFAULT_LIST_LIMIT });
/** `offset` of list queries: ≥ 0 (and a safe integer, which every engine can bind), default 0. */
export const OffsetParam = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 });

/** `:id` path parameter. */
export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH }) });

/** One failing item of a rejected batch. */
export const ErrorDetailSchema = Type.Object({
  index: Type.Integer(),
  code: Type.String(),
  message: Type.String(),
  param: Type.Optional(Type.String()),
  idempotencyKey: Type.Optional(Type.String()),
});

/** Body of every non-2xx response. */
export const ErrorBodySchema = Type.Object(
  {
    error: Type.Object({
      type: Type.String(),
      code: Type.String(),
      message: Type.String(),
      param: Type.Optional(Type.String()),
      details: Type.Optional(Type.Array(ErrorDetailSchema)),
    }),
    requestId: Type.String(),
  },
  { $id: 'ErrorBody' },
);

/** `Idempotency-Key` header of create POSTs (documented; checked by the request-idempotency hook). */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Replays the stored response for 24 h' })),
});
