/** Pure shaping of a cost breakdown: exact nano-USD sums, shares, order (research R6). */
import type { CostBreakdownItem, CostBreakdownResponse } from '../protocol/types';
import { nanoToUsd } from './store/rows';
import type { AttributionDimension, CostBreakdownRow } from './store/store';

/**
 * Build the response from grouped rows. Items carry exact integer nano-USD, so they sum to the
 * total exactly; USD values are rounded for display only. Sorted by cost descending, then by
 * value (null last).
 */
export function buildCostBreakdown(
  dimension: AttributionDimension,
  range: { startMs: number; endMs: number },
  rows: readonly CostBreakdownRow[],
): CostBreakdownResponse {
  const totalNano = rows.reduce((sum, r) => sum + r.costNanoUsd, 0);
  const items: CostBreakdownItem[] = rows.map((r) => ({
    attributionValue: r.value,
    totalCost: nanoToUsd(r.costNanoUsd),
    totalCostNanoUsd: r.costNanoUsd,
    percentOfTotal: totalNano === 0 ? 0 : Math.round((r.costNanoUsd / totalNano) * 10_000) / 100,
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
