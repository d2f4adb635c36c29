// Figure 7: an awaited record() on an idle client, one call at a time, against our real server (own
// process), with the SDK's default batching. Adaptive sending sends a lone event right after the
// current turn instead of waiting for flushIntervalMs (docs/pipeline.md "Adaptive sending").
// Also times five awaited calls in a row, the pattern of an app that awaits every record().
import { caseArgs, emit } from '../lib/case.mjs';
import { startOurServer } from '../lib/start-server.mjs';
import { createSdk } from '../lib/sdks.mjs';

const { n = 200 } = caseArgs();
const server = await startOurServer();
const client = await createSdk('ours', server.url, {}, server.apiKey);
const ms = () => Number(process.hrtime.bigint()) / 1e6;

await client.record(0); // warm up: the connection and the server's first-request work
const latencies = [];
for (let i = 1; i <= n; i++) {
  const t0 = ms();
  await client.record(i);
  latencies.push(ms() - t0);
}
const t0 = ms();
for (let i = 0; i < 5; i++) await client.record(n + 1 + i);
const fiveInARowMs = ms() - t0;
const report = await client.shutdown(10_000);
await server.close();
latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
emit({ n, medianMs: at(0.5), p90Ms: at(0.9), maxMs: latencies[latencies.length - 1], fiveInARowMs, complete: report.delivered === n + 6 });
