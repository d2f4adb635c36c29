import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planRange } from '../../../src/server/store/usage-sql';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 10);

describe('planRange', () => {
  it('splits a range into disjoint pieces that cover it exactly, rollups only on whole buckets', () => {
    const instant = fc.oneof(
      fc.integer({ min: -3 * DAY, max: 3 * DAY }).map((o) => T0 + o),
      fc.integer({ min: -72, max: 72 }).map((h) => T0 + h * HOUR),
    );
    fc.assert(
      fc.property(instant, instant, fc.constantFrom(HOUR, DAY), (a, b, coarsest) => {
        const [start, end] = [Math.min(a, b), Math.max(a, b)];
        const pieces = planRange(start, end, coarsest);
        expect(pieces[0]?.startMs).toBe(start);
        expect(pieces[pieces.length - 1]?.endMs).toBe(end);
        for (let i = 0; i < pieces.length; i++) {
          const p = pieces[i] as (typeof pieces)[number];
          if (i > 0) expect(p.startMs).toBe(pieces[i - 1]?.endMs);
          if (p.from === 'rollups') {
            expect(p.grain <= coarsest).toBe(true);
            expect(p.startMs % p.grain).toBe(0);
            expect(p.endMs % p.grain).toBe(0);
            expect(p.startMs < p.endMs).toBe(true);
          } else {
            // Raw events only at the ragged edges: never a whole hour.
            expect(p.endMs - p.startMs < HOUR || pieces.length === 1).toBe(true);
          }
        }
      }),
    );
  });

  it('30 days ending mid-hour: raw edges, hours, days, hours, raw edge', () => {
    const end = T0 + 30 * DAY + 5 * HOUR + 17 * 60_000;
    const plan = planRange(end - 30 * DAY, end).map((p) => (p.from === 'events' ? 'raw' : p.grain === DAY ? 'days' : 'hours'));
    expect(plan).toEqual(['raw', 'hours', 'days', 'hours', 'raw']);
    expect(planRange(end - 30 * DAY, end, HOUR).map((p) => p.from)).toEqual(['events', 'rollups', 'events']);
  });
});
