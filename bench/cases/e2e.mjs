// Figures 1 and 2 from one run: N calls of record() / capture() / track(), then shutdown, into the
// counting sink (its own process), which proves completeness (all N arrived, none twice).
//   yieldEvery = 0  (burst): one synchronous loop of N calls. Figure 1 is the loop's time per call
//                   (event built inside the call); 1b adds the deferred work those calls queued,
//                   up to the next setImmediate. Figure 2 is N / (first call → shutdown done).
//   yieldEvery = k  (paced): the producer yields to the event loop every k calls, like an app
//                   serving requests, so the SDK can send while events are produced.
// `settings` (optional) overrides the batch settings, for tuning sweeps.
// `spool` (ours): 'off' | 'on' | 'sync' runs with `batching.spoolDir` in a fresh temp directory
// (`spoolSync: true` for 'sync'); `event`: 'bench' | 'gateway' (see bench/lib/sdks.mjs).
import { caseArgs, emit, nowNs } from '../lib/case.mjs';
import { startSink, waitForEvents } from '../lib/start-sink.mjs';
import { createSdk, settingsFor } from '../lib/sdks.mjs';
import { setImmediate as tick } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { sdk, config = 'tuned', n = 200_000, yieldEvery = 0, timeoutMs = 60_000, settings, spool = 'off', event = 'bench' } = caseArgs();
const sink = await startSink('ack');
const spoolDir = spool === 'off' ? undefined : mkdtempSync(join(tmpdir(), 'bearlumen-bench-spool-'));
const spoolSettings = spoolDir === undefined ? {} : { spoolDir, spoolSync: spool === 'sync' };
const batching = { ...settingsFor(sdk, config, n), ...settings, ...spoolSettings };
const client = await createSdk(sdk, sink.url, batching, undefined, event);

const start = Date.now();
const c0 = process.cpuUsage();
const t0 = nowNs();
if (yieldEvery > 0) {
  for (let i = 0; i < n; i++) {
    client.record(i);
    if ((i + 1) % yieldEvery === 0) await tick();
  }
} else {
  for (let i = 0; i < n; i++) client.record(i);
}
const t1 = nowNs();
const cpu = process.cpuUsage(c0);
await tick();
const t2 = nowNs();
const cpuDeferred = process.cpuUsage(c0);
const statsBefore = client.stats?.();
const report = await client.shutdown(timeoutMs);
const t3 = Date.now();
const cpuTotal = process.cpuUsage(c0);
// Some SDKs resolve shutdown before the sink has counted the last batch: wait briefly, time it by the sink.
const stats = await waitForEvents(sink, n, 2000);
const spoolStats = statsBefore?.spool ?? null;
if (spoolDir !== undefined) rmSync(spoolDir, { recursive: true, force: true });
const seconds = (Math.max(t3, stats.lastAt) - start) / 1000;
emit({
  sdk,
  config,
  n,
  yieldEvery,
  spool,
  event,
  spoolBytesAtEnd: spoolStats?.bytes ?? null,
  spilled: spoolStats?.spilled ?? null,
  settings: batching,
  syncNsPerCall: yieldEvery > 0 ? null : (t1 - t0) / n,
  withDeferredNsPerCall: yieldEvery > 0 ? null : (t2 - t0) / n,
  // CPU time of the loop (all threads, incl. GC helpers): less sensitive than wall time to a busy machine.
  cpuNsPerCall: yieldEvery > 0 ? null : ((cpu.user + cpu.system) * 1000) / n,
  withDeferredCpuNsPerCall: yieldEvery > 0 ? null : ((cpuDeferred.user + cpuDeferred.system) * 1000) / n,
  // Everything this process spent from the first call to shutdown resolved (encoding, gzip, HTTP, the spool), per event.
  totalCpuNsPerEvent: ((cpuTotal.user + cpuTotal.system) * 1000) / n,
  produceSeconds: (t1 - t0) / 1e9,
  seconds,
  eventsPerSec: stats.unique / seconds,
  unique: stats.unique,
  duplicates: stats.duplicates,
  missingKey: stats.missingKey,
  complete: stats.unique === n && stats.duplicates === 0,
  requests: stats.requests,
  gzipRequests: stats.gzipRequests,
  wireBytesPerEvent: stats.wireBytes / Math.max(1, stats.events),
  droppedAtRecord: statsBefore?.dropped ?? null,
  batchFill: client.batchFill?.() ?? null,
  report: report ? { ...report, unsent: report.unsent?.length ?? 0 } : null,
});
