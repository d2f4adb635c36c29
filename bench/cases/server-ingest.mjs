// Figure 5: our server's ingest rate on SQLite (own process), driven directly with batches of 1000
// by undici (`concurrency` in flight), bodies encoded before the clock starts so the driver stays light.
// Phase 1 posts N new events with time-ordered keys (new events/s); phase 2 replays the very same
// batches (duplicate events/s). Every response is checked: all recorded, then all skipped.
import { caseArgs, emit } from '../lib/case.mjs';
import { startOurServer } from '../lib/start-server.mjs';
import { wireEvent } from '../lib/sdks.mjs';
import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';

const { n = 200_000, batchSize = 1000, concurrency = 4, keys = 'ordered', replay: doReplay = true } = caseArgs();
const server = await startOurServer();
const pool = new Pool(server.url, { connections: concurrency, pipelining: 1 });
const ts = new Date().toISOString();
const prefix = `${Date.now().toString(36)}-bench-`;
const bodies = [];
for (let b = 0; b < n / batchSize; b++) {
  const events = new Array(batchSize);
  for (let j = 0; j < batchSize; j++) {
    events[j] = wireEvent(b * batchSize + j, prefix, ts);
    if (keys === 'uuid') events[j].idempotencyKey = randomUUID();
  }
  bodies.push(JSON.stringify({ events }));
}
const headers = { 'content-type': 'application/json', authorization: `Bearer ${server.apiKey}` };

async function phase(expectRecorded) {
  let next = 0;
  let recorded = 0;
  let skipped = 0;
  async function worker() {
    while (next < bodies.length) {
      const body = bodies[next++];
      const res = await pool.request({ method: 'POST', path: '/v1/usage/events/batch', headers, body });
      const out = await res.body.json();
      if (res.statusCode !== 200) throw new Error(`server answered ${res.statusCode}: ${JSON.stringify(out).slice(0, 300)}`);
      recorded += out.recordedCount;
      skipped += out.skippedCount;
    }
  }
  const cpu0 = await server.cpuMicros();
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const serverCpuNsPerEvent = ((await server.cpuMicros()) - cpu0) * 1000 / n;
  const ok = expectRecorded ? recorded === n && skipped === 0 : skipped === n && recorded === 0;
  return { seconds, recorded, skipped, ok, serverCpuNsPerEvent };
}

const first = await phase(true);
const replay = doReplay ? await phase(false) : { seconds: NaN, recorded: 0, skipped: n, ok: true, serverCpuNsPerEvent: NaN };
const stored = await server.totalEvents();
await pool.close();
await server.close();
emit({
  n,
  batchSize,
  concurrency,
  keys,
  newPerSec: n / first.seconds,
  dupPerSec: n / replay.seconds,
  // Server CPU time per event (all its threads): less sensitive than wall time to a busy machine.
  newCpuNsPerEvent: first.serverCpuNsPerEvent,
  dupCpuNsPerEvent: replay.serverCpuNsPerEvent,
  stored,
  complete: first.ok && replay.ok && stored === n,
  first,
  replay,
});
