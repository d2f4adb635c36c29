/**
 * Row types of the cost-report reads (`Store.dimensionCosts`, `Store.costSeries`) behind the
 * breakdown and time-series routes and the dashboard. Engine-neutral, like the rest of `store.ts`.
 */
import type { CostDimension } from '../../protocol/types';

export type { CostDimension };

/** One group of `dimensionCosts` (unsorted; the route sorts and computes shares). */
export interface DimensionCostRow {
  value: string | null;
  costNanoUsd: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  eventCount: number;
  unpricedEventCount: number;
}

/** One (bucket, value) cell of `costSeries`; cells without events are absent. */
export interface CostSeriesRow {
  /** Bucket start, epoch ms, aligned to the UTC hour / day. */
  bucketStartMs: number;
  value: string | null;
  costNanoUsd: number;
}
