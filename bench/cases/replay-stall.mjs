// Figure (8k): how long the event loop stalls while a client replays what a dead process left in its
// spool directory (docs/benchmarks.md "Replay: the longest stall"). A child process records `n`
// gateway events (turns of 1000) into a fresh spool directory against a refused connection and
// SIGKILLs itself; then this process starts a client on the directory against the counting sink and
// measures, until every replayed event is delivered: the longest gap between two 1 ms interval ticks,
// the event-loop delay histogram (perf_hooks), and the time the replay took.
//   npm run build && node bench/cases/replay-stall.mjs '{"n":100000}'
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import process from 'node:process';
import { clearInterval, setImmediate, setInterval } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { caseArgs, emit } from '../lib/case.mjs';
import { gatewayEvent } from '../lib/sdks.mjs';
import { startSink } from '../lib/start-sink.mjs';

const ENTRY = process.env.BENCH_SDK_ENTRY || fileURLToPath(new URL('../../dist/index.js', import.meta.url));
const { BearLumen } = await import(ENTRY);
const { n = 100_000, mode = 'measure', dir } = caseArgs();
const API_KEY = 'bl_test_bench_replay_stall';

if (mode === 'write') {
  const client = new BearLumen({ apiKey: API_KEY, baseUrl: 'http://127.0.0.1:1', batching: { spoolDir: dir, flushIntervalMs: 600_000, maxBufferedEvents: n + 1000 } });
  let i = 0;
  const turn = () => {
    for (let k = 0; k < 1000 && i < n; k++) void client.usage.record(gatewayEvent(i++));
    // Once the last turn has ended, everything is in the spool: die without draining.
    setImmediate(i < n ? turn : () => process.kill(process.pid, 'SIGKILL'));
  };
  turn();
} else {
  const spoolDir = mkdtempSync(join(tmpdir(), 'bearlumen-replay-stall-'));
  spawnSync(process.execPath, [fileURLToPath(import.meta.url), JSON.stringify({ mode: 'write', n, dir: spoolDir })], { stdio: 'inherit' });
  const segments = readdirSync(spoolDir).filter((f) => f.endsWith('.seg'));
  const spoolBytes = segments.reduce((sum, f) => sum + statSync(join(spoolDir, f)).size, 0);
  const sink = await startSink('ack');
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let last = performance.now();
  let longestGapMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
  }, 1);
  histogram.enable();
  const started = performance.now();
  const client = new BearLumen({ apiKey: API_KEY, baseUrl: sink.url, batching: { spoolDir } });
  while (client.stats().spool?.replaying !== false || client.stats().delivered < n) {
    if (performance.now() - started > 60_000) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  const seconds = (performance.now() - started) / 1000;
  histogram.disable();
  clearInterval(ticker);
  const report = await client.shutdown();
  const { unique, duplicates } = await sink.stats();
  rmSync(spoolDir, { recursive: true, force: true });
  emit({
    n,
    segments: segments.length,
    spoolBytes,
    seconds,
    longestGapMs,
    delayP99Ms: histogram.percentile(99) / 1e6,
    delayMaxMs: histogram.max / 1e6,
    replayed: report.replayed,
    unique,
    duplicates,
    complete: unique === n && report.replayed === n,
  });
}
