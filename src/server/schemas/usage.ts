/**
 * TypeBox schemas of the usage routes; tied to protocol/types by a type test. Event bodies are
 * validated by `validate-event.ts` (per-event codes and batch details), so the event schemas here
 * document the wire and type the handlers.
 */
import { Type } from 'typebox';
import { MAX_BATCH_SIZE, MAX_ID_LENGTH, MAX_IDEMPOTENCY_KEY_LENGTH, MAX_NAME_LENGTH, MAX_QUANTITY } from '../../protocol/limits';
import { DateTime, IdString, LimitParam, MetadataSchema, OffsetParam } from './common';

const Name = Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH, pattern: '^[A-Za-z0-9_.:-]+$' });

/** One event as accepted on the wire (`agent_id` / `workflow_id` are folded into metadata). */
export const UsageEventInputSchema = Type.Object(
  {
    eventType: Name,
    metricName: Name,
    quantity: Type.Number({ minimum: 0, maximum: MAX_QUANTITY, description: 'Integer for llm_tokens* metrics' }),
    subscriptionId: Type.Optional(IdString),
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_LENGTH, pattern: '^[\\x20-\\x7E]+$' })),
    timestamp: Type.Optional(Type.String({ format: 'date-time', description: 'Within [now - 35 days, now + 5 minutes]' })),
    metadata: Type.Optional(MetadataSchema),
    agent_id: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH })),
    workflow_id: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH })),
  },
  { additionalProperties: false },
);

/** Wire shape `UsageRecordResult` (protocol/types.ts). */
export const UsageRecordResponseSchema = Type.Object({ eventId: Type.String(), recorded: Type.Boolean() });

/** Wire shape `UsageBatchRequest` (protocol/types.ts). */
export const UsageBatchRequestSchema = Type.Object({
  events: Type.Array(UsageEventInputSchema, { minItems: 1, maxItems: MAX_BATCH_SIZE }),
});

/** Wire shape `UsageBatchResponse` (protocol/types.ts). */
export const UsageBatchResponseSchema = Type.Object({
  recordedCount: Type.Integer(),
  skippedCount: Type.Integer(),
  results: Type.Array(UsageRecordResponseSchema),
});

/** Wire shape `UsageEvent` (protocol/types.ts). */
export const UsageEventSchema = Type.Object({
  eventId: Type.String(),
  eventType: Type.String(),
  metricName: Type.String(),
  quantity: Type.Number(),
  subscriptionId: Type.Union([Type.String(), Type.Null()]),
  idempotencyKey: Type.String(),
  timestamp: DateTime,
  receivedAt: DateTime,
  metadata: MetadataSchema,
  costUsd: Type.Number(),
  costNanoUsd: Type.Integer(),
  priced: Type.Boolean(),
  priceSource: Type.Union([Type.String(), Type.Null()]),
});

const DateParam = Type.String({ description: 'ISO 8601 date (YYYY-MM-DD) or RFC 3339 date-time' });

const filterFields = {
  subscriptionId: Type.Optional(IdString),
  metricName: Type.Optional(Name),
  eventType: Type.Optional(Name),
  startDate: Type.Optional(DateParam),
  endDate: Type.Optional(DateParam),
};

/** Query string `UsageFilterParams` (protocol/types.ts). */
export const UsageFilterParamsSchema = Type.Object(filterFields, { additionalProperties: false });

/** Query string `UsageQueryParams` (protocol/types.ts). */
export const UsageQueryParamsSchema = Type.Object(
  {
    ...filterFields,
    agent_id: Type.Optional(IdString),
    workflow_id: Type.Optional(IdString),
    limit: Type.Optional(LimitParam),
    offset: Type.Optional(OffsetParam),
  },
  { additionalProperties: false },
);

/** Wire shape `UsageQueryResponse` (protocol/types.ts). */
export const UsageQueryResponseSchema = Type.Object({
  events: Type.Array(UsageEventSchema),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

/** `AggregationWindow`: HOUR or DAY. */
export const AggregationWindowSchema = Type.Union([Type.Literal('HOUR'), Type.Literal('DAY')]);

/** Query string `UsageAggregationParams` (protocol/types.ts). */
export const UsageAggregationParamsSchema = Type.Object(
  { ...filterFields, windowSize: Type.Optional(AggregationWindowSchema) },
  { additionalProperties: false },
);

/** Wire shape `UsageAggregationItem` (protocol/types.ts). */
export const UsageAggregationItemSchema = Type.Object({
  metricName: Type.String(),
  windowStart: DateTime,
  windowEnd: DateTime,
  totalQuantity: Type.Number(),
  eventCount: Type.Integer(),
  minQuantity: Type.Number(),
  maxQuantity: Type.Number(),
  totalCost: Type.Number(),
  totalCostNanoUsd: Type.Integer(),
});

/** Wire shape `UsageAggregationResponse` (protocol/types.ts). */
export const UsageAggregationResponseSchema = Type.Object({
  startDate: DateTime,
  endDate: DateTime,
  windowSize: Type.Union([AggregationWindowSchema, Type.Null()]),
  aggregations: Type.Array(UsageAggregationItemSchema),
});

/** Wire shape `UsageSummaryResponse` (protocol/types.ts). */
export const UsageSummaryResponseSchema = Type.Object({
  startDate: DateTime,
  endDate: DateTime,
  totalEvents: Type.Integer(),
  metricCount: Type.Integer(),
  inputTokens: Type.Number(),
  outputTokens: Type.Number(),
  cacheReadTokens: Type.Number(),
  cacheWriteTokens: Type.Number(),
  totalCost: Type.Number(),
  totalCostNanoUsd: Type.Integer(),
  unpricedEventCount: Type.Integer(),
  metrics: Type.Array(Type.Object({ metricName: Type.String(), totalQuantity: Type.Number(), eventCount: Type.Integer() })),
});
