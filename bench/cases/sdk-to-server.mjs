// Figure 6: our SDK end to end against our real server (SQLite, own process): N record() calls in
// one synchronous burst, then shutdown. Completeness from the SDK's report and the server's summary.
import { caseArgs, emit } from '../lib/case.mjs';
import { startOurServer } from '../lib/start-server.mjs';
import { createSdk, settingsFor } from '../lib/sdks.mjs';

const { n = 200_000, config = 'tuned', yieldEvery = 0, timeoutMs = 90_000 } = caseArgs();
const server = await startOurServer();
const batching = settingsFor('ours', config, n);
const client = await createSdk('ours', server.url, batching, server.apiKey);
const { setImmediate: tick } = await import('node:timers/promises');

const t0 = Date.now();
for (let i = 0; i < n; i++) {
  client.record(i);
  if (yieldEvery > 0 && (i + 1) % yieldEvery === 0) await tick();
}
const report = await client.shutdown(timeoutMs);
const seconds = (Date.now() - t0) / 1000;
const stored = await server.totalEvents();
await server.close();
emit({
  n,
  config,
  yieldEvery,
  settings: batching,
  seconds,
  eventsPerSec: report.delivered / seconds,
  stored,
  complete: report.delivered === n && stored === n && report.duplicates === 0,
  report: { ...report, unsent: report.unsent.length },
  batchFill: client.batchFill?.() ?? null,
});
