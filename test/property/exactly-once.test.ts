/**
 * Exactly-once delivery as a property (fast-check): random workloads (event counts and sizes,
 * explicit duplicate keys, keys reused with other quantities, mixed record / recordBatch / flush
 * calls, random batching options) × random fault schedules at the chaos proxy. After `shutdown()`:
 * - the server holds every recorded event exactly once (by key, by marker, and by summed quantity);
 * - every `record()` promise resolved if and only if its event is stored (with the stored event's id);
 * - every event not stored is accounted for in the shutdown report (`failed`: the server refused it
 *   because its key was already used for another quantity), nothing is dropped or left unsent.
 *
 * One server and one proxy per run (SQLite, then PostgreSQL when a database URL is set); every
 * schedule gets its own tenant. Seeded and reproducible:
 * fast-check prints the seed and path of a failing schedule; replay it with
 * BEARLUMEN_PROPERTY_SEED=<seed> [BEARLUMEN_PROPERTY_PATH=<path>]. BEARLUMEN_PROPERTY_RUNS sets the
 * number of schedules (default 200).
 */
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BearLumen,
  BearLumenApiError,
  BearLumenConnectionError,
  BearLumenError,
  type BatchingOptions,
  type UsageBatchResponse,
  type UsageRecordInput,
  type UsageRecordResponse,
} from '@bearlumen/node-sdk';
import { createApiKey, createServer, createStore, type Store } from '@bearlumen/node-sdk/server';
import { ROUTES } from '../../src/protocol/routes';
import { startChaosProxy, type ChaosAction, type ChaosProxy } from '../helpers/chaos-proxy';
import { createTestSchema, hasPostgres } from '../helpers/postgres-database';
import { startServer } from '../helpers/start-server';
import { readStoredEvents, summarize, tenantIdOf } from '../helpers/stored-events';

const RUNS = Number(process.env['BEARLUMEN_PROPERTY_RUNS'] ?? 200);
// Chosen here (not by fast-check) so the figures line can print it for passing runs too.
const SEED = Number(process.env['BEARLUMEN_PROPERTY_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const PATH = process.env['BEARLUMEN_PROPERTY_PATH'];
/** Schedules on PostgreSQL (when a database URL is set): fewer, its ingest path is what differs. */
const PG_RUNS = Number(process.env['BEARLUMEN_PROPERTY_PG_RUNS'] ?? 60);
/** Per-attempt client timeout; stalls are set just past it, so each costs little. */
const TIMEOUT_MS = 120;

type Op =
  | { op: 'record'; quantity: number; key: number | null; pad: number; tokens: boolean }
  | { op: 'recordBatch'; quantities: number[] }
  | { op: 'replayBatch'; which: number }
  | { op: 'flush' }
  | { op: 'pause'; ms: number };

const recordOp = fc
  .record({
    quantity: fc.integer({ min: 0, max: 1000 }),
    // A few explicit keys per schedule, so duplicates (same quantity) and reuses (another quantity) happen.
    key: fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 3 }) }),
    reuse: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    pad: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 6000 }) }),
    tokens: fc.boolean(),
  })
  .map(({ quantity, key, reuse, pad, tokens }): Op => ({
    op: 'record',
    // A keyed event repeats its key's billable fields (a duplicate) unless it is a reuse with another quantity.
    quantity: key === null || reuse ? quantity : 10 * key + 1,
    key,
    pad,
    tokens: key === null || reuse ? tokens : false,
  }));

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 12, arbitrary: recordOp },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('recordBatch' as const), quantities: fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('replayBatch' as const), which: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ op: 'flush' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 8 }) }) },
);

const faultArb: fc.Arbitrary<ChaosAction> = fc.oneof(
  fc.constantFrom<ChaosAction>(
    { kind: 'status', status: 500 },
    { kind: 'status', status: 502 },
    { kind: 'status', status: 503 },
    { kind: 'status', status: 504 },
    { kind: 'status', status: 429, headers: { 'retry-after': '0' } },
    { kind: 'status', status: 429, headers: { 'retry-after-ms': '3' } },
    { kind: 'status', status: 503, headers: { 'retry-after': new Date(0).toUTCString() } },
    { kind: 'reset-before' },
    { kind: 'reset-after' },
    { kind: 'forward-then-status', status: 502 },
    { kind: 'forward-then-status', status: 200, contentType: 'text/html', body: '<html>proxy page</html>' },
    { kind: 'forward-then-status', status: 200, body: '{"ok":true}' },
    { kind: 'forward' },
  ),
  fc.record({ kind: fc.constant('stall' as const), ms: fc.constant(TIMEOUT_MS + 30), thenForward: fc.boolean() }),
  fc.constant<ChaosAction>({ kind: 'slow-body', ms: TIMEOUT_MS + 30 }),
);

const batchingArb: fc.Arbitrary<BatchingOptions> = fc.record({
  maxBatchSize: fc.integer({ min: 1, max: 40 }),
  maxBatchBytes: fc.oneof(fc.constant(4 * 1024 * 1024), fc.integer({ min: 1024, max: 32 * 1024 })),
  concurrency: fc.integer({ min: 1, max: 4 }),
  flushIntervalMs: fc.integer({ min: 1, max: 10 }),
});

const scheduleArb = fc.record({
  ops: fc.array(opArb, { minLength: 1, maxLength: 80, size: 'medium' }),
  faults: fc.array(faultArb, { maxLength: 8 }),
  batching: batchingArb,
});

type Schedule = typeof scheduleArb extends fc.Arbitrary<infer T> ? T : never;

/** The server under test: the in-process SQLite one, or the same app on a PostgreSQL schema. */
interface Target {
  url: string;
  store: Store;
  createKey(tenant: string): Promise<string>;
  close(): Promise<void>;
}

let server: Target;
let proxy: ChaosProxy;
let scheduleNo = 0;
const figures = { schedules: 0, events: 0, stored: 0, duplicates: 0, refused: 0, faults: 0, requests: 0, lost: 0, doubleCounted: 0 };

async function startPostgresTarget(): Promise<Target> {
  const schema = await createTestSchema('exactly_once');
  const store = await createStore({ databaseUrl: schema.url, poolSize: 4 });
  const app = await createServer({ store, prices: '' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    store,
    createKey: (tenant) => createApiKey(store, tenant),
    async close() {
      await app.close();
      await schema.drop();
    },
  };
}

afterAll(() => {
  // One line for the report: what the property exercised.
  // lost and doubleCounted are measured in every schedule run (failing ones and shrinking included).
  process.stdout.write(`exactly-once property: ${JSON.stringify({ seed: SEED, ...figures })}\n`);
});

// An unreadable 2xx (invalid_response) leaves the outcome unknown too: resend the same keys.
const isRetryable = (error: unknown): boolean =>
  error instanceof BearLumenConnectionError ||
  (error instanceof BearLumenError && error.code === 'invalid_response') ||
  (error instanceof BearLumenApiError && (error.status === 429 || error.status >= 500));

/** What a careful caller does with recordBatch: retry a failed call with the same events (same keys). */
async function recordBatchUntilAnswered(client: BearLumen, events: UsageRecordInput[]): Promise<UsageBatchResponse> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.usage.recordBatch(events, { maxRetries: 0 });
    } catch (error) {
      if (attempt >= 40 || !isRetryable(error)) throw error;
    }
  }
}

interface PipelineEvent {
  marker: string;
  key: string | null;
  quantity: number;
  metricName: string;
  outcome: Promise<PromiseSettledResult<UsageRecordResponse>>;
  settled: boolean;
}

async function runSchedule({ ops, faults, batching }: Schedule): Promise<void> {
  scheduleNo += 1;
  const tag = `p${scheduleNo}`;
  const apiKey = await server.createKey(`property-${tag}`);
  proxy.reset();
  proxy.enqueue(faults, ROUTES.usageBatch);
  const client = new BearLumen({
    apiKey,
    baseUrl: proxy.url,
    timeout: TIMEOUT_MS,
    handleExit: false,
    logger: pino({ level: 'silent' }),
    batching: { ...batching, retryBaseMs: 1, retryMaxMs: 20, maxRetryDurationMs: 60_000, shutdownTimeoutMs: 60_000 },
  });

  const pipelineEvents: PipelineEvent[] = [];
  const batchCalls: { events: UsageRecordInput[]; result: Promise<UsageBatchResponse> }[] = [];
  for (const [index, op] of ops.entries()) {
    if (op.op === 'record') {
      const marker = `${tag}-${index}`;
      const key = op.key === null ? null : `${tag}-k${op.key}`;
      const metricName = op.tokens ? 'llm_tokens_input' : 'requests';
      const input: UsageRecordInput = {
        eventType: 'property',
        metricName,
        quantity: op.quantity,
        metadata: op.pad === 0 ? { n: marker } : { n: marker, pad: 'x'.repeat(op.pad) },
        ...(key === null ? {} : { idempotencyKey: key }),
      };
      const event: PipelineEvent = { marker, key, quantity: op.quantity, metricName, outcome: Promise.allSettled([client.usage.record(input)]).then(([r]) => r as PromiseSettledResult<UsageRecordResponse>), settled: false };
      void event.outcome.then(() => {
        event.settled = true;
      });
      pipelineEvents.push(event);
    } else if (op.op === 'recordBatch' || op.op === 'replayBatch') {
      const original = op.op === 'replayBatch' ? batchCalls[op.which % Math.max(1, batchCalls.length)] : undefined;
      if (op.op === 'replayBatch' && original === undefined) continue;
      const events =
        original?.events ??
        (op.op === 'recordBatch'
          ? op.quantities.map((quantity, j) => ({ eventType: 'property', metricName: 'requests', quantity, idempotencyKey: `${tag}-b${index}-${j}`, metadata: { n: `${tag}-b${index}-${j}` } }))
          : []);
      const result = recordBatchUntilAnswered(client, events);
      result.catch(() => undefined);
      batchCalls.push({ events, result });
    } else if (op.op === 'flush') {
      await client.flush();
      // flush() resolves once every event recorded before it is settled (setImmediate: after our own reactions).
      await new Promise((resolve) => setImmediate(resolve));
      expect(pipelineEvents.filter((e) => !e.settled).map((e) => e.marker), 'unsettled after flush()').toEqual([]);
      expect(client.stats()).toMatchObject({ buffered: 0, inFlight: 0 });
    } else {
      await new Promise((resolve) => setTimeout(resolve, op.ms));
    }
  }
  const batchResults = await Promise.all(batchCalls.map((call) => call.result));
  const report = await client.shutdown();
  const outcomes = await Promise.all(pipelineEvents.map((e) => e.outcome));
  const stored = summarize(await readStoredEvents(server.store, await tenantIdOf(server.store, apiKey)));
  // Measured before any assertion, so the summary line reports them even for a failing schedule:
  // every unkeyed event, explicit key and batch key must have exactly one row.
  const rowCounts = [
    ...pipelineEvents.filter((e) => e.key === null).map((e) => stored.byMarker.get(e.marker)?.length ?? 0),
    ...[...new Set(pipelineEvents.flatMap((e) => (e.key === null ? [] : [e.key])))].map((key) => stored.byKey.get(key)?.length ?? 0),
    ...[...new Set(batchCalls.flatMap((call) => call.events.map((e) => e.idempotencyKey as string)))].map((key) => stored.byKey.get(key)?.length ?? 0),
  ];
  figures.lost += rowCounts.filter((n) => n === 0).length;
  figures.doubleCounted += rowCounts.reduce((sum, n) => sum + Math.max(0, n - 1), 0);

  // Nothing given up on: the fault schedule is finite and the retry budget outlasts it.
  expect(report.dropped).toBe(0);
  expect(report.unsent).toEqual([]);
  const resolved = outcomes.filter((o) => o.status === 'fulfilled');
  const rejected = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
  expect(report.delivered + report.duplicates).toBe(resolved.length);
  expect(report.failed).toBe(rejected.length);
  // The only refusal in these workloads: an explicit key already used for other billable fields.
  for (const reason of rejected) expect((reason as BearLumenApiError).code).toBe('idempotency_key_reused');

  let expectedRows = 0;
  let expectedSum = 0;
  // Events without an explicit key: stored exactly once each, under the id their promise got.
  pipelineEvents.forEach((event, i) => {
    if (event.key !== null) return;
    const outcome = outcomes[i];
    const rows = stored.byMarker.get(event.marker) ?? [];
    expect(outcome?.status, event.marker).toBe('fulfilled');
    expect(rows.length, `rows for ${event.marker}`).toBe(1);
    expect(rows[0]?.quantity).toBe(event.quantity);
    if (outcome?.status === 'fulfilled') expect(outcome.value.eventId).toBe(rows[0]?.eventId);
    expectedRows += 1;
    expectedSum += event.quantity;
  });
  // Explicit keys: one row per key; the events that match it resolved with its id, the others were refused.
  const byKey = new Map<string, number[]>();
  pipelineEvents.forEach((event, i) => {
    if (event.key !== null) byKey.set(event.key, [...(byKey.get(event.key) ?? []), i]);
  });
  for (const [key, indexes] of byKey) {
    const rows = stored.byKey.get(key) ?? [];
    expect(rows.length, `rows with key ${key}`).toBe(1);
    const row = rows[0];
    expectedRows += 1;
    expectedSum += row?.quantity ?? 0;
    const billable = (e: PipelineEvent): string => `${e.metricName}/${e.quantity}`;
    const isReused = new Set(indexes.map((i) => billable(pipelineEvents[i] as PipelineEvent))).size > 1;
    for (const i of indexes) {
      const event = pipelineEvents[i] as PipelineEvent;
      const outcome = outcomes[i];
      const matches = event.quantity === row?.quantity && event.metricName === row.metricName;
      const label = `${event.marker} (key ${key}, quantity ${event.quantity}, stored ${row?.quantity})`;
      if (outcome?.status === 'fulfilled') {
        expect(matches, label).toBe(true);
        expect(outcome.value.eventId).toBe(row?.eventId);
      } else if (!isReused || !matches) {
        // Only duplicates of one event: every one resolves. Another quantity under a stored key: refused.
        expect(outcome?.status, label).toBe(matches ? 'fulfilled' : 'rejected');
      }
      // Known limitation (docs/testing.md): a key reused with other fields in flight at the same time can
      // refuse an event that matches the row finally stored: the batch that refused it was judged against
      // a sibling that was rolled back. It is reported as failed, never stored twice.
    }
    expect(indexes.some((i) => outcomes[i]?.status === 'fulfilled') || !isReused, `some event of ${key} resolved`).toBe(true);
  }
  // recordBatch calls (and their replays): each key stored once, with the quantity sent.
  const batchKeys = new Map<string, number>();
  batchCalls.forEach((call, c) => {
    const result = batchResults[c] as UsageBatchResponse;
    expect(result.results).toHaveLength(call.events.length);
    call.events.forEach((event, j) => {
      const key = event.idempotencyKey as string;
      const rows = stored.byKey.get(key) ?? [];
      expect(rows.length, `rows with batch key ${key}`).toBe(1);
      expect(rows[0]?.quantity).toBe(event.quantity);
      expect(result.results[j]?.eventId).toBe(rows[0]?.eventId);
      batchKeys.set(key, event.quantity);
    });
  });
  expectedRows += batchKeys.size;
  for (const quantity of batchKeys.values()) expectedSum += quantity;

  expect(stored.rows).toBe(expectedRows);
  expect(stored.quantitySum).toBe(expectedSum);

  figures.schedules += 1;
  figures.events += pipelineEvents.length + batchCalls.reduce((n, call) => n + call.events.length, 0);
  figures.stored += stored.rows;
  figures.duplicates += report.duplicates;
  figures.refused += report.failed;
  figures.faults += faults.length - proxy.pending();
  figures.requests += proxy.log.length;
}

function runProperty(runs: number): Promise<void> {
  return fc.assert(fc.asyncProperty(scheduleArb, runSchedule), {
    numRuns: runs,
    seed: SEED,
    ...(PATH === undefined ? {} : { path: PATH }),
    // Shrinking replays schedules against the same server; bound it so a failure still reports quickly.
    interruptAfterTimeLimit: 150_000,
    markInterruptAsFailure: true,
  });
}

describe('property: exactly once under faults (SQLite)', () => {
  beforeAll(async () => {
    server = await startServer();
    proxy = await startChaosProxy(server.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.close();
  });

  it(`every recorded event is stored exactly once, or refused and reported (${RUNS} schedules)`, async () => {
    const before = figures.schedules;
    await runProperty(RUNS);
    expect(figures.schedules - before).toBeGreaterThanOrEqual(RUNS);
  });
});

/** The PostgreSQL store has its own ingest path (INSERT … ON CONFLICT DO NOTHING): the same property there. */
describe.skipIf(!hasPostgres())('property: exactly once under faults (PostgreSQL)', () => {
  beforeAll(async () => {
    server = await startPostgresTarget();
    proxy = await startChaosProxy(server.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.close();
  });

  it(`every recorded event is stored exactly once, or refused and reported (${PG_RUNS} schedules)`, async () => {
    const before = figures.schedules;
    await runProperty(PG_RUNS);
    expect(figures.schedules - before).toBeGreaterThanOrEqual(PG_RUNS);
  });
});
