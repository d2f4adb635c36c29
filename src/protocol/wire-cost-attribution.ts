/** The wire contract: Cost attribution: breakdowns by agent, workflow, model and time. (src/protocol/types.ts re-exports every part.) */

import type { AggregationWindow } from './wire-prices';

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
