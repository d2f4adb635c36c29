import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildCostBreakdown } from '../../../src/server/cost-report';
import type { CostBreakdownRow } from '../../../src/server/store/store';

const row = (value: string | null, costNanoUsd: number, extra: Partial<CostBreakdownRow> = {}): CostBreakdownRow => ({
  value,
  costNanoUsd,
  inputTokens: 0,
  outputTokens: 0,
  eventCount: 1,
  unpricedEventCount: 0,
  ...extra,
});
const range = { startMs: Date.parse('2026-06-01T00:00:00Z'), endMs: Date.parse('2026-06-02T00:00:00Z') };

describe('buildCostBreakdown', () => {
  it('sums items exactly, sorts by cost then value with null last, rounds shares to 2 decimals', () => {
    const res = buildCostBreakdown('agent_id', range, [row('b', 1), row(null, 2), row('c', 2), row('a', 2), row(null, 0), row('z', 0, { unpricedEventCount: 3 })]);
    expect(res.items.map((i) => i.attributionValue)).toEqual(['a', 'c', null, 'b', 'z', null]);
    expect(res.totalCostNanoUsd).toBe(7);
    expect(res.items.reduce((s, i) => s + i.totalCostNanoUsd, 0)).toBe(7);
    expect(res.items.map((i) => i.percentOfTotal)).toEqual([28.57, 28.57, 28.57, 14.29, 0, 0]);
    expect(res).toMatchObject({ dimension: 'agent_id', currency: 'USD', startDate: '2026-06-01T00:00:00.000Z', endDate: '2026-06-02T00:00:00.000Z', unpricedEventCount: 3 });
  });

  it('keeps nano-USD exact, and rounds USD so that the items add up where plain rounding would not', () => {
    // Three items of 1/3 of a micro-dollar each: plain rounding shows 0 + 0 + 0 for a total of 0.000001.
    const res = buildCostBreakdown('workflow_id', range, [row('x', 333), row('y', 333), row('z', 334)]);
    expect(res.totalCostNanoUsd).toBe(1000);
    expect(res.totalCost).toBe(0.000001);
    expect(res.items.map((i) => [i.attributionValue, i.totalCost])).toEqual([['z', 0.000001], ['x', 0], ['y', 0]]);
    // Three equal thirds: 33.33 × 3 = 99.99 with plain rounding; the first (by order) gets the last hundredth.
    expect(buildCostBreakdown('agent_id', range, [row('a', 1), row('b', 1), row('c', 1)]).items.map((i) => i.percentOfTotal)).toEqual([33.34, 33.33, 33.33]);
  });

  it('property: over random breakdowns, displayed USD and percentages sum exactly to the displayed total and 100', () => {
    const nano = fc.oneof(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 2_000_000_000 }), fc.integer({ min: 0, max: 2 ** 48 }));
    fc.assert(
      fc.property(fc.array(nano, { minLength: 1, maxLength: 40 }), (costs) => {
        const res = buildCostBreakdown('agent_id', range, costs.map((cost, i) => row(`v${i}`, cost)));
        const micro = (usd: number): number => Math.round(usd * 1e6);
        const total = res.totalCostNanoUsd;
        expect(total).toBe(costs.reduce((s, c) => s + c, 0));
        expect(res.items.reduce((s, i) => s + micro(i.totalCost), 0)).toBe(micro(res.totalCost));
        expect(res.items.reduce((s, i) => s + Math.round(i.percentOfTotal * 100), 0)).toBe(total === 0 ? 0 : 10_000);
        for (const item of res.items) {
          // Each displayed figure is less than one last digit from the exact value.
          expect(Math.abs(micro(item.totalCost) - item.totalCostNanoUsd / 1000)).toBeLessThan(1);
          if (total > 0) expect(Math.abs(Math.round(item.percentOfTotal * 100) - (item.totalCostNanoUsd / total) * 10_000)).toBeLessThan(1 + 1e-6);
          // Figures have at most 6 (USD) and 2 (percent) decimals.
          expect(item.totalCost).toBe(micro(item.totalCost) / 1e6);
          expect(item.percentOfTotal).toBe(Math.round(item.percentOfTotal * 100) / 100);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a zero total gives 0 percent, never NaN', () => {
    const res = buildCostBreakdown('agent_id', range, [row('a', 0), row(null, 0)]);
    expect(res.items.map((i) => i.percentOfTotal)).toEqual([0, 0]);
    expect(res.totalCost).toBe(0);
  });
});
