// Steady traffic on a low-latency link (docs/benchmarks.md "Steady traffic: a request per round
// trip"): `perMs` events every millisecond, each recorded in an event-loop turn of its own, for
// `warmup` seconds (not measured) and then `seconds`, against the counting sink on 127.0.0.1, with
// each SDK's default batch settings. Prints the requests the sink saw and the process's CPU per event
// (user, system) over the measured part; `none` only builds the events (the harness's own cost).
// Linux only (reads /proc for the main thread's share).
//   npm run build && node bench/micro/steady-rate.mjs ours 5 8 8      (SDK, events per ms, seconds, warmup seconds)
//   node bench/micro/steady-rate.mjs posthog 5 8      (none | ours | ours-spool | posthog | segment)
//   SETTINGS='{"flushAt":1000}' node bench/micro/steady-rate.mjs posthog 5 8   (batch settings over the defaults)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { clearInterval, setImmediate, setInterval } from 'node:timers';
import { startSink } from '../lib/start-sink.mjs';
import { createSdk, gatewayEvent } from '../lib/sdks.mjs';

const [sdk = 'ours', perMsArg = '5', secondsArg = '4', warmupArg = '8'] = process.argv.slice(2);
const perMs = Number(perMsArg);
const seconds = Number(secondsArg);
const warmup = Number(warmupArg);
const sink = await startSink('ack');
const spoolDir = sdk === 'ours-spool' ? mkdtempSync(join(tmpdir(), 'bearlumen-steady-')) : undefined;
const ring = new Array(1024);
const client =
  sdk === 'none'
    ? { record: (i) => (ring[i & 1023] = gatewayEvent(i)), shutdown: async () => undefined }
    : await createSdk(sdk === 'ours-spool' ? 'ours' : sdk, sink.url, { ...JSON.parse(process.env.SETTINGS ?? '{}'), ...(spoolDir === undefined ? {} : { spoolDir }) }, undefined, 'gateway');

/** CPU ms of this process's main thread so far (utime + stime of the thread whose id is the pid). */
function mainThreadMs() {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

let i = 0;
/** Records `perMs` events every millisecond for `ms`, each in a turn of its own. */
function drive(ms) {
  const end = Date.now() + ms;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (Date.now() >= end) {
        clearInterval(timer);
        resolve();
        return;
      }
      let k = 0;
      const one = () => {
        // A chain still running from the previous millisecond stops at the end too.
        if (Date.now() >= end) return;
        client.record(i++);
        if (++k < perMs) setImmediate(one);
      };
      one();
    }, 1);
  });
}
// The same traffic for `warmup` seconds first, not measured: a short run is dominated by the JIT
// warming up the request path, which a long-running service pays once (docs/benchmarks.md).
await drive(warmup * 1000);
const warmEvents = i;
const warmStats = sdk === 'none' ? { requests: 0, unique: 0 } : await sink.stats();
const cpu0 = process.cpuUsage();
const main0 = mainThreadMs();
await drive(seconds * 1000);
const cpu = process.cpuUsage(cpu0);
const mainMs = mainThreadMs() - main0;
const measured = i - warmEvents;
const endStats = sdk === 'none' ? { requests: 0, unique: 0 } : await sink.stats();
const requests = endStats.requests - warmStats.requests;
const report = await client.shutdown(30_000);
const stats = sdk === 'none' ? { requests: 0, unique: 0 } : await sink.stats();
if (spoolDir !== undefined) rmSync(spoolDir, { recursive: true, force: true });
const per = (us) => (us / measured).toFixed(1);
console.log(
  `${sdk} ${perMs}/ms: measured ${measured} events, ${requests} requests (${(measured / Math.max(1, requests)).toFixed(1)} events each); ${i} in all, ${stats.unique} unique; ` +
    `CPU µs per event: ${per(cpu.user + cpu.system)} (user ${per(cpu.user)}, system ${per(cpu.system)}), main thread ${per(mainMs * 1000)}` +
    (report?.dropped > 0 ? `; dropped ${JSON.stringify(report.droppedByReason)}` : ''),
);
process.exit(0);
