// Ceiling B: JSON encoding + undici POSTs of 1000-event batches (keep-alive Pool, `concurrency`
// requests in flight) to the counting sink in its own process — no SDK, just the physical path.
// Events are built inside the timed section, as an SDK must.
import { caseArgs, emit } from '../lib/case.mjs';
import { startSink, waitForEvents } from '../lib/start-sink.mjs';
import { wireEvent } from '../lib/sdks.mjs';
import { Pool } from 'undici';

const { n = 200_000, batchSize = 1000, concurrency = 4 } = caseArgs();
const sink = await startSink('ack');
const pool = new Pool(sink.url, { connections: concurrency, pipelining: 1 });
const ts = new Date().toISOString();
const batches = n / batchSize;
let next = 0;

async function worker() {
  while (next < batches) {
    const b = next++;
    const events = new Array(batchSize);
    for (let j = 0; j < batchSize; j++) events[j] = wireEvent(b * batchSize + j, 'bench-post-', ts);
    const res = await pool.request({
      method: 'POST',
      path: '/v1/usage/events/batch',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    const body = await res.body.json();
    if (res.statusCode !== 200 || body.results.length !== batchSize) throw new Error(`sink answered ${res.statusCode}`);
  }
}

const t0 = Date.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const t1 = Date.now();
const stats = await waitForEvents(sink, n, 2000);
await pool.close();
emit({
  n,
  batchSize,
  concurrency,
  eventsPerSec: stats.unique / ((t1 - t0) / 1000),
  unique: stats.unique,
  duplicates: stats.duplicates,
  complete: stats.unique === n && stats.duplicates === 0,
});
