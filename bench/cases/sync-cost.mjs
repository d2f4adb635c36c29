// Figure 1: synchronous cost of record() / capture() / track() in ns per call, over N calls in one
// synchronous loop (event built inside the call), plus the cost counting the deferred work those
// calls queue in the same tick (measured up to the next setImmediate).
import { caseArgs, emit, nowNs } from '../lib/case.mjs';
import { startSink } from '../lib/start-sink.mjs';
import { createSdk, settingsFor } from '../lib/sdks.mjs';
import { setImmediate as tick } from 'node:timers/promises';

const { sdk, config = 'tuned', n = 200_000 } = caseArgs();
const sink = await startSink('ack');
const batching = settingsFor(sdk, config, n);
const client = await createSdk(sdk, sink.url, batching);

const t0 = nowNs();
for (let i = 0; i < n; i++) client.record(i);
const t1 = nowNs();
await tick();
const t2 = nowNs();

const stats = client.stats?.();
emit({
  sdk,
  config,
  n,
  settings: batching,
  syncNsPerCall: (t1 - t0) / n,
  withDeferredNsPerCall: (t2 - t0) / n,
  dropped: stats?.dropped ?? null,
});
