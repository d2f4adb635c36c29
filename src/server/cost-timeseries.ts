/**
 * Pure shaping of the cost-report routes: a breakdown by any dimension (exact nano-USD sums, shares,
 * order) and a dense time series (every bucket of the range, the costliest series first, the rest
 * summed into `other`). See docs/dashboard.md for how the dashboard reads them.
 */
import { MAX_TIMESERIES_BUCKETS } from '../protocol/limits';
import type { AggregationWindow, CostDimension, CostDimensionItem, CostDimensionResponse, CostTimeseriesResponse, CostTimeseriesSeries } from '../protocol/types';
import { byCostThenValue, costEnvelope, rankItems } from './cost-envelope';
import { ApiError } from './errors';
import type { CostSeriesRow, DimensionCostRow } from './store/cost-report-types';
import type { TimeRange } from './time-range';

const BUCKET_MS: Record<AggregationWindow, number> = { HOUR: 3_600_000, DAY: 86_400_000 };

/** Build the breakdown response: items carry exact nano-USD and sum to the totals exactly. */
export function buildDimensionCosts(dimension: CostDimension, range: TimeRange, rows: readonly DimensionCostRow[]): CostDimensionResponse {
  const sum = (pick: (r: DimensionCostRow) => number): number => rows.reduce((total, r) => total + pick(r), 0);
  const totalNano = sum((r) => r.costNanoUsd);
  const items: CostDimensionItem[] = rows.map((r) => ({
    value: r.value,
    totalCost: 0,
    totalCostNanoUsd: r.costNanoUsd,
    percentOfTotal: 0,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    cacheReadTokens: r.cacheReadTokens,
    cacheWriteTokens: r.cacheWriteTokens,
    eventCount: r.eventCount,
    unpricedEventCount: r.unpricedEventCount,
  }));
  return {
    ...costEnvelope(dimension, range, totalNano),
    inputTokens: sum((r) => r.inputTokens),
    outputTokens: sum((r) => r.outputTokens),
    cacheReadTokens: sum((r) => r.cacheReadTokens),
    cacheWriteTokens: sum((r) => r.cacheWriteTokens),
    eventCount: sum((r) => r.eventCount),
    unpricedEventCount: sum((r) => r.unpricedEventCount),
    // USD and shares rounded with largest remainders, exactly as by-agent / by-workflow: they add up.
    items: rankItems(items, (item) => item.value, totalNano),
  };
}

/**
 * Starts of the UTC-aligned buckets that overlap the range: the first one may begin before
 * `startMs` (it then holds only the events from `startMs` on).
 * @throws {ApiError} 400 `parameter_invalid` (param `bucket`) past MAX_TIMESERIES_BUCKETS buckets.
 */
export function bucketStarts(range: TimeRange, bucket: AggregationWindow): number[] {
  const size = BUCKET_MS[bucket];
  const first = Math.floor(range.startMs / size) * size;
  const count = Math.ceil((range.endMs - first) / size);
  if (count > MAX_TIMESERIES_BUCKETS) {
    throw new ApiError('parameter_invalid', `bucket ${bucket} gives ${count} buckets over this range; at most ${MAX_TIMESERIES_BUCKETS} are allowed (use DAY or a shorter range)`, {
      param: 'bucket',
    });
  }
  return Array.from({ length: count }, (_, i) => first + i * size);
}

/** Build the dense time series: `limit` costliest series, the rest summed per bucket into `other`. */
export function buildCostTimeseries(
  query: { dimension: CostDimension; bucket: AggregationWindow; limit: number },
  range: TimeRange,
  starts: readonly number[],
  rows: readonly CostSeriesRow[],
): CostTimeseriesResponse {
  const size = BUCKET_MS[query.bucket];
  const first = starts[0] ?? range.startMs;
  const byValue = new Map<string | null, CostTimeseriesSeries>();
  for (const r of rows) {
    let s = byValue.get(r.value);
    if (s === undefined) {
      s = { value: r.value, totalCostNanoUsd: 0, costNanoUsd: new Array<number>(starts.length).fill(0) };
      byValue.set(r.value, s);
    }
    const index = Math.round((r.bucketStartMs - first) / size);
    s.costNanoUsd[index] = (s.costNanoUsd[index] ?? 0) + r.costNanoUsd;
    s.totalCostNanoUsd += r.costNanoUsd;
  }
  const all = [...byValue.values()].sort((a, b) => byCostThenValue({ cost: a.totalCostNanoUsd, value: a.value }, { cost: b.totalCostNanoUsd, value: b.value }));
  const series = all.slice(0, query.limit);
  const rest = all.slice(query.limit);
  const other = { seriesCount: rest.length, totalCostNanoUsd: 0, costNanoUsd: new Array<number>(starts.length).fill(0) };
  for (const s of rest) {
    other.totalCostNanoUsd += s.totalCostNanoUsd;
    s.costNanoUsd.forEach((c, i) => (other.costNanoUsd[i] = (other.costNanoUsd[i] ?? 0) + c));
  }
  const totalNano = all.reduce((sum, s) => sum + s.totalCostNanoUsd, 0);
  return {
    ...costEnvelope(query.dimension, range, totalNano),
    bucket: query.bucket,
    buckets: starts.map((ms) => new Date(ms).toISOString()),
    series,
    other,
  };
}
