/**
 * The wire contract, v1: plain interfaces for every JSON shape the SDK sends and the server answers.
 * Both sides import these; the server's TypeBox schemas are tied to them by type tests.
 * Names already published in the SDK reference are frozen.
 */

/** Free-form JSON object attached to an entity or event. At most 10 KB as compact UTF-8 JSON. */
export type Metadata = Record<string, unknown>;

// ── End users ────────────────────────────────────────────────────────────────────────────────────

/** Lifecycle state of an end user. Deactivation is a soft delete: usage history is kept. */
export type EndUserStatus = 'ACTIVE' | 'DEACTIVATED';

/** A customer of yours whose AI usage you track. */
export interface EndUser {
  /** Server-assigned id, prefixed `eu_`. */
  id: string;
  /** Your own unique identifier for this user (unique per tenant). */
  externalId: string;
  name: string | null;
  email: string | null;
  metadata: Metadata;
  status: EndUserStatus;
  /** RFC 3339 UTC timestamps. */
  createdAt: string;
  updatedAt: string;
  deactivatedAt: string | null;
}

/** Body of `endUsers.create`. */
export interface EndUserCreateInput {
  /** Required: your unique identifier, 1–255 characters. */
  externalId: string;
  /** Optional display name, at most 255 characters. */
  name?: string;
  /** Optional email, for portal access. */
  email?: string;
  /** Optional metadata, at most 10 KB. */
  metadata?: Metadata;
}

/** Body of `endUsers.update`: every field optional; `null` clears `name` or `email`. */
export interface EndUserUpdateInput {
  name?: string | null;
  email?: string | null;
  /** Replaces the stored metadata object. */
  metadata?: Metadata;
}

/** Envelope of create, update, deactivate and reactivate. */
export interface EndUserResponse {
  endUser: EndUser;
}

/** Query of `endUsers.list`. */
export interface EndUserListParams {
  status?: EndUserStatus;
  /** 1–1000, default 100. */
  limit?: number;
  /** ≥ 0, default 0. */
  offset?: number;
}

/** Result of `endUsers.list`. `total` counts the users matching `status`; the counts cover the tenant. */
export interface EndUserListResponse {
  endUsers: EndUser[];
  total: number;
  activeCount: number;
  deactivatedCount: number;
  limit: number;
  offset: number;
}

// ── Subscriptions ────────────────────────────────────────────────────────────────────────────────

export type SubscriptionStatus = 'ACTIVE' | 'CANCELED';

/** Links an end user to a pricing plan for a billing period. */
export interface Subscription {
  /** Server-assigned id, prefixed `sub_`. */
  id: string;
  /** The end user's id (`eu_…`). */
  userId: string;
  pricingPlanId: string;
  status: SubscriptionStatus;
  currentPeriodStart: string;
  currentPeriodEnd: string;
  stripeSubscriptionId: string | null;
  metadata: Metadata;
  canceledAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Body of `subscriptions.create`. */
export interface SubscriptionCreateInput {
  /** Required: the end user's id (`eu_…`), which must exist in your tenant. */
  userId: string;
  /** Required: 1–255 characters. */
  pricingPlanId: string;
  /** Required: ISO 8601 date (`2024-01-01`, read as 00:00 UTC) or RFC 3339 date-time with offset. */
  currentPeriodStart: string;
  /** Required: ISO 8601 date (`2024-02-01`, read as 00:00 UTC) or RFC 3339 date-time, after `currentPeriodStart`. */
  currentPeriodEnd: string;
  stripeSubscriptionId?: string;
  metadata?: Metadata;
}

/** Body of `subscriptions.update`: every field optional. */
export interface SubscriptionUpdateInput {
  pricingPlanId?: string;
  /** ISO 8601 date (read as 00:00 UTC) or RFC 3339 date-time. */
  currentPeriodStart?: string;
  /** ISO 8601 date (read as 00:00 UTC) or RFC 3339 date-time, after the (new or current) start. */
  currentPeriodEnd?: string;
  stripeSubscriptionId?: string | null;
  metadata?: Metadata;
}

/** Query of `subscriptions.list`. */
export interface SubscriptionListParams {
  userId?: string;
  status?: SubscriptionStatus;
  /** 1–1000, default 100. */
  limit?: number;
  offset?: number;
}

/** Result of `subscriptions.list`. */
export interface SubscriptionListResponse {
  data: Subscription[];
  total: number;
  limit: number;
  offset: number;
}

// ── Usage ────────────────────────────────────────────────────────────────────────────────────────

/** One usage event, as `usage.record` and `usage.recordBatch` take it. */
export interface UsageRecordInput {
  /** Required: 1–100 characters of `[A-Za-z0-9_.:-]`, e.g. `token_usage`. */
  eventType: string;
  /** Required: 1–100 characters of `[A-Za-z0-9_.:-]`, e.g. `llm_tokens_input`. */
  metricName: string;
  /** Required: finite, ≥ 0, ≤ 1e15; an integer for `llm_tokens*` metrics. */
  quantity: number;
  /** Optional: a subscription (`sub_…`) of your tenant. */
  subscriptionId?: string;
  /** Recommended: 1–255 printable ASCII characters. The SDK generates one when absent. */
  idempotencyKey?: string;
  /** Optional event time, RFC 3339, within [now − 35 days, now + 5 minutes]. Default: the call time. */
  timestamp?: string;
  /** Optional metadata (≤ 10 KB). `model` and `provider` price LLM token events. */
  metadata?: Metadata;
  /** Convenience: folded into `metadata.agent_id`. 1–255 characters. */
  agent_id?: string;
  /** Convenience: folded into `metadata.workflow_id`. 1–255 characters. */
  workflow_id?: string;
}

/** The event as sent on the wire (agent_id / workflow_id already folded into metadata). */
export interface UsageEventInput {
  eventType: string;
  metricName: string;
  quantity: number;
  subscriptionId?: string;
  idempotencyKey?: string;
  timestamp?: string;
  metadata?: Metadata;
}

/** The server's answer for one event (the wire shape, one per event in a batch response). */
export interface UsageRecordResult {
  /** The event's id (`evt_…`); for a duplicate, the id of the original event. */
  eventId: string;
  /** `true` if this call stored the event, `false` if its idempotency key was already stored. */
  recorded: boolean;
}

/** Result of one recorded event (`usage.record()`): the server's answer, or `spooled`. */
export interface UsageRecordResponse extends UsageRecordResult {
  /**
   * The event was accepted while the memory bound was full and is held on disk only; it will be
   * delivered with its idempotency key (by this process, or replayed by the next); the server's answer
   * is not reported. Only with `batching.spoolDir`; `eventId` is then `''` and `recorded` is `true`.
   */
  spooled?: true;
}

/** Body of `POST /v1/usage/events/batch`. */
export interface UsageBatchRequest {
  events: UsageEventInput[];
}

/** Result of `usage.recordBatch`: `recordedCount + skippedCount === events.length`. */
export interface UsageBatchResponse {
  recordedCount: number;
  skippedCount: number;
  /** One result per input event, in input order. */
  results: UsageRecordResult[];
}

/** A stored usage event, as `usage.query` returns it. */
export interface UsageEvent {
  /** `evt_…` */
  eventId: string;
  eventType: string;
  metricName: string;
  quantity: number;
  subscriptionId: string | null;
  idempotencyKey: string;
  /** Event time, RFC 3339 UTC. */
  timestamp: string;
  /** When the server stored it, RFC 3339 UTC. */
  receivedAt: string;
  metadata: Metadata;
  /** Cost computed at ingest, USD. */
  costUsd: number;
  /** Cost in integer nano-USD (exact). */
  costNanoUsd: number;
  /** `false` when no price was found (cost 0). */
  priced: boolean;
  /**
   * What priced it: `metadata` (the event's own `metadata.cost`), `override` (the operator's price
   * file), `genai-prices@<version>` (the bundled data), `genai-prices-data:<file>@sha256:<hash>` (a
   * `--prices-data` file), or null when nothing priced it.
   */
  priceSource: string | null;
}

// ── Prices ───────────────────────────────────────────────────────────────────────────────────────

/** Query of `GET /v1/prices`: which price the server would apply to a model. */
export interface PriceLookupParams {
  /** The model as events name it in `metadata.model`, e.g. `gpt-4o-2024-08-06`. */
  model: string;
  /** The provider as events name it in `metadata.provider` (recommended; lower case). */
  provider?: string;
  /** RFC 3339 time to price at. Default: now. */
  at?: string;
}

/** The price of one token kind. */
export interface TokenKindPrice {
  /** USD per million tokens (the base rate when tiered). */
  usdPerMillion: number;
  /** Long-context tiers: above `aboveInputTokens` request input tokens, the whole request costs `usdPerMillion`. */
  tiers: { aboveInputTokens: number; usdPerMillion: number }[];
  /** `override`, `genai-prices@<version>` or `genai-prices-data:<file>@sha256:<hash>`. */
  source: string;
}

/** Answer of `GET /v1/prices`. */
export interface PriceLookupResponse {
  model: string;
  provider: string | null;
  /** The time priced at, RFC 3339 UTC. */
  at: string;
  /** False when no token kind has a price: events for this model would cost 0 and count as unpriced. */
  priced: boolean;
  /** The model and provider the price data matched (genai-prices ids), or null. */
  matchedModel: string | null;
  matchedProvider: string | null;
  /** Per token kind (`input`, `output`, `cache_read`, `cache_write`, `cache_write_1h`); kinds without a price are absent. */
  prices: Partial<Record<'input' | 'output' | 'cache_read' | 'cache_write' | 'cache_write_1h', TokenKindPrice>>;
}

/** Filters shared by query, aggregation and summary. Dates are ISO 8601; the range is [startDate, endDate). */
export interface UsageFilterParams {
  subscriptionId?: string;
  metricName?: string;
  eventType?: string;
  /** ISO 8601 date or date-time, inclusive. Default: 30 days before endDate. */
  startDate?: string;
  /** ISO 8601 date or date-time, exclusive. A bare date means the end of that day. Default: now. */
  endDate?: string;
}

/** Query of `usage.query`. Newest first. */
export interface UsageQueryParams extends UsageFilterParams {
  agent_id?: string;
  workflow_id?: string;
  /** 1–1000, default 100. */
  limit?: number;
  offset?: number;
}

/** Result of `usage.query`. */
export interface UsageQueryResponse {
  events: UsageEvent[];
  total: number;
  limit: number;
  offset: number;
}

/** Window of an aggregation; absent means one row per metric for the whole range. */
export type AggregationWindow = 'HOUR' | 'DAY';

/** Query of `usage.aggregation`. */
export interface UsageAggregationParams extends UsageFilterParams {
  windowSize?: AggregationWindow;
}

/** One metric (in one window) of an aggregation. */
export interface UsageAggregationItem {
  metricName: string;
  /** Window bounds (UTC), or the query range when no `windowSize` was given. */
  windowStart: string;
  windowEnd: string;
  totalQuantity: number;
  eventCount: number;
  minQuantity: number;
  maxQuantity: number;
  totalCost: number;
  totalCostNanoUsd: number;
}

/** Result of `usage.aggregation`: sorted by metricName, then windowStart. */
export interface UsageAggregationResponse {
  startDate: string;
  endDate: string;
  windowSize: AggregationWindow | null;
  aggregations: UsageAggregationItem[];
}

/** Query of `usage.summary`. */
export type UsageSummaryParams = UsageFilterParams;

/** Result of `usage.summary`: totals over the range. */
export interface UsageSummaryResponse {
  startDate: string;
  endDate: string;
  totalEvents: number;
  /** Distinct metric names seen. */
  metricCount: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** USD, rounded to 6 decimals. */
  totalCost: number;
  /** Exact total in integer nano-USD. */
  totalCostNanoUsd: number;
  /** Events whose model had no price (cost 0). */
  unpricedEventCount: number;
  /** Sorted by metricName. */
  metrics: { metricName: string; totalQuantity: number; eventCount: number }[];
}

// ── Cost attribution ─────────────────────────────────────────────────────────────────────────────

/** Range of a cost-attribution query, ISO 8601; [startDate, endDate). */
export interface AttributionDateRange {
  startDate: string;
  endDate: string;
}

/** Params of the cost-attribution methods: a range, optionally narrowed to one subscription. */
export interface CostAttributionParams extends AttributionDateRange {
  subscriptionId?: string;
}

/** One agent's or workflow's share of the cost. */
export interface CostBreakdownItem {
  /** The agent or workflow id; `null` groups the events without one. */
  attributionValue: string | null;
  /** USD, rounded to 6 decimals. */
  totalCost: number;
  /** Exact, integer nano-USD: items sum to the response's `totalCostNanoUsd`. */
  totalCostNanoUsd: number;
  /** Share of the total, rounded to 2 decimals; 0 when the total is 0. */
  percentOfTotal: number;
  inputTokens: number;
  outputTokens: number;
  eventCount: number;
}

/** Result of `costAttribution.byAgent` / `byWorkflow`: items sorted by cost, descending. */
export interface CostBreakdownResponse {
  dimension: 'agent_id' | 'workflow_id';
  startDate: string;
  endDate: string;
  currency: 'USD';
  totalCost: number;
  totalCostNanoUsd: number;
  unpricedEventCount: number;
  items: CostBreakdownItem[];
}

/** Result of `costAttribution.listAgents` / `listWorkflows`: distinct values, sorted. */
export interface AttributionValuesResponse {
  values: string[];
}

/**
 * What a cost report groups by: the attribution ids, or the `metadata.model` / `metadata.provider`
 * strings of the events (the model as sent, the provider trimmed and lower-cased; events without
 * one, or with an empty one, form the `null` group).
 */
export type CostDimension = 'agent_id' | 'workflow_id' | 'model' | 'provider';

/** Params of `costAttribution.breakdown` / `byModel` / `timeseries`: a range and optional narrowing. */
export interface CostReportParams extends CostAttributionParams {
  /** Only events of this agent (a drill-down). */
  agentId?: string;
  /** Only events of this workflow. */
  workflowId?: string;
}

/** Params of `costAttribution.breakdown`. */
export interface CostDimensionParams extends CostReportParams {
  dimension: CostDimension;
}

/** Token and event totals shared by a breakdown item and a whole breakdown. */
export interface CostTotals {
  /** USD, rounded to 6 decimals. */
  totalCost: number;
  /** Exact, integer nano-USD. */
  totalCostNanoUsd: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  eventCount: number;
  /** LLM token events whose model had no price (cost 0). */
  unpricedEventCount: number;
}

/** One group of `costAttribution.breakdown`. */
export interface CostDimensionItem extends CostTotals {
  /** The agent / workflow id, model or provider; `null` groups the events without one. */
  value: string | null;
  /** Share of the total cost, rounded to 2 decimals; 0 when the total is 0. */
  percentOfTotal: number;
}

/** Result of `costAttribution.breakdown`: totals over the range and items sorted by cost, descending. */
export interface CostDimensionResponse extends CostTotals {
  dimension: CostDimension;
  startDate: string;
  endDate: string;
  currency: 'USD';
  items: CostDimensionItem[];
}

/** Params of `costAttribution.timeseries`. */
export interface CostTimeseriesParams extends CostDimensionParams {
  /** Bucket size; buckets are aligned to UTC hours / days. */
  bucket: AggregationWindow;
  /** Series returned separately, the costliest first (1–50, default 10); the rest are summed into `other`. */
  limit?: number;
}

/** One series of a time series: the cost of one value per bucket. */
export interface CostTimeseriesSeries {
  /** The agent / workflow id, model or provider; `null` for events without one. */
  value: string | null;
  /** Exact total of the series over the range, nano-USD. */
  totalCostNanoUsd: number;
  /** Cost per bucket, nano-USD, aligned with the response's `buckets`. */
  costNanoUsd: number[];
}

/** Result of `costAttribution.timeseries`: dense buckets, series sorted by total cost, descending. */
export interface CostTimeseriesResponse {
  dimension: CostDimension;
  bucket: AggregationWindow;
  startDate: string;
  endDate: string;
  currency: 'USD';
  /** Start of each bucket (UTC, RFC 3339), ascending, every bucket of the range even when empty. */
  buckets: string[];
  totalCost: number;
  totalCostNanoUsd: number;
  series: CostTimeseriesSeries[];
  /** The series beyond `limit`, summed per bucket (empty series count 0 and all-zero costs). */
  other: { seriesCount: number; totalCostNanoUsd: number; costNanoUsd: number[] };
}

// ── Errors and health ────────────────────────────────────────────────────────────────────────────

/** One failing item of a rejected batch. */
export interface ErrorDetail {
  /** Index of the event in the batch. */
  index: number;
  code: string;
  message: string;
  param?: string;
  idempotencyKey?: string;
}

/** Body of every non-2xx response. */
export interface ErrorBody {
  error: {
    type: string;
    code: string;
    message: string;
    param?: string;
    details?: ErrorDetail[];
  };
  requestId: string;
}

/** Body of `GET /healthz`. */
export interface HealthResponse {
  status: 'ok';
  version: string;
  store: 'sqlite' | 'postgres';
}
