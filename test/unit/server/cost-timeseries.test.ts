import { describe, expect, it } from 'vitest';
import { bucketStarts, buildCostTimeseries } from '../../../src/server/cost-timeseries';
import { dashboardHint } from '../../../src/server/dashboard-hint';

const HOUR = 3_600_000;
const T = Date.UTC(2026, 0, 10);

describe('bucketStarts', () => {
  it('covers the range with UTC-aligned buckets, the first one starting at or before startMs', () => {
    expect(bucketStarts({ startMs: T + 30 * 60_000, endMs: T + 2 * HOUR }, 'HOUR')).toEqual([T, T + HOUR]);
    expect(bucketStarts({ startMs: T, endMs: T + 2 * HOUR + 1 }, 'HOUR')).toEqual([T, T + HOUR, T + 2 * HOUR]);
    expect(bucketStarts({ startMs: T + 5, endMs: T + 6 }, 'DAY')).toEqual([T]);
  });

  it('refuses more than 10,000 buckets, naming the bucket parameter', () => {
    expect(() => bucketStarts({ startMs: T, endMs: T + 10_001 * HOUR }, 'HOUR')).toThrow(expect.objectContaining({ code: 'parameter_invalid', param: 'bucket' }));
    expect(bucketStarts({ startMs: T, endMs: T + 10_000 * HOUR }, 'HOUR')).toHaveLength(10_000);
  });
});

describe('buildCostTimeseries', () => {
  it('pivots cells into dense series sorted by cost, null last on ties, the rest summed into other', () => {
    const range = { startMs: T, endMs: T + 3 * HOUR };
    const starts = bucketStarts(range, 'HOUR');
    const cells = [
      { bucketStartMs: T, value: 'a', costNanoUsd: 5 },
      { bucketStartMs: T + 2 * HOUR, value: 'a', costNanoUsd: 5 },
      { bucketStartMs: T + HOUR, value: null, costNanoUsd: 10 },
      { bucketStartMs: T + HOUR, value: 'b', costNanoUsd: 10 },
      { bucketStartMs: T, value: 'c', costNanoUsd: 1 },
    ];
    const all = buildCostTimeseries({ dimension: 'agent_id', bucket: 'HOUR', limit: 10 }, range, starts, cells);
    expect(all.series).toEqual([
      { value: 'a', totalCostNanoUsd: 10, costNanoUsd: [5, 0, 5] },
      { value: 'b', totalCostNanoUsd: 10, costNanoUsd: [0, 10, 0] },
      { value: null, totalCostNanoUsd: 10, costNanoUsd: [0, 10, 0] },
      { value: 'c', totalCostNanoUsd: 1, costNanoUsd: [1, 0, 0] },
    ]);
    expect(all.totalCostNanoUsd).toBe(31);
    const top = buildCostTimeseries({ dimension: 'agent_id', bucket: 'HOUR', limit: 2 }, range, starts, cells);
    expect(top.series.map((s) => s.value)).toEqual(['a', 'b']);
    expect(top.other).toEqual({ seriesCount: 2, totalCostNanoUsd: 11, costNanoUsd: [1, 10, 0] });
    expect(top.buckets).toEqual(starts.map((ms) => new Date(ms).toISOString()));
  });
});

describe('dashboardHint', () => {
  it('a local run: npm run serve (with --db when not the default), the URL, the key to paste', () => {
    const text = dashboardHint({ apiKey: 'bl_test_abc', dbPath: '.bearlumen/bearlumen.db', defaultDbPath: '.bearlumen/bearlumen.db' });
    expect(text).toContain('npm run serve\n');
    expect(text).toContain('http://127.0.0.1:8080/');
    expect(text).toContain('bl_test_abc');
    expect(dashboardHint({ apiKey: 'k', dbPath: '/tmp/x.db', defaultDbPath: 'd' })).toContain('npm run serve -- --db /tmp/x.db');
  });

  it('a --url run: that server’s page, and never the key', () => {
    const text = dashboardHint({ apiKey: 'bl_test_secret', url: 'http://10.0.0.5:9000/', defaultDbPath: '' });
    expect(text).toContain('open http://10.0.0.5:9000/ and paste your API key');
    expect(text).not.toContain('bl_test_secret');
  });
});
