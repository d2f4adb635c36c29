// Figure 3: bytes per buffered event (heap + external, after full GCs) with N events held
// unacknowledged: the sink accepts requests and never answers, flush timers are an hour away.
// Run with --expose-gc. Deferred work is allowed to run before measuring, so nothing is hidden
// in a not-yet-run closure.
import { caseArgs, emit, memoryAfterGc, settle } from '../lib/case.mjs';
import { startSink } from '../lib/start-sink.mjs';
import { createSdk, holdSettingsFor } from '../lib/sdks.mjs';
import { setTimeout as delay } from 'node:timers/promises';

const { sdk, n = 100_000, warmup = 1000 } = caseArgs();
const sink = await startSink('hold');
const batching = holdSettingsFor(sdk, n + warmup);
const client = await createSdk(sdk, sink.url, batching);

// Warm up (lazy pools, JIT, first batch) so the baseline holds the client's fixed cost.
for (let i = 0; i < warmup; i++) client.record(i);
await settle();
await delay(100);
const before = memoryAfterGc();
for (let i = warmup; i < warmup + n; i++) client.record(i);
await settle();
await delay(200);
await settle();
const after = memoryAfterGc();
const stats = client.stats?.();
emit({
  sdk,
  n,
  settings: batching,
  bytesPerEvent: (after.total - before.total) / n,
  heapPerEvent: (after.heapUsed - before.heapUsed) / n,
  externalPerEvent: (after.external - before.external) / n,
  sinkRequests: (await sink.stats()).requests,
  buffered: stats?.buffered ?? null,
  inFlight: stats?.inFlight ?? null,
  dropped: stats?.dropped ?? null,
});
