/** TypeBox schemas of the cost-report routes (breakdown by any dimension, time series); tied to protocol/types by a type test. */
import { Type } from 'typebox';
import { MAX_TIMESERIES_SERIES, DEFAULT_TIMESERIES_SERIES } from '../../protocol/limits';
import { DateTime, IdString } from './common';
import { AggregationWindowSchema } from './usage';

const DateParam = Type.String({ description: 'ISO 8601 date (YYYY-MM-DD) or RFC 3339 date-time' });

/** Wire type `CostDimension` (protocol/types.ts). */
export const CostDimensionSchema = Type.Union([Type.Literal('agent_id'), Type.Literal('workflow_id'), Type.Literal('model'), Type.Literal('provider')]);

const reportFields = {
  startDate: DateParam,
  endDate: DateParam,
  subscriptionId: Type.Optional(IdString),
  agentId: Type.Optional(IdString),
  workflowId: Type.Optional(IdString),
  dimension: CostDimensionSchema,
};

/** Query string `CostDimensionParams` (protocol/types.ts). */
export const CostDimensionParamsSchema = Type.Object(reportFields, { additionalProperties: false });

/** Query string `CostTimeseriesParams` (protocol/types.ts). */
export const CostTimeseriesParamsSchema = Type.Object(
  {
    ...reportFields,
    bucket: AggregationWindowSchema,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TIMESERIES_SERIES, default: DEFAULT_TIMESERIES_SERIES })),
  },
  { additionalProperties: false },
);

const totals = {
  totalCost: Type.Number(),
  totalCostNanoUsd: Type.Integer(),
  inputTokens: Type.Number(),
  outputTokens: Type.Number(),
  cacheReadTokens: Type.Number(),
  cacheWriteTokens: Type.Number(),
  eventCount: Type.Integer(),
  unpricedEventCount: Type.Integer(),
};

/** Wire shape `CostDimensionItem` (protocol/types.ts). */
export const CostDimensionItemSchema = Type.Object({ ...totals, value: Type.Union([Type.String(), Type.Null()]), percentOfTotal: Type.Number() });

/** Wire shape `CostDimensionResponse` (protocol/types.ts). */
export const CostDimensionResponseSchema = Type.Object({
  ...totals,
  dimension: CostDimensionSchema,
  startDate: DateTime,
  endDate: DateTime,
  currency: Type.Literal('USD'),
  items: Type.Array(CostDimensionItemSchema),
});

/** Wire shape `CostTimeseriesSeries` (protocol/types.ts). */
export const CostTimeseriesSeriesSchema = Type.Object({
  value: Type.Union([Type.String(), Type.Null()]),
  totalCostNanoUsd: Type.Integer(),
  costNanoUsd: Type.Array(Type.Integer()),
});

/** Wire shape `CostTimeseriesResponse` (protocol/types.ts). */
export const CostTimeseriesResponseSchema = Type.Object({
  dimension: CostDimensionSchema,
  bucket: AggregationWindowSchema,
  startDate: DateTime,
  endDate: DateTime,
  currency: Type.Literal('USD'),
  buckets: Type.Array(DateTime),
  totalCost: Type.Number(),
  totalCostNanoUsd: Type.Integer(),
  series: Type.Array(CostTimeseriesSeriesSchema),
  other: Type.Object({ seriesCount: Type.Integer(), totalCostNanoUsd: Type.Integer(), costNanoUsd: Type.Array(Type.Integer()) }),
});
