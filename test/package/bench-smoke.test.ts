/**
 * `node bench/run.mjs --quick`: the benchmark harness runs end to end on the built package, every
 * measurement produces a result, and every figure that proves completeness does (all N events at the
 * sink or the server, none twice, no unhandled rejection). Speed is not asserted here: that is what
 * `npm run bench` and bench/RESULTS.md are for (the machine is shared and noisy).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from './ensure-built';

interface RunResult {
  n?: number;
  spoolMode?: string | null;
  ownWallNsPerTurn?: number;
  unique?: number;
  duplicates?: number;
  complete?: boolean;
  unhandledRejections?: number;
  bytesPerEvent?: number;
  requests?: number;
  cpuUsPerEvent?: number;
  dropped?: number | null;
  settings?: Record<string, unknown>;
  longestGapMs?: number;
}
interface Raw {
  meta: { errors: Record<string, string[]>; runs: number; quick: boolean };
  plan: { id: string }[];
  results: Record<string, RunResult[]>;
}

const dir = mkdtempSync(join(tmpdir(), 'bearlumen-bench-smoke-'));
let raw: Raw;
let report: string;

beforeAll(async () => {
  await ensureBuilt();
  // Two rounds, so the per-round ratio table is rendered too. Always the build under test, never a patched one.
  const env = { ...process.env };
  delete env['BENCH_SDK_ENTRY'];
  delete env['BENCH_SERVER_ENTRY'];
  execFileSync(process.execPath, ['bench/run.mjs', '--quick', '--runs', '2', '--out', join(dir, 'RESULTS.md'), '--raw', join(dir, 'raw.json')], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 150_000,
    env,
  });
  raw = JSON.parse(readFileSync(join(dir, 'raw.json'), 'utf8')) as Raw;
  report = readFileSync(join(dir, 'RESULTS.md'), 'utf8');
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const only = (id: string): RunResult[] => raw.results[id] ?? [];

describe('bench --quick (CI smoke)', () => {
  it('runs every planned measurement twice, with no failed run and no unhandled rejection', () => {
    expect(raw.meta).toMatchObject({ quick: true, runs: 2, errors: {} });
    expect(raw.plan.length).toBeGreaterThanOrEqual(15);
    for (const { id } of raw.plan) {
      expect(only(id), id).toHaveLength(2);
      for (const run of only(id)) expect(run.unhandledRejections ?? 0, id).toBe(0);
    }
  });

  it('our SDK delivers every event exactly once: burst, paced, shutdown, and into our own server', () => {
    for (const id of ['burst:ours:tuned', 'paced:ours:tuned', 'shutdown:ours:tuned']) {
      for (const run of only(id)) expect({ id, unique: run.unique, duplicates: run.duplicates }).toEqual({ id, unique: run.n, duplicates: 0 });
    }
    for (const id of ['server:ingest', 'server:e2e:burst', 'ceiling:post']) {
      for (const run of only(id)) expect(run.complete, id).toBe(true);
    }
    for (const run of only('memory:ours:tuned')) expect(run.bytesPerEvent).toBeGreaterThan(0);
  });

  it('measures one record() per event-loop turn with the spool off and on, the spool writing to disk', () => {
    for (const run of only('spool-turns:bench:off')) expect(run.spoolMode).toBeNull();
    for (const run of only('spool-turns:bench:on')) expect(run.spoolMode).toBe('disk');
    for (const id of ['spool-turns:bench:off', 'spool-turns:bench:on']) {
      expect(only(id), id).toHaveLength(2);
      for (const run of only(id)) expect(Number.isFinite(run.ownWallNsPerTurn), id).toBe(true);
    }
    expect(report).toContain('(8j) bench event, one record() per event-loop turn');
  });

  it('replays what a SIGKILLed process left in its spool, every event once, and reports the longest stall', () => {
    for (const run of only('spool-replay')) {
      expect({ complete: run.complete, duplicates: run.duplicates }).toEqual({ complete: true, duplicates: 0 });
      expect(Number.isFinite(run.longestGapMs)).toBe(true);
    }
    expect(report).toContain('(8k) replay:');
  });

  it('measures steady traffic with the default linger and with lingerMs 0, every event delivered once', () => {
    for (const id of ['steady:ours:default', 'steady:ours:linger0']) {
      for (const run of only(id)) {
        expect({ id, complete: run.complete, duplicates: run.duplicates, dropped: run.dropped }).toEqual({ id, complete: true, duplicates: 0, dropped: 0 });
        expect(run.requests, id).toBeGreaterThan(0);
        expect(Number.isFinite(run.cpuUsPerEvent), id).toBe(true);
      }
    }
    for (const run of only('steady:ours:linger0')) expect(run.settings).toEqual({ lingerMs: 0 });
    expect(report).toContain('(9) steady traffic');
  });

  it('writes the report: every figure row, the peers side by side, and the per-round ratios', () => {
    for (const figure of ['(1) call cost', '(2) end to end', '(3) bytes per buffered event', '(4) shutdown flush', '(5) our server on SQLite', '(5b)', '(6) SDK → our server', '(C2) ceiling']) {
      expect(report).toContain(figure);
    }
    expect(report).toContain('### Ratios to the peers, round by round');
    expect(report).toMatch(/\| \(1\) call cost \| posthog tuned \/ ours tuned \| [\d.]+×, [\d.]+× \| \*\*[\d.]+×\*\* \|/);
    expect(report).not.toContain('## Runs that failed');
  });
});
