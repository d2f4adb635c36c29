/**
 * Heap use across a long outage (a figure for the report, not a test): the server is unreachable while a
 * producer records; the client must hold at most `maxBufferedEvents`, stop growing once full (refusals
 * cost nothing), not grow while its batches retry for a long stretch, and give the memory back once the
 * server returns and everything is delivered.
 *
 *   node --expose-gc --import tsx test/fault/scripts/outage-heap.ts [events=100000] [outageSeconds=20]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { BearLumen } from '../../../src/index';
import { createApiKey, createServer, SqliteStore } from '../../../src/server/index';

const EVENTS = Number(process.argv[2] ?? 100_000);
const OUTAGE_S = Number(process.argv[3] ?? 20);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const heapMiB = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};
const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });

const dir = mkdtempSync(join(tmpdir(), 'bearlumen-heap-'));
const store = SqliteStore.open(join(dir, 'heap.db'));
const apiKey = await createApiKey(store, 'heap');
const port = await freePort();
const client = new BearLumen({
  apiKey,
  baseUrl: `http://127.0.0.1:${port}`,
  handleExit: false,
  logger: pino({ level: 'silent' }),
  batching: { maxBufferedEvents: EVENTS, maxRetryDurationMs: 3_600_000, retryMaxMs: 2000 },
});
const event = (i: number) => ({
  eventType: 'token_usage',
  metricName: 'llm_tokens_input',
  quantity: 1000 + (i % 500),
  agent_id: `agent-${i % 20}`,
  metadata: { model: 'gpt-4o-mini', provider: 'openai', request_id: `r-${i}` },
});

const figures: Record<string, number | string> = { events: EVENTS, outageSeconds: OUTAGE_S };
const start = heapMiB();
let peakHeld = 0;
const pending: Promise<unknown>[] = [];
for (let i = 0; i < EVENTS; i++) {
  const p = client.usage.record(event(i));
  p.catch(() => undefined);
  pending.push(p);
  if (i % 1000 === 999) {
    const s = client.stats();
    peakHeld = Math.max(peakHeld, s.buffered + s.inFlight);
    await sleep(0);
  }
}
const full = heapMiB();
figures['heapStartMiB'] = start.toFixed(1);
figures['heapFullMiB'] = full.toFixed(1);
figures['bytesPerBufferedEvent'] = Math.round(((full - start) * 1024 * 1024) / EVENTS);

// Keep recording while full: every record() is refused and counted, the heap must not grow.
let refused = 0;
for (let i = 0; i < EVENTS; i++) {
  await client.usage.record(event(i)).catch(() => (refused += 1));
}
const afterRefusals = heapMiB();
figures['refusedWhileFull'] = refused;
figures['heapGrowthFromRefusalsMiB'] = (afterRefusals - full).toFixed(2);

// The long outage: batches keep retrying behind the shared backoff.
await sleep(OUTAGE_S * 1000);
const afterOutage = heapMiB();
const during = client.stats();
peakHeld = Math.max(peakHeld, during.buffered + during.inFlight);
figures['heapGrowthDuringOutageMiB'] = (afterOutage - afterRefusals).toFixed(2);
figures['retriesDuringOutage'] = during.retries;
figures['peakHeld'] = peakHeld;
figures['maxBufferedEvents'] = EVENTS;

// Recovery: the server comes up on that port; everything held is delivered.
const app = await createServer({ store, prices: '' });
await app.listen({ host: '127.0.0.1', port });
const recoveredAt = Date.now();
await client.flush();
figures['drainSeconds'] = ((Date.now() - recoveredAt) / 1000).toFixed(1);
const report = await client.shutdown();
pending.length = 0;
figures['delivered'] = report.delivered;
figures['dropped'] = JSON.stringify(report.droppedByReason);
figures['heapAfterRecoveryMiB'] = heapMiB().toFixed(1);
await app.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
