// How long the event loop stalls while a client replays what a dead process left in its spool
// directory (docs/benchmarks.md "Replay: the longest stall"). A child process records N gateway
// events (turns of 1000) into a fresh spool directory against a refused connection and SIGKILLs
// itself; then this process starts a client on the directory against the counting sink and measures,
// until every replayed event is delivered: the longest gap between two 1 ms interval ticks, the event
// loop delay histogram (perf_hooks), and the time the replay took.
//   npm run build && node bench/micro/replay-stall.mjs 100000
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import process from 'node:process';
import { setImmediate, setInterval, clearInterval } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { gatewayEvent } from '../lib/sdks.mjs';
import { startSink } from '../lib/start-sink.mjs';

const ENTRY = process.env.BENCH_SDK_ENTRY || fileURLToPath(new URL('../../dist/index.js', import.meta.url));
const { BearLumen } = await import(ENTRY);
const [mode, countArg = '100000', dir] = process.argv[2] === 'write' ? process.argv.slice(2) : ['measure', process.argv[2] ?? '100000'];
const count = Number(countArg);

if (mode === 'write') {
  const client = new BearLumen({ apiKey: 'bl_test_bench_replay_stall', baseUrl: 'http://127.0.0.1:1', batching: { spoolDir: dir, flushIntervalMs: 600_000, maxBufferedEvents: count + 1000 } });
  let i = 0;
  const turn = () => {
    for (let k = 0; k < 1000 && i < count; k++) void client.usage.record(gatewayEvent(i++));
    // Once the last turn has ended, everything is in the spool: die without draining.
    setImmediate(i < count ? turn : () => process.kill(process.pid, 'SIGKILL'));
  };
  turn();
} else {
  const spoolDir = mkdtempSync(join(tmpdir(), 'bearlumen-replay-stall-'));
  spawnSync(process.execPath, [fileURLToPath(import.meta.url), 'write', String(count), spoolDir], { stdio: 'inherit' });
  const segments = readdirSync(spoolDir).filter((f) => f.endsWith('.seg'));
  const bytes = segments.reduce((sum, f) => sum + statSync(join(spoolDir, f)).size, 0);
  const sink = await startSink('ack');
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let last = performance.now();
  let longestGap = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
  }, 1);
  histogram.enable();
  const started = performance.now();
  const client = new BearLumen({ apiKey: 'bl_test_bench_replay_stall', baseUrl: sink.url, batching: { spoolDir } });
  while (client.stats().spool?.replaying !== false || client.stats().delivered < count) {
    if (performance.now() - started > 60_000) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  const seconds = (performance.now() - started) / 1000;
  histogram.disable();
  clearInterval(ticker);
  const report = await client.shutdown();
  const unique = (await sink.stats()).unique;
  rmSync(spoolDir, { recursive: true, force: true });
  const ms = (ns) => (ns / 1e6).toFixed(1);
  console.log(
    `${count} events in ${segments.length} segments (${(bytes / 1048576).toFixed(1)} MiB) replayed in ${seconds.toFixed(2)} s; ` +
      `longest gap between 1 ms ticks ${longestGap.toFixed(1)} ms; event-loop delay p50 ${ms(histogram.percentile(50))} p99 ${ms(histogram.percentile(99))} max ${ms(histogram.max)} ms; ` +
      `replayed ${report.replayed}, delivered ${report.delivered}, sink unique ${unique}`,
  );
  process.exit(0);
}
