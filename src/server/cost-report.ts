/** Pure shaping of a cost breakdown: exact nano-USD sums, shares that add up, order (docs/api.md). */
import type { CostBreakdownItem, CostBreakdownResponse } from '../protocol/types';
import { largestRemainder } from './largest-remainder';
import { nanoToUsd } from './store/rows';
import type { AttributionDimension, CostBreakdownRow } from './store/store';

/** Nano-USD per displayed USD unit (6 decimals). */
const NANO_PER_MICRO = 1000n;
/** Hundredths of a percent in 100 %. */
const BASIS_POINTS = 10_000n;

/**
 * Build the response from grouped rows. Items carry exact integer nano-USD, so they sum to the
 * total exactly. The displayed figures add up too: each item's `totalCost` (USD, 6 decimals) and
 * `percentOfTotal` (2 decimals) are rounded with largest-remainder rounding, so the items' USD sum to
 * the response's `totalCost` and the percentages to exactly 100 (0 for a zero total); each is less
 * than one last digit from its exact value. Sorted by cost descending, then by value (null last).
 */
export function buildCostBreakdown(
  dimension: AttributionDimension,
  range: { startMs: number; endMs: number },
  rows: readonly CostBreakdownRow[],
): CostBreakdownResponse {
  const totalNano = rows.reduce((sum, r) => sum + r.costNanoUsd, 0);
  const items: CostBreakdownItem[] = rows.map((r) => ({
    attributionValue: r.value,
    totalCost: 0,
    totalCostNanoUsd: r.costNanoUsd,
    percentOfTotal: 0,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    eventCount: r.eventCount,
  }));
  items.sort((a, b) => {
    if (a.totalCostNanoUsd !== b.totalCostNanoUsd) return b.totalCostNanoUsd - a.totalCostNanoUsd;
    if (a.attributionValue === b.attributionValue) return 0;
    if (a.attributionValue === null) return 1;
    if (b.attributionValue === null) return -1;
    return a.attributionValue < b.attributionValue ? -1 : 1;
  });
  roundShares(items, totalNano);
  return {
    dimension,
    startDate: new Date(range.startMs).toISOString(),
    endDate: new Date(range.endMs).toISOString(),
    currency: 'USD',
    totalCost: nanoToUsd(totalNano),
    totalCostNanoUsd: totalNano,
    unpricedEventCount: rows.reduce((sum, r) => sum + r.unpricedEventCount, 0),
    items,
  };
}

/**
 * Fills `totalCost` and `percentOfTotal` of sorted items so that the displayed figures add up (also
 * used by the cost-report breakdown, `cost-timeseries.ts`, so both round identically).
 */
export function roundShares(items: { totalCostNanoUsd: number; totalCost: number; percentOfTotal: number }[], totalNano: number): void {
  const nanos = items.map((item) => BigInt(item.totalCostNanoUsd));
  const total = BigInt(totalNano);
  const micros = largestRemainder(nanos, NANO_PER_MICRO, BigInt(Math.round(totalNano / 1000)));
  const shares = total === 0n ? nanos.map(() => 0n) : largestRemainder(nanos.map((n) => n * BASIS_POINTS), total, BASIS_POINTS);
  items.forEach((item, i) => {
    item.totalCost = Number(micros[i]) / 1e6;
    item.percentOfTotal = Number(shares[i]) / 100;
  });
}
