/** The wire contract: Prices, usage summaries and aggregations. (src/protocol/types.ts re-exports every part.) */

import type { UsageEvent } from './wire-usage';

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
