/**
 * Spilling to disk (docs/pipeline.md "Spilling to disk"), with real child processes and the real server:
 * - an outage longer than the memory bound: a child with `maxBufferedEvents: 10_000` records 300,000
 *   events while the server is unreachable; every `record()` resolves (held or `spooled`), the gc'd heap
 *   after 300,000 is within a few MB of the heap after 30,000; once the server is back, all 300,000 are
 *   stored exactly once by that same process;
 * - SIGKILL while spilling (server down or up) or while spill segments are read back, six times on one
 *   directory, then a new process on the directory: every event recorded in a turn that had ended is stored exactly once, none twice.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRestartableServer, type RestartableServer } from '../helpers/restartable-server';
import { bundleSpoolRecorder, startSpoolChild } from '../helpers/spool-child';
import { readStoredEvents, summarize, tenantIdOf } from '../helpers/stored-events';

let server: RestartableServer;
let recorder: string;
let heapChild: string;
const dirs: string[] = [];

beforeAll(async () => {
  server = await startRestartableServer();
  [recorder, heapChild] = await Promise.all([bundleSpoolRecorder(), bundleSpoolRecorder('spill-heap')]);
});

afterAll(async () => {
  await server.close();
  rmSync(recorder, { force: true });
  rmSync(heapChild, { force: true });
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bearlumen-spill-'));
  dirs.push(dir);
  return dir;
}

const segments = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.seg')) : []);
const MiB = 1024 * 1024;
const TOTAL = 300_000;
/** Heap growth allowed between 30k and 300k events: a few MB of noise, against ~100 MB if spilled events stayed in memory. */
const FLAT_HEAP_BYTES = 4 * MiB;

interface HeapLine {
  heapFirst: number;
  heapTotal: number;
  outcomes: { recorded: number; spooled: number; rejected: number };
  stats: { buffered: number; inFlightEvents: number; spool: { spilled: number; spilledWaiting: number; mode: string } };
}

describe('spool: spilling to disk during an outage', () => {
  it('keeps the heap flat over 300,000 events with maxBufferedEvents 10,000, then delivers every one exactly once', async () => {
    await server.start();
    const apiKey = await server.createKey('spill-heap');
    if (server.store === null) throw new Error('server stopped');
    const tenantId = await tenantIdOf(server.store, apiKey);
    await server.stop();
    const dir = tempDir();
    const go = join(dir, 'go');
    const env = { BL_URL: server.url, BL_KEY: apiKey, BL_SPOOL: join(dir, 'spool'), BL_TOTAL: String(TOTAL), BL_FIRST: '30000', BL_GO: go };
    const child = startSpoolChild(heapChild, env, ['--expose-gc']);
    let hasExited = false;
    void child.exited.then(() => (hasExited = true));
    // The first line comes once all 300,000 are recorded (bounded: the child's own time limit kills it).
    while (!child.output().includes('\n') && !hasExited) await delay(50);
    if (!child.output().includes('\n')) throw new Error(`child exited early: ${(await child.exited).stderr}`);
    const firstLine = JSON.parse(child.output().split('\n')[0] as string) as HeapLine;
    const recorded = firstLine;
    process.stdout.write(`spill heap: ${JSON.stringify({ heapFirstMiB: recorded.heapFirst / MiB, heapTotalMiB: recorded.heapTotal / MiB, outcomes: recorded.outcomes })}\n`);
    expect(recorded.outcomes).toEqual({ recorded: 0, spooled: expect.any(Number), rejected: 0 });
    expect(recorded.stats.spool.mode).toBe('disk');
    // Held in memory: at most the bound; the rest spilled, resolved `spooled`, and still on disk only.
    expect(recorded.stats.buffered + recorded.stats.inFlightEvents).toBeLessThanOrEqual(10_000);
    expect(recorded.stats.spool.spilled).toBe(recorded.outcomes.spooled);
    expect(recorded.stats.spool.spilled).toBeGreaterThanOrEqual(TOTAL - 10_000);
    expect(recorded.stats.spool.spilledWaiting).toBe(recorded.stats.spool.spilled);
    expect(recorded.heapTotal - recorded.heapFirst).toBeLessThan(FLAT_HEAP_BYTES);

    await server.start();
    writeFileSync(go, '');
    const exit = await child.exited;
    expect(exit.code, exit.stderr).toBe(0);
    const lines = exit.stdout.trim().split('\n');
    const { report, stats, outcomes } = JSON.parse(lines.at(-1) as string) as {
      report: { delivered: number; duplicates: number; dropped: number; failed: number; unsent: number; spooled: number };
      stats: { spool: { spilledWaiting: number } };
      outcomes: HeapLine['outcomes'];
    };
    // Every record() promise settled (held events with the server's answer once it was back).
    expect(outcomes.recorded + outcomes.spooled).toBe(TOTAL);
    expect(stats.spool.spilledWaiting).toBe(0);
    expect(report).toMatchObject({ failed: 0, dropped: 0, unsent: 0, spooled: 0 });
    expect(report.delivered + report.duplicates).toBe(TOTAL);
    const store = server.store;
    if (store === null) throw new Error('server stopped');
    const stored = summarize(await readStoredEvents(store, tenantId));
    expect(stored.rows).toBe(TOTAL);
    expect(stored.byMarker.size).toBe(TOTAL);
    expect(segments(join(dir, 'spool'))).toEqual([]);
  }, 240_000);

  it('a SIGKILL while spilling or reading back loses nothing and stores nothing twice: the next process on the directory delivers the rest', async () => {
    await server.start();
    const apiKey = await server.createKey('spill-crash');
    const dir = tempDir();
    const spoolDir = join(dir, 'spool');
    const marked = new Map<string, number>();
    // Each child spills past 300 held events and is killed at a different moment: while spilling with the
    // server down, and with the server up while recording or after it (spill segments being read back).
    // The first child finds no orphans, so it is reading its own spill segments back when it is killed;
    // later ones first replay what the earlier ones left.
    const steps = [
      { serverUp: true, killAtMark: 20_000, killAfterMs: 150 },
      { serverUp: false, killAtMark: 1500, killAfterMs: 0 },
      { serverUp: true, killAtMark: 1500, killAfterMs: 30 },
      { serverUp: false, killAtMark: 1500, killAfterMs: 60 },
      { serverUp: true, killAtMark: 20_000, killAfterMs: 300 },
      { serverUp: false, killAtMark: 1500, killAfterMs: 120 },
    ];
    for (const [index, { serverUp, killAtMark, killAfterMs }] of steps.entries()) {
      if (serverUp) await server.start();
      else await server.stop();
      const prefix = `k${index}`;
      const marks = join(dir, `${prefix}.marks`);
      const env = { BL_URL: server.url, BL_KEY: apiKey, BL_SPOOL: spoolDir, BL_MODE: 'record', BL_PREFIX: prefix, BL_MARKS: marks, BL_PER_TURN: '250', BL_MAX: '20000', BL_MAX_BUFFERED: '300' };
      const child = startSpoolChild(recorder, env);
      await child.ready;
      // Past the memory bound before the kill window opens: what follows is spilled (bounded wait).
      for (let waited = 0; lastMark(marks) < killAtMark && waited < 20_000; waited += 10) await delay(10);
      await delay(killAfterMs);
      child.kill('SIGKILL');
      const exit = await child.exited;
      if (exit.signal !== 'SIGKILL') throw new Error(`recorder ended before the kill: ${exit.code} ${exit.stderr}`);
      marked.set(prefix, lastMark(marks));
      expect(lastMark(marks)).toBeGreaterThanOrEqual(1500);
    }
    await server.start();
    const drain = await startSpoolChild(recorder, { BL_URL: server.url, BL_KEY: apiKey, BL_SPOOL: spoolDir, BL_MODE: 'drain' }).exited;
    expect(drain.code, drain.stderr).toBe(0);
    const { report } = JSON.parse(drain.stdout.trim()) as { report: { failed: number; dropped: number; unsent: number } };
    expect(report).toMatchObject({ failed: 0, dropped: 0, unsent: 0 });
    const store = server.store;
    if (store === null) throw new Error('server stopped');
    const stored = summarize(await readStoredEvents(store, await tenantIdOf(store, apiKey)));
    for (const [marker, rows] of stored.byMarker) expect(rows.length, `${marker} stored ${rows.length} times`).toBe(1);
    for (const [prefix, count] of marked) {
      const lost = Array.from({ length: count }, (_, n) => `${prefix}:${n}`).filter((marker) => !stored.byMarker.has(marker));
      expect(lost, `${lost.length} of ${count} recorded by ${prefix} lost`).toEqual([]);
    }
    expect(segments(spoolDir)).toEqual([]);
  }, 240_000);
});

/** The last count a killed child wrote to its marks file: events recorded in turns that had ended. */
function lastMark(path: string): number {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return 0;
  }
  return Number(text.trim().split('\n').at(-1) ?? '0') || 0;
}

