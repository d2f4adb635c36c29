/** Pure shaping of a cost attribution breakdown (`/by-agent`, `/by-workflow`; docs/api.md). */
import type { CostBreakdownItem, CostBreakdownResponse } from '../protocol/types';
import { costEnvelope, rankItems } from './cost-envelope';
import type { AttributionDimension, CostBreakdownRow } from './store/store';
import type { TimeRange } from './time-range';

/**
 * Build the response from grouped rows: items carry exact integer nano-USD, sum to the total
 * exactly, and are sorted and rounded by `rankItems` (cost descending, then value, null last).
 */
export function buildCostBreakdown(dimension: AttributionDimension, range: TimeRange, rows: readonly CostBreakdownRow[]): CostBreakdownResponse {
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
  return {
    ...costEnvelope(dimension, range, totalNano),
    unpricedEventCount: rows.reduce((sum, r) => sum + r.unpricedEventCount, 0),
    items: rankItems(items, (item) => item.attributionValue, totalNano),
  };
}
