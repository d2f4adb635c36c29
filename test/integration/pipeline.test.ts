import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BearLumen,
  BearLumenBufferFullError,
  BearLumenClosedError,
  BearLumenInvalidRequestError,
  BearLumenPayloadTooLargeError,
  type BatchingOptions,
  type PipelineEventMap,
  type UsageRecordInput,
} from '@bearlumen/node-sdk';
import { startServer, type StartedServer } from '../helpers/start-server';
import { startPipelineProxy, type PipelineProxy } from './pipeline-proxy';

let server: StartedServer;
const clients: BearLumen[] = [];
const proxies: PipelineProxy[] = [];
let run = 0;

/** Each test tags its events with its own agent_id, so server totals are per test. */
function tagged(agent: string) {
  return (quantity: number, extra: Partial<UsageRecordInput> = {}): UsageRecordInput => ({
    eventType: 'token_usage',
    metricName: 'llm_tokens_input',
    quantity,
    agent_id: agent,
    ...extra,
  });
}

function client(batching: BatchingOptions | false = {}, baseUrl = server.url): BearLumen {
  const created = new BearLumen({ apiKey: server.apiKey, baseUrl, handleExit: false, batching });
  clients.push(created);
  return created;
}

async function proxy(): Promise<PipelineProxy> {
  const started = await startPipelineProxy(server.url);
  proxies.push(started);
  return started;
}

/** Events the server holds for an agent. */
async function stored(agent: string): Promise<number> {
  const reader = client();
  return (await reader.usage.query({ agent_id: agent, limit: 1 })).total;
}

/** Waits (bounded) until `condition` holds, polling on a short timer. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function batchesOf(c: BearLumen): Array<PipelineEventMap['flush']> {
  const seen: Array<PipelineEventMap['flush']> = [];
  c.on('flush', (flush) => seen.push(flush));
  return seen;
}

beforeAll(async () => {
  server = await startServer();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.shutdown({ timeoutMs: 1000 })));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  await server?.close();
});

describe('batch triggers', () => {
  it('sends a batch as soon as maxBatchSize events are buffered, without waiting for the timer', async () => {
    const agent = `size-${++run}`;
    const c = client({ maxBatchSize: 10, flushIntervalMs: 600_000 });
    const batches = batchesOf(c);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => c.usage.record(tagged(agent)(i))));
    expect(results.every((r) => r.recorded)).toBe(true);
    expect(batches.map((b) => b.count)).toEqual([10]);
    expect(await stored(agent)).toBe(10);
  });

  it('sends a partial batch once flushIntervalMs has passed while another batch is in flight', async () => {
    const agent = `interval-${++run}`;
    const p = await proxy();
    p.hold();
    const c = client({ flushIntervalMs: 50 }, p.url);
    const first = c.usage.record(tagged(agent)(1));
    await until(() => p.batchSizes.length === 1, 'the first batch to reach the proxy');
    // The first batch is held, so only the interval timer can send these.
    const rest = [2, 3, 4].map((q) => c.usage.record(tagged(agent)(q)));
    await until(() => p.batchSizes.length === 2, 'the second batch to reach the proxy');
    expect(p.batchSizes).toEqual([1, 3]);
    p.release();
    expect((await Promise.all([first, ...rest])).map((r) => r.recorded)).toEqual([true, true, true, true]);
    expect(c.stats()).toMatchObject({ delivered: 4, batches: 2, buffered: 0, inFlight: 0 });
  });

  it('sends a lone event right after the current turn when nothing is in flight: five awaited records in a row are five requests', async () => {
    const agent = `adaptive-${++run}`;
    // A ten-minute interval: no timer can send these within the test.
    const c = client({ flushIntervalMs: 600_000 });
    for (let q = 1; q <= 5; q++) expect(await c.usage.record(tagged(agent)(q))).toMatchObject({ recorded: true });
    expect(c.stats()).toMatchObject({ delivered: 5, batches: 5 });
    // Records of one turn still share one batch.
    await Promise.all([6, 7, 8].map((q) => c.usage.record(tagged(agent)(q))));
    expect(c.stats()).toMatchObject({ delivered: 8, batches: 6 });
  });

  it('under a steady trickle, batches start at least lingerMs apart instead of one request per event', async () => {
    const agent = `linger-${++run}`;
    const lingerMs = 20;
    const c = client({ lingerMs, flushIntervalMs: 600_000 });
    const batches = batchesOf(c);
    const pending: Array<Promise<unknown>> = [];
    const started = performance.now();
    // One event per timer turn (~1 ms apart): the local server answers each request well within that,
    // so with lingerMs 0 nearly every event would be a request of its own.
    for (let q = 1; q <= 80; q++) {
      pending.push(c.usage.record(tagged(agent)(q)));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const elapsed = performance.now() - started;
    await c.flush();
    await Promise.all(pending);
    expect(batches.reduce((sum, b) => sum + b.count, 0)).toBe(80);
    // Batch starts are at least lingerMs apart, so at most one per lingerMs, plus the one that opened
    // the trickle and the one flush() cut.
    expect(batches.length).toBeLessThanOrEqual(Math.floor(elapsed / lingerMs) + 2);
    expect(await stored(agent)).toBe(80);
  });

  it('an awaited record() in a loop never lingers: each call is a reply to the previous acknowledgement', async () => {
    const agent = `reply-${++run}`;
    // A one-minute linger: if a reply lingered, the second call would not settle within the test's timeout.
    const c = client({ lingerMs: 60_000, flushIntervalMs: 600_000 });
    for (let q = 1; q <= 5; q++) expect(await c.usage.record(tagged(agent)(q))).toMatchObject({ recorded: true });
    expect(c.stats()).toMatchObject({ delivered: 5, batches: 5 });
    expect(await stored(agent)).toBe(5);
  });

  it('while a batch is in flight, accumulates the next events and sends them together once it settles', async () => {
    const agent = `group-${++run}`;
    const p = await proxy();
    p.hold();
    const c = client({ flushIntervalMs: 600_000 }, p.url);
    const first = c.usage.record(tagged(agent)(1));
    await until(() => p.batchSizes.length === 1, 'the first batch to reach the proxy');
    const rest = [2, 3, 4].map((q) => c.usage.record(tagged(agent)(q)));
    // Give a wrong implementation the chance to send them early.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(p.batchSizes).toEqual([1]);
    expect(c.stats().buffered).toBe(3);
    p.release();
    await Promise.all([first, ...rest]);
    expect(p.batchSizes).toEqual([1, 3]);
  });

  it('starts a new batch before maxBatchBytes would be crossed', async () => {
    const agent = `bytes-${++run}`;
    const c = client({ maxBatchBytes: 2048, flushIntervalMs: 600_000 });
    const batches = batchesOf(c);
    const big = (q: number): UsageRecordInput => tagged(agent)(q, { metadata: { note: 'x'.repeat(600) } });
    const results = Array.from({ length: 7 }, (_, i) => c.usage.record(big(i)));
    await c.flush();
    await Promise.all(results);
    expect(batches.length).toBeGreaterThan(2);
    expect(batches.every((b) => b.count <= 2)).toBe(true);
    expect(batches.reduce((sum, b) => sum + b.count, 0)).toBe(7);
    expect(await stored(agent)).toBe(7);
  });

  it('sends 2,500 events as 3 batches of at most 1000, each event getting its own result', async () => {
    const agent = `cap-${++run}`;
    const c = client({ flushIntervalMs: 600_000 });
    const batches = batchesOf(c);
    const pending = Array.from({ length: 2500 }, (_, i) => c.usage.record(tagged(agent)(i, { idempotencyKey: `cap-${run}-${i}` })));
    await c.flush();
    const results = await Promise.all(pending);
    // Batches are sent concurrently, so they may be acknowledged in any order.
    expect(batches.map((b) => b.count).sort((x, y) => y - x)).toEqual([1000, 1000, 500]);
    expect(results.every((r) => r.recorded)).toBe(true);
    expect(new Set(results.map((r) => r.eventId)).size).toBe(2500);
    const { events } = await client().usage.query({ agent_id: agent, limit: 1000 });
    const byId = new Map(events.map((e) => [e.eventId, e]));
    for (const [i, result] of results.entries()) {
      const storedEvent = byId.get(result.eventId);
      if (storedEvent !== undefined) expect(storedEvent).toMatchObject({ quantity: i, idempotencyKey: `cap-${run}-${i}` });
    }
    expect(byId.size).toBe(1000);
    expect(await stored(agent)).toBe(2500);
  });

  it('with batching: false sends each record on its own with the same results', async () => {
    const agent = `single-${++run}`;
    const c = client(false);
    const batches = batchesOf(c);
    const results = await Promise.all([1, 2].map((q) => c.usage.record(tagged(agent)(q))));
    expect(results.map((r) => r.recorded)).toEqual([true, true]);
    expect(batches.map((b) => b.count)).toEqual([1, 1]);
    expect(await c.usage.record(tagged(agent)(9, { idempotencyKey: `single-${run}` }))).toMatchObject({ recorded: true });
    expect(await c.usage.record(tagged(agent)(9, { idempotencyKey: `single-${run}` }))).toMatchObject({ recorded: false });
  });
});

describe('compression', () => {
  it('gzips a batch body above 16 KiB and sends a small one as it is', async () => {
    const agent = `gzip-${++run}`;
    const p = await proxy();
    const c = client({ flushIntervalMs: 600_000 }, p.url);
    // 200 events of ~300 bytes: one batch of ~60 KB, then a lone event of ~300 bytes.
    await Promise.all(Array.from({ length: 200 }, (_, i) => c.usage.record(tagged(agent)(i, { metadata: { note: 'z'.repeat(200) } }))));
    await c.usage.record(tagged(agent)(1));
    const batches = p.requests.filter((r) => r.path.endsWith('/usage/events/batch'));
    expect(batches.map((r) => r.contentEncoding)).toEqual(['gzip', undefined]);
    expect(p.batchSizes).toEqual([200, 1]);
    expect(await stored(agent)).toBe(201);
  });
});

describe('per-event outcomes', () => {
  it('sends the metadata as it was at record(), even when the caller reuses and changes the object before the batch leaves', async () => {
    const agent = `snapshot-${++run}`;
    const c = client({ flushIntervalMs: 60_000 });
    const reused: Record<string, unknown> = { agent_id: agent, model: 'gpt-4o', step: 0, tags: { tier: 'free' } };
    const pending: Array<Promise<unknown>> = [];
    for (let step = 1; step <= 3; step++) {
      reused['step'] = step;
      (reused['tags'] as Record<string, unknown>)['tier'] = `tier-${step}`;
      // Without a workflow_id parameter (metadata taken as is), then with one (folded into a new object).
      pending.push(c.usage.record({ eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: step, metadata: reused }));
      pending.push(c.usage.record({ eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: 10 + step, workflow_id: 'wf', metadata: reused }));
    }
    reused['step'] = 99;
    (reused['tags'] as Record<string, unknown>)['tier'] = 'changed-after';
    await c.flush();
    await Promise.all(pending);
    const events = (await c.usage.query({ agent_id: agent, limit: 10 })).events;
    const byQuantity = new Map(events.map((e) => [e.quantity, e.metadata]));
    for (let step = 1; step <= 3; step++) {
      expect(byQuantity.get(step)).toMatchObject({ step, tags: { tier: `tier-${step}` } });
      expect(byQuantity.get(10 + step)).toMatchObject({ step, tags: { tier: `tier-${step}` } });
    }
  });

  it('stores every event of a large batch with its metadata intact: a body of many encoded pieces, multi-byte text and escapes', async () => {
    const agent = `pieces-${++run}`;
    const c = client({ flushIntervalMs: 60_000, maxBatchSize: 1000 });
    const batches = batchesOf(c);
    // ~700 KB of JSON in one batch: sizes vary so piece boundaries fall at arbitrary events.
    const note = (i: number): string => `é"\\\n€${i}-` + 'ü'.repeat((i * 37) % 900);
    const pending = Array.from({ length: 1000 }, (_, i) => c.usage.record(tagged(agent)(i + 1, { metadata: { note: note(i), i } })));
    await c.flush();
    expect((await Promise.all(pending)).every((r) => r.recorded)).toBe(true);
    expect(batches.map((b) => b.count)).toEqual([1000]);
    const seen = new Map<number, unknown>();
    for (let offset = 0; offset < 1000; offset += 500) {
      for (const e of (await c.usage.query({ agent_id: agent, limit: 500, offset })).events) seen.set(e.quantity, e.metadata);
    }
    expect(seen.size).toBe(1000);
    for (let i = 0; i < 1000; i++) expect(seen.get(i + 1)).toMatchObject({ note: note(i), i });
  });

  it('reports an event whose key the server already holds as recorded: false with the original eventId', async () => {
    const agent = `dup-${++run}`;
    const c = client({ flushIntervalMs: 10 });
    const first = await c.usage.record(tagged(agent)(5, { idempotencyKey: `dup-${run}` }));
    const again = await c.usage.record(tagged(agent)(5, { idempotencyKey: `dup-${run}` }));
    expect(again).toEqual({ eventId: first.eventId, recorded: false });
    expect(c.stats()).toMatchObject({ delivered: 1, duplicates: 1 });
    expect(await c.shutdown()).toMatchObject({ delivered: 1, duplicates: 1, failed: 0 });
    expect(await stored(agent)).toBe(1);
  });

  it('fails only the event with an unknown subscriptionId and stores the valid events of its batch', async () => {
    const agent = `partial-${++run}`;
    const c = client({ flushIntervalMs: 600_000 });
    const results = [0, 1, 2, 3].map((i) => c.usage.record(tagged(agent)(i, i === 2 ? { subscriptionId: 'sub_does_not_exist' } : {})));
    await c.flush();
    const settled = await Promise.allSettled(results);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const reason = (settled[2] as PromiseRejectedResult).reason as BearLumenInvalidRequestError;
    expect(reason).toBeInstanceOf(BearLumenInvalidRequestError);
    expect(reason.details?.[0]).toMatchObject({ index: 2, param: expect.stringContaining('subscriptionId') });
    expect(c.stats()).toMatchObject({ delivered: 3, failed: 1 });
    expect(await stored(agent)).toBe(3);
  });

  it('splits a batch the server finds too large (413) and fails alone an event that is still too large', async () => {
    const agent = `split-${++run}`;
    const p = await proxy();
    p.maxBodyBytes = 4000;
    const c = client({ flushIntervalMs: 600_000 }, p.url);
    const normal = (q: number): UsageRecordInput => tagged(agent)(q, { metadata: { note: 'n'.repeat(500) } });
    const results = [...Array.from({ length: 8 }, (_, i) => normal(i)), tagged(agent)(99, { metadata: { note: 'h'.repeat(5000) } })].map((e) => c.usage.record(e));
    await c.flush();
    const settled = await Promise.allSettled(results);
    expect(settled.slice(0, 8).every((s) => s.status === 'fulfilled')).toBe(true);
    expect((settled[8] as PromiseRejectedResult).reason).toBeInstanceOf(BearLumenPayloadTooLargeError);
    expect(p.batchSizes[0]).toBe(9);
    expect(Math.max(...p.batchSizes.slice(1))).toBeLessThan(9);
    expect(c.stats()).toMatchObject({ delivered: 8, failed: 1 });
    expect(await stored(agent)).toBe(8);
  });
});

describe('retries', () => {
  it('waits for the Retry-After of a 503 before resending the batch', async () => {
    const agent = `retry-after-${++run}`;
    const p = await proxy();
    p.failNext.push({ status: 503, headers: { 'retry-after': '1' } });
    const c = client({ flushIntervalMs: 10, retryBaseMs: 1, retryMaxMs: 5 }, p.url);
    const errors: Array<PipelineEventMap['error']> = [];
    c.on('error', (error) => errors.push(error));
    const results = await Promise.all([1, 2].map((q) => c.usage.record(tagged(agent)(q))));
    expect(results.every((r) => r.recorded)).toBe(true);
    expect(errors).toEqual([expect.objectContaining({ count: 2, willRetry: true })]);
    expect(p.batchSizes).toEqual([2, 2]);
    expect((p.batchTimes[1] as number) - (p.batchTimes[0] as number)).toBeGreaterThanOrEqual(950);
    expect(c.stats()).toMatchObject({ delivered: 2, retries: 1, circuit: 'closed' });
    expect(await stored(agent)).toBe(2);
  });
});

describe('bounded memory', () => {
  it("with overflow 'reject', rejects records beyond maxBufferedEvents with BearLumenBufferFullError and counts them", async () => {
    const agent = `reject-${++run}`;
    const p = await proxy();
    p.hold();
    const c = client({ maxBufferedEvents: 3, flushIntervalMs: 10 }, p.url);
    const accepted = [1, 2, 3].map((q) => c.usage.record(tagged(agent)(q)));
    await expect(c.usage.record(tagged(agent)(4))).rejects.toBeInstanceOf(BearLumenBufferFullError);
    expect(c.stats()).toMatchObject({ dropped: 1, droppedByReason: { buffer_full: 1 } });
    p.release();
    await Promise.all(accepted);
    expect(await c.usage.record(tagged(agent)(5))).toMatchObject({ recorded: true });
    expect(await stored(agent)).toBe(4);
  });

  it("with overflow 'block', makes record() wait for room and then delivers every event", async () => {
    const agent = `block-${++run}`;
    const p = await proxy();
    p.hold();
    const c = client({ maxBufferedEvents: 2, overflow: 'block', flushIntervalMs: 10 }, p.url);
    const order: number[] = [];
    const results = [1, 2, 3, 4].map((q) => c.usage.record(tagged(agent)(q)).then((r) => (order.push(q), r)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(c.stats().buffered + c.stats().inFlight).toBe(2);
    expect(order).toEqual([]);
    p.release();
    expect((await Promise.all(results)).every((r) => r.recorded)).toBe(true);
    expect(order.slice(0, 2).sort()).toEqual([1, 2]);
    expect(c.stats().dropped).toBe(0);
    expect(await stored(agent)).toBe(4);
  });

  it("with overflow 'block', a waiting record() rejects with BearLumenClosedError when shutdown starts", async () => {
    const p = await proxy();
    p.hold();
    const c = client({ maxBufferedEvents: 1, overflow: 'block', flushIntervalMs: 10 }, p.url);
    const first = c.usage.record(tagged(`blockclose-${++run}`)(1));
    const waiting = c.usage.record(tagged(`blockclose-${run}`)(2));
    const report = c.shutdown({ timeoutMs: 100 });
    await expect(waiting).rejects.toBeInstanceOf(BearLumenClosedError);
    await expect(first).rejects.toBeInstanceOf(BearLumenClosedError);
    expect(await report).toMatchObject({ droppedByReason: { closed: 1, shutdown_timeout: 1 } });
    p.release();
  });
});

describe('flush and shutdown', () => {
  it('flush() settles every event recorded before it, not those recorded after, and resolves even when events fail', async () => {
    const agent = `flush-${++run}`;
    const c = client({ flushIntervalMs: 600_000 });
    const settled: string[] = [];
    const track = (name: string, p: Promise<unknown>): void => {
      p.then(
        () => settled.push(name),
        () => settled.push(`${name}!`),
      );
    };
    track('a', c.usage.record(tagged(agent)(1)));
    track('bad', c.usage.record(tagged(agent)(2, { subscriptionId: 'sub_missing' })));
    const flushed = c.flush();
    track('later', c.usage.record(tagged(agent)(3)));
    await flushed;
    expect(settled.sort()).toEqual(['a', 'bad!']);
    // 'later' left when the flushed batch settled (adaptive sending), but flush() did not wait for it.
    expect(c.stats().buffered + c.stats().inFlight).toBe(1);
    await c.flush();
    expect(settled).toContain('later');
  });

  it('flush() called while shutdown() is under way waits for its drain and resolves, before and after the drain', async () => {
    const agent = `flush-during-shutdown-${++run}`;
    const p = await proxy();
    p.hold();
    const c = client({ flushIntervalMs: 10 }, p.url);
    const order: string[] = [];
    const recorded = c.usage.record(tagged(agent)(1)).then(() => order.push('record'));
    const report = c.shutdown({ timeoutMs: 10_000 }).then((r) => (order.push('shutdown'), r));
    const flushed = c.flush().then(() => order.push('flush'));
    p.release();
    await Promise.all([recorded, flushed]);
    expect((await report).delivered).toBe(1);
    // The flush resolved only once the shutdown had delivered the buffered event.
    expect(order.indexOf('flush')).toBeGreaterThan(order.indexOf('record'));
    await expect(c.flush()).resolves.toBeUndefined();
    expect(await stored(agent)).toBe(1);
  });

  it('with the server down, shutdown() returns within its deadline and reports every event as unsent with its key', async () => {
    const p = await proxy();
    const deadUrl = p.url;
    await p.close();
    proxies.splice(proxies.indexOf(p), 1);
    const c = client({ flushIntervalMs: 10 }, deadUrl);
    const agent = `down-${++run}`;
    const pending = [1, 2, 3].map((q) => c.usage.record(tagged(agent)(q, { idempotencyKey: `${agent}-${q}` })));
    const report = await c.shutdown({ timeoutMs: 300 });
    expect(report).toMatchObject({ delivered: 0, duplicates: 0, failed: 0, dropped: 3, droppedByReason: { shutdown_timeout: 3 } });
    expect(report.unsent.map((e) => e.idempotencyKey).sort()).toEqual([1, 2, 3].map((q) => `${agent}-${q}`));
    for (const result of pending) await expect(result).rejects.toBeInstanceOf(BearLumenClosedError);
    expect(await c.shutdown()).toBe(report);
  });

  it('rejects record() after shutdown with BearLumenClosedError, without an unhandled rejection for fire-and-forget calls', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const c = client();
      await c.shutdown();
      await expect(c.usage.record(tagged('closed')(1))).rejects.toBeInstanceOf(BearLumenClosedError);
      void c.usage.record(tagged('closed')(2));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('delivers what is buffered at shutdown and reports it', async () => {
    const agent = `drain-${++run}`;
    const c = client({ flushIntervalMs: 600_000 });
    const pending = [1, 2, 3].map((q) => c.usage.record(tagged(agent)(q)));
    expect(await c.shutdown()).toEqual({ delivered: 3, duplicates: 0, failed: 0, dropped: 0, droppedByReason: {}, replayed: 0, unsent: [], spooled: 0 });
    expect((await Promise.all(pending)).every((r) => r.recorded)).toBe(true);
    expect(await stored(agent)).toBe(3);
  });
});
