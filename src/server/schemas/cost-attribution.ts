/** TypeBox schemas of the cost-attribution routes; tied to protocol/types by a type test. */
import { Type } from 'typebox';
import { DateTime, IdString } from './common';

const DateParam = Type.String({ description: 'ISO 8601 date (YYYY-MM-DD) or RFC 3339 date-time' });

/** Query string `CostAttributionParams` (protocol/types.ts). */
export const CostAttributionParamsSchema = Type.Object(
  { startDate: DateParam, endDate: DateParam, subscriptionId: Type.Optional(IdString) },
  { additionalProperties: false },
);

/** Wire shape `CostBreakdownItem` (protocol/types.ts). */
export const CostBreakdownItemSchema = Type.Object({
  attributionValue: Type.Union([Type.String(), Type.Null()]),
  totalCost: Type.Number(),
  totalCostNanoUsd: Type.Integer(),
  percentOfTotal: Type.Number(),
  inputTokens: Type.Number(),
  outputTokens: Type.Number(),
  eventCount: Type.Integer(),
});

/** Wire shape `CostBreakdownResponse` (protocol/types.ts). */
export const CostBreakdownResponseSchema = Type.Object({
  dimension: Type.Union([Type.Literal('agent_id'), Type.Literal('workflow_id')]),
  startDate: DateTime,
  endDate: DateTime,
  currency: Type.Literal('USD'),
  totalCost: Type.Number(),
  totalCostNanoUsd: Type.Integer(),
  unpricedEventCount: Type.Integer(),
  items: Type.Array(CostBreakdownItemSchema),
});

/** Wire shape `AttributionValuesResponse` (protocol/types.ts). */
export const AttributionValuesResponseSchema = Type.Object({ values: Type.Array(Type.String()) });
