// Figure 2: end-to-end delivered events/s for N events, from the first call to the end of the final
// flush/shutdown, into the counting sink (its own process). The producer yields to the event loop
// every `yieldEvery` calls, like an app serving requests. The sink proves completeness.
import { caseArgs, emit } from '../lib/case.mjs';
import { startSink, waitForEvents } from '../lib/start-sink.mjs';
import { createSdk, settingsFor } from '../lib/sdks.mjs';
import { setImmediate as tick } from 'node:timers/promises';

const { sdk, config = 'tuned', n = 200_000, yieldEvery = 1000, timeoutMs = 60_000 } = caseArgs();
const sink = await startSink('ack');
const batching = settingsFor(sdk, config, n);
const client = await createSdk(sdk, sink.url, batching);

const t0 = Date.now();
for (let i = 0; i < n; i++) {
  client.record(i);
  if ((i + 1) % yieldEvery === 0) await tick();
}
const produced = Date.now();
const report = await client.shutdown(timeoutMs);
const t1 = Date.now();
// Some SDKs resolve shutdown before the sink has counted the last batch: wait briefly, time it by the sink.
const stats = await waitForEvents(sink, n, 2000);
const end = Math.max(t1, stats.lastAt);
const seconds = (end - t0) / 1000;
emit({
  sdk,
  config,
  n,
  settings: batching,
  seconds,
  produceSeconds: (produced - t0) / 1000,
  eventsPerSec: stats.unique / seconds,
  unique: stats.unique,
  duplicates: stats.duplicates,
  missingKey: stats.missingKey,
  complete: stats.unique === n && stats.duplicates === 0,
  requests: stats.requests,
  gzipRequests: stats.gzipRequests,
  wireBytesPerEvent: stats.wireBytes / Math.max(1, stats.events),
  report: report ? { ...report, unsent: report.unsent?.length ?? 0 } : null,
});
