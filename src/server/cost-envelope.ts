/**
 * What every cost report response shares (`/by-agent`, `/by-workflow`, `/breakdown`, `/timeseries`):
 * the envelope (dimension, range, currency, exact total), the order of items (cost descending, then
 * value) and the rounding of displayed USD and shares so that they add up (docs/api.md).
 */
import { largestRemainder } from './largest-remainder';
import { nanoToUsd } from './store/rows';
import type { TimeRange } from './time-range';

/** Nano-USD per displayed USD unit (6 decimals). */
const NANO_PER_MICRO = 1000n;
/** Hundredths of a percent in 100 %. */
const BASIS_POINTS = 10_000n;

/** The fields a cost report response opens with. */
export interface CostEnvelope<D extends string> {
  dimension: D;
  startDate: string;
  endDate: string;
  currency: 'USD';
  /** USD, rounded to 6 decimals. */
  totalCost: number;
  /** Exact, integer nano-USD. */
  totalCostNanoUsd: number;
}

/** The envelope of a report over `range` whose exact total is `totalNano`. */
export function costEnvelope<D extends string>(dimension: D, range: TimeRange, totalNano: number): CostEnvelope<D> {
  return {
    dimension,
    startDate: new Date(range.startMs).toISOString(),
    endDate: new Date(range.endMs).toISOString(),
    currency: 'USD',
    totalCost: nanoToUsd(totalNano),
    totalCostNanoUsd: totalNano,
  };
}

/** Cost descending, then value ascending by code unit (as the stores sort), `null` last. */
export function byCostThenValue(a: { cost: number; value: string | null }, b: { cost: number; value: string | null }): number {
  if (a.cost !== b.cost) return b.cost - a.cost;
  if (a.value === b.value) return 0;
  if (a.value === null) return 1;
  if (b.value === null) return -1;
  return a.value < b.value ? -1 : 1;
}

/** An item of a report whose displayed cost and share are filled by `rankItems`. */
export interface RankedItem {
  totalCostNanoUsd: number;
  totalCost: number;
  percentOfTotal: number;
}

/**
 * Sort items by cost then value (`valueOf`) and fill their displayed `totalCost` (USD, 6 decimals) and
 * `percentOfTotal` (2 decimals) with largest-remainder rounding: the items' USD sum to the envelope's
 * `totalCost` and the percentages to exactly 100 (0 for a zero total), each less than one last digit
 * from its exact value. Items keep exact integer nano-USD, which sum to the total exactly.
 */
export function rankItems<T extends RankedItem>(items: T[], valueOf: (item: T) => string | null, totalNano: number): T[] {
  items.sort((a, b) => byCostThenValue({ cost: a.totalCostNanoUsd, value: valueOf(a) }, { cost: b.totalCostNanoUsd, value: valueOf(b) }));
  const nanos = items.map((item) => BigInt(item.totalCostNanoUsd));
  const total = BigInt(totalNano);
  const micros = largestRemainder(nanos, NANO_PER_MICRO, BigInt(Math.round(totalNano / 1000)));
  const shares = total === 0n ? nanos.map(() => 0n) : largestRemainder(nanos.map((n) => n * BASIS_POINTS), total, BASIS_POINTS);
  items.forEach((item, i) => {
    item.totalCost = Number(micros[i]) / 1e6;
    item.percentOfTotal = Number(shares[i]) / 100;
  });
  return items;
}
