/**
 * The server's TypeBox schemas are the same types as the protocol interfaces the SDK compiles
 * against: a schema change that is not mirrored in src/protocol/types.ts (or the reverse) fails here.
 */
import type { Static } from 'typebox';
import { describe, expectTypeOf, it } from 'vitest';
import type { PriceLookupParamsSchema, PriceLookupResponseSchema } from '../../src/server/schemas/prices';
import type {
  PriceLookupParams,
  PriceLookupResponse,
  AttributionValuesResponse,
  CostBreakdownItem,
  CostBreakdownResponse,
  CostAttributionParams,
  CostDimensionItem,
  CostDimensionParams,
  CostDimensionResponse,
  CostTimeseriesParams,
  CostTimeseriesResponse,
  CostTimeseriesSeries,
  EndUser,
  EndUserCreateInput,
  EndUserListParams,
  EndUserListResponse,
  EndUserResponse,
  EndUserUpdateInput,
  ErrorBody,
  HealthResponse,
  Subscription,
  SubscriptionCreateInput,
  SubscriptionListParams,
  SubscriptionListResponse,
  SubscriptionUpdateInput,
  UsageAggregationItem,
  UsageAggregationParams,
  UsageAggregationResponse,
  UsageBatchResponse,
  UsageEvent,
  UsageFilterParams,
  UsageQueryParams,
  UsageQueryResponse,
  UsageRecordInput,
  UsageRecordResult,
  UsageSummaryResponse,
} from '../../src/protocol/types';
import type {
  AttributionValuesResponseSchema,
  CostAttributionParamsSchema,
  CostBreakdownItemSchema,
  CostBreakdownResponseSchema,
} from '../../src/server/schemas/cost-attribution';
import type {
  CostDimensionItemSchema,
  CostDimensionParamsSchema,
  CostDimensionResponseSchema,
  CostTimeseriesParamsSchema,
  CostTimeseriesResponseSchema,
  CostTimeseriesSeriesSchema,
} from '../../src/server/schemas/cost-reports';
import type { ErrorBodySchema } from '../../src/server/schemas/common';
import type {
  EndUserCreateInputSchema,
  EndUserListParamsSchema,
  EndUserListResponseSchema,
  EndUserResponseSchema,
  EndUserSchema,
  EndUserUpdateInputSchema,
} from '../../src/server/schemas/end-users';
import type { HealthResponseSchema } from '../../src/server/schemas/health';
import type {
  SubscriptionCreateInputSchema,
  SubscriptionListParamsSchema,
  SubscriptionListResponseSchema,
  SubscriptionSchema,
  SubscriptionUpdateInputSchema,
} from '../../src/server/schemas/subscriptions';
import type {
  UsageAggregationItemSchema,
  UsageAggregationParamsSchema,
  UsageAggregationResponseSchema,
  UsageBatchRequestSchema,
  UsageBatchResponseSchema,
  UsageEventInputSchema,
  UsageEventSchema,
  UsageFilterParamsSchema,
  UsageQueryParamsSchema,
  UsageQueryResponseSchema,
  UsageRecordResponseSchema,
  UsageSummaryResponseSchema,
} from '../../src/server/schemas/usage';

describe('server schemas ≡ protocol types', () => {
  it('end users', () => {
    expectTypeOf<Static<typeof EndUserSchema>>().toEqualTypeOf<EndUser>();
    expectTypeOf<Static<typeof EndUserCreateInputSchema>>().toEqualTypeOf<EndUserCreateInput>();
    expectTypeOf<Static<typeof EndUserUpdateInputSchema>>().toEqualTypeOf<EndUserUpdateInput>();
    expectTypeOf<Static<typeof EndUserResponseSchema>>().toEqualTypeOf<EndUserResponse>();
    expectTypeOf<Static<typeof EndUserListParamsSchema>>().toEqualTypeOf<EndUserListParams>();
    expectTypeOf<Static<typeof EndUserListResponseSchema>>().toEqualTypeOf<EndUserListResponse>();
  });

  it('subscriptions', () => {
    expectTypeOf<Static<typeof SubscriptionSchema>>().toEqualTypeOf<Subscription>();
    expectTypeOf<Static<typeof SubscriptionCreateInputSchema>>().toEqualTypeOf<SubscriptionCreateInput>();
    expectTypeOf<Static<typeof SubscriptionUpdateInputSchema>>().toEqualTypeOf<SubscriptionUpdateInput>();
    expectTypeOf<Static<typeof SubscriptionListParamsSchema>>().toEqualTypeOf<SubscriptionListParams>();
    expectTypeOf<Static<typeof SubscriptionListResponseSchema>>().toEqualTypeOf<SubscriptionListResponse>();
  });

  it('usage', () => {
    // The wire accepts the SDK's input shape: agent_id / workflow_id are folded into metadata by the server.
    expectTypeOf<Static<typeof UsageEventInputSchema>>().toEqualTypeOf<UsageRecordInput>();
    expectTypeOf<Static<typeof UsageBatchRequestSchema>>().toEqualTypeOf<{ events: UsageRecordInput[] }>();
    expectTypeOf<Static<typeof UsageRecordResponseSchema>>().toEqualTypeOf<UsageRecordResult>();
    expectTypeOf<Static<typeof UsageBatchResponseSchema>>().toEqualTypeOf<UsageBatchResponse>();
    expectTypeOf<Static<typeof UsageEventSchema>>().toEqualTypeOf<UsageEvent>();
    expectTypeOf<Static<typeof UsageFilterParamsSchema>>().toEqualTypeOf<UsageFilterParams>();
    expectTypeOf<Static<typeof UsageQueryParamsSchema>>().toEqualTypeOf<UsageQueryParams>();
    expectTypeOf<Static<typeof UsageQueryResponseSchema>>().toEqualTypeOf<UsageQueryResponse>();
    expectTypeOf<Static<typeof UsageAggregationParamsSchema>>().toEqualTypeOf<UsageAggregationParams>();
    expectTypeOf<Static<typeof UsageAggregationItemSchema>>().toEqualTypeOf<UsageAggregationItem>();
    expectTypeOf<Static<typeof UsageAggregationResponseSchema>>().toEqualTypeOf<UsageAggregationResponse>();
    expectTypeOf<Static<typeof UsageSummaryResponseSchema>>().toEqualTypeOf<UsageSummaryResponse>();
  });

  it('cost attribution', () => {
    expectTypeOf<Static<typeof CostAttributionParamsSchema>>().toEqualTypeOf<CostAttributionParams>();
    expectTypeOf<Static<typeof CostBreakdownItemSchema>>().toEqualTypeOf<CostBreakdownItem>();
    expectTypeOf<Static<typeof CostBreakdownResponseSchema>>().toEqualTypeOf<CostBreakdownResponse>();
    expectTypeOf<Static<typeof AttributionValuesResponseSchema>>().toEqualTypeOf<AttributionValuesResponse>();
  });

  it('cost reports', () => {
    expectTypeOf<Static<typeof CostDimensionParamsSchema>>().toEqualTypeOf<CostDimensionParams>();
    expectTypeOf<Static<typeof CostDimensionItemSchema>>().toEqualTypeOf<CostDimensionItem>();
    expectTypeOf<Static<typeof CostDimensionResponseSchema>>().toEqualTypeOf<CostDimensionResponse>();
    expectTypeOf<Static<typeof CostTimeseriesParamsSchema>>().toEqualTypeOf<CostTimeseriesParams>();
    expectTypeOf<Static<typeof CostTimeseriesSeriesSchema>>().toEqualTypeOf<CostTimeseriesSeries>();
    expectTypeOf<Static<typeof CostTimeseriesResponseSchema>>().toEqualTypeOf<CostTimeseriesResponse>();
  });

  it('prices', () => {
    expectTypeOf<Static<typeof PriceLookupParamsSchema>>().toEqualTypeOf<PriceLookupParams>();
    expectTypeOf<Static<typeof PriceLookupResponseSchema>>().toEqualTypeOf<PriceLookupResponse>();
  });

  it('errors and health', () => {
    expectTypeOf<Static<typeof ErrorBodySchema>>().toEqualTypeOf<ErrorBody>();
    expectTypeOf<Static<typeof HealthResponseSchema>>().toEqualTypeOf<HealthResponse>();
  });
});
