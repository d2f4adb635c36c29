/**
 * @bearlumen/node-sdk — AI-usage metering and cost attribution.
 * The SDK entry: the client, its configuration, every error class and the wire types.
 */
export { BearLumen, type ShutdownOptions } from './client';
export { DEFAULTS, type BearLumenConfig } from './config';
export type { RequestOptions } from './transport/request-options';
export type { Attribution } from './internal/attribution';
export type { BatchingOptions } from './pipeline/options';
export type { DropReason, PipelineEventMap, PipelineStats, ShutdownReport, SpoolStats } from './pipeline/types';
export type { EndUsers } from './resources/end-users';
export type { Subscriptions } from './resources/subscriptions';
export type { Usage } from './resources/usage';
export type { CostAttribution } from './resources/cost-attribution';
export type { Prices } from './resources/prices';
export {
  BearLumenApiError,
  BearLumenAuthenticationError,
  BearLumenBufferFullError,
  BearLumenClosedError,
  BearLumenConflictError,
  BearLumenConnectionError,
  BearLumenError,
  BearLumenInvalidRequestError,
  BearLumenNotFoundError,
  BearLumenPayloadTooLargeError,
  BearLumenPermissionError,
  BearLumenRateLimitError,
  BearLumenServerError,
  BearLumenTimeoutError,
  BearLumenUserAbortError,
  BearLumenValidationError,
} from './errors';
export { MAX_BATCH_SIZE, MAX_METADATA_BYTES } from './protocol/limits';
export type {
  AggregationWindow,
  AttributionDateRange,
  AttributionValuesResponse,
  CostAttributionParams,
  CostBreakdownItem,
  CostBreakdownResponse,
  CostDimension,
  CostDimensionItem,
  CostDimensionParams,
  CostDimensionResponse,
  CostReportParams,
  CostTimeseriesParams,
  CostTimeseriesResponse,
  CostTimeseriesSeries,
  CostTotals,
  EndUser,
  EndUserCreateInput,
  EndUserListParams,
  EndUserListResponse,
  EndUserResponse,
  EndUserStatus,
  EndUserUpdateInput,
  ErrorBody,
  ErrorDetail,
  Metadata,
  PriceLookupParams,
  PriceLookupResponse,
  TokenKindPrice,
  Subscription,
  SubscriptionCreateInput,
  SubscriptionListParams,
  SubscriptionListResponse,
  SubscriptionStatus,
  SubscriptionUpdateInput,
  UsageAggregationItem,
  UsageAggregationParams,
  UsageAggregationResponse,
  UsageBatchResponse,
  UsageEvent,
  UsageEventInput,
  UsageFilterParams,
  UsageQueryParams,
  UsageQueryResponse,
  UsageRecordInput,
  UsageRecordResponse,
  UsageRecordResult,
  UsageSummaryParams,
  UsageSummaryResponse,
} from './protocol/types';
