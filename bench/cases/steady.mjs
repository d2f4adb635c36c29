// Figure (9), steady traffic (docs/benchmarks.md "Steady traffic: the linger"): `perMs` events every
// millisecond, each recorded in an event-loop turn of its own, first for `warmup` seconds (not
// measured: a cold run is mostly the JIT warming up the request path), then for `seconds`, against the
// counting sink on 127.0.0.1 with the SDK's default settings plus `settings`. Reports the process's
// CPU per event over the measured part (all threads, and the main thread alone: Linux /proc), the
// requests the sink saw meanwhile, and completeness after shutdown. `sdk: 'none'` only builds the
// events (the harness's own cost); `spool: true` turns our spool on (a temp directory).
//   node bench/cases/steady.mjs '{"sdk":"ours","perMs":5,"seconds":8,"warmup":8,"settings":{"lingerMs":0}}'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { clearInterval, setImmediate, setInterval } from 'node:timers';
import { caseArgs, emit } from '../lib/case.mjs';
import { startSink } from '../lib/start-sink.mjs';
import { createSdk, gatewayEvent } from '../lib/sdks.mjs';

const { sdk = 'ours', perMs = 5, seconds = 8, warmup = 8, settings = {}, spool = false } = caseArgs();
const sink = await startSink('ack');
const spoolDir = spool ? mkdtempSync(join(tmpdir(), 'bearlumen-steady-')) : undefined;
const ring = new Array(1024);
const client =
  sdk === 'none'
    ? { record: (i) => (ring[i & 1023] = gatewayEvent(i)), shutdown: async () => undefined }
    : await createSdk(sdk, sink.url, { ...settings, ...(spoolDir === undefined ? {} : { spoolDir }) }, undefined, 'gateway');

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

const sinkStats = async () => (sdk === 'none' ? { requests: 0, unique: 0, duplicates: 0 } : sink.stats());
await drive(warmup * 1000);
const warmEvents = i;
const warmRequests = (await sinkStats()).requests;
const cpu0 = process.cpuUsage();
const main0 = mainThreadMs();
await drive(seconds * 1000);
const cpu = process.cpuUsage(cpu0);
const mainMs = mainThreadMs() - main0;
const measured = i - warmEvents;
const requests = (await sinkStats()).requests - warmRequests;
const report = await client.shutdown(30_000);
const end = await sinkStats();
if (spoolDir !== undefined) rmSync(spoolDir, { recursive: true, force: true });
emit({
  sdk,
  perMs,
  seconds,
  warmup,
  settings,
  spool,
  measuredEvents: measured,
  requests,
  eventsPerRequest: measured / Math.max(1, requests),
  cpuUsPerEvent: (cpu.user + cpu.system) / measured,
  userUsPerEvent: cpu.user / measured,
  systemUsPerEvent: cpu.system / measured,
  mainThreadUsPerEvent: (mainMs * 1000) / measured,
  recorded: i,
  unique: end.unique,
  duplicates: end.duplicates,
  complete: sdk === 'none' || end.unique === i,
  dropped: report?.dropped ?? null,
});
