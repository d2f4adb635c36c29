// For the profiler: only the record path. N calls in one synchronous loop against a sink that never
// answers, flush timers far away, then the process ends (nothing is delivered or waited for).
import { caseArgs, emit, nowNs } from '../lib/case.mjs';
import { startSink } from '../lib/start-sink.mjs';
import { createSdk, holdSettingsFor } from '../lib/sdks.mjs';

const { sdk = 'ours', n = 200_000, event = 'bench' } = caseArgs();
const sink = await startSink('hold');
const batching = holdSettingsFor(sdk, n);
const client = await createSdk(sdk, sink.url, batching, undefined, event);
const c0 = process.cpuUsage();
const t0 = nowNs();
for (let i = 0; i < n; i++) client.record(i);
const t1 = nowNs();
const cpu = process.cpuUsage(c0);
emit({ sdk, n, settings: batching, syncNsPerCall: (t1 - t0) / n, cpuNsPerCall: ((cpu.user + cpu.system) * 1000) / n });
