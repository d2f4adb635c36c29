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

  it('keeps nano-USD exact where USD rounding would not sum up', () => {
    // Three items of 1/3 of a micro-dollar each round to 0 USD but sum exactly in nano-USD.
    const res = buildCostBreakdown('workflow_id', range, [row('x', 333), row('y', 333), row('z', 334)]);
    expect(res.totalCostNanoUsd).toBe(1000);
    expect(res.totalCost).toBe(0.000001);
    expect(res.items.map((i) => i.totalCost)).toEqual([0, 0, 0]);
  });

  it('a zero total gives 0 percent, never NaN', () => {
    const res = buildCostBreakdown('agent_id', range, [row('a', 0), row(null, 0)]);
    expect(res.items.map((i) => i.percentOfTotal)).toEqual([0, 0]);
    expect(res.totalCost).toBe(0);
  });
});
