// Figure 4: time to flush N buffered events at shutdown. The N calls run in one synchronous loop
// with flush timers an hour away, so (where the SDK allows it) everything is still buffered when
// shutdown starts; the figure is the time shutdown takes, checked complete at the sink.
import { caseArgs, emit } from '../lib/case.mjs';
import { startSink, waitForEvents } from '../lib/start-sink.mjs';
import { createSdk, holdSettingsFor, settingsFor } from '../lib/sdks.mjs';

const { sdk, config = 'tuned', n = 100_000, timeoutMs = 60_000 } = caseArgs();
const sink = await startSink('ack');
const batching = config === 'tuned' ? holdSettingsFor(sdk, n) : settingsFor(sdk, 'default', n);
const client = await createSdk(sdk, sink.url, batching);

const t0 = Date.now();
for (let i = 0; i < n; i++) client.record(i);
const t1 = Date.now();
const report = await client.shutdown(timeoutMs);
const t2 = Date.now();
const stats = await waitForEvents(sink, n, 2000);
const end = Math.max(t2, stats.lastAt);
emit({
  sdk,
  config,
  n,
  settings: batching,
  recordSeconds: (t1 - t0) / 1000,
  shutdownSeconds: (end - t1) / 1000,
  unique: stats.unique,
  duplicates: stats.duplicates,
  complete: stats.unique === n && stats.duplicates === 0,
  requests: stats.requests,
  report: report ? { ...report, unsent: report.unsent?.length ?? 0 } : null,
});
