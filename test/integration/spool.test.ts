/**
 * The durable spool through the public API against the real server (in process): events a client could
 * not deliver stay in its spool directory and the next client delivers them once, with their original
 * keys and timestamps; torn, garbled and foreign segments are skipped and counted; a directory that
 * cannot be used leaves the client working in memory. The crash cases (SIGKILL) are in
 * test/fault/spool-crash.test.ts, injected disk errors in test/fault/spool-disk-errors.test.ts.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BearLumen, BearLumenBufferFullError, type BatchingOptions, type UsageEventInput } from '@bearlumen/node-sdk';
import { HEADER_BYTES, RECORD_HEADER_BYTES } from '../../src/pipeline/spool/framing';
import { startServer, type StartedServer } from '../helpers/start-server';
import { readStoredEvents, summarize, tenantIdOf } from '../helpers/stored-events';

let server: StartedServer;
let dead: string;
let dirs: string[] = [];
let run = 0;

beforeAll(async () => {
  server = await startServer();
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  dead = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await server.close();
});

afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bearlumen-spool-'));
  dirs.push(dir);
  return dir;
}

/** Log lines (parsed) of a client's logger. */
function capturedLogger(): { logger: pino.Logger; lines: Array<{ level: number; msg: string; code?: string }> } {
  const lines: Array<{ level: number; msg: string; code?: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), lines };
}

function client(url: string, apiKey: string, batching: BatchingOptions, logger?: pino.Logger): BearLumen {
  return new BearLumen({ apiKey, baseUrl: url, handleExit: false, batching: { retryBaseMs: 5, retryMaxMs: 20, ...batching }, ...(logger === undefined ? {} : { logger }) });
}

function segments(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.seg'));
}

/** A tenant of its own per test, so stored events are only this test's. */
async function tenant(): Promise<{ apiKey: string; stored: () => Promise<ReturnType<typeof summarize>> }> {
  run += 1;
  const apiKey = await server.createKey(`spool-${run}`);
  const tenantId = await tenantIdOf(server.store, apiKey);
  return { apiKey, stored: async () => summarize(await readStoredEvents(server.store, tenantId)) };
}

/** Records `count` events with a client that cannot reach any server, then shuts it down at once: the events stay in the spool. */
async function leaveEvents(dir: string, apiKey: string, count: number, perTurn = count): Promise<UsageEventInput[]> {
  const stranded = client(dead, apiKey, { spoolDir: dir });
  for (let n = 0; n < count; n++) {
    // Each turn's events are written as one run (one record), so `perTurn` sets the records' size.
    if (n > 0 && n % perTurn === 0) await new Promise((resolve) => setImmediate(resolve));
    void stranded.usage.record({ eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: n + 1, metadata: { n: `e${n}` } }).catch(() => undefined);
  }
  const report = await stranded.shutdown({ timeoutMs: 0 });
  expect(report.unsent).toHaveLength(count);
  return report.unsent;
}

/** Starts a client on the directory, waits until its replay is done, and shuts it down. */
async function replayWith(dir: string, apiKey: string, logger?: pino.Logger): Promise<{ replayer: BearLumen; report: Awaited<ReturnType<BearLumen['shutdown']>>; spool: NonNullable<ReturnType<BearLumen['stats']>['spool']> }> {
  const replayer = client(server.url, apiKey, { spoolDir: dir }, logger);
  await vi.waitFor(() => expect(replayer.stats().spool?.replaying).toBe(false), { timeout: 20_000, interval: 10 });
  await replayer.flush();
  const spool = replayer.stats().spool;
  if (spool === null) throw new Error('spool is off');
  return { replayer, report: await replayer.shutdown(), spool };
}

describe('spool: what one client leaves, the next delivers', () => {
  it('events unsent at a shutdown deadline are delivered once by the next client, with their original keys and timestamps', async () => {
    const dir = tempDir();
    const { apiKey, stored } = await tenant();
    const unsent = await leaveEvents(dir, apiKey, 40);
    expect(segments(dir).length).toBeGreaterThan(0);
    const { report, spool } = await replayWith(dir, apiKey);
    expect(report).toMatchObject({ delivered: 40, duplicates: 0, failed: 0, dropped: 0, replayed: 40 });
    expect(spool).toMatchObject({ mode: 'disk', replayed: 40, corruptRecords: 0, skippedSegments: 0, diskErrors: 0 });
    const summary = await stored();
    expect(summary.rows).toBe(40);
    for (const event of unsent) {
      const rows = summary.byKey.get(event.idempotencyKey as string) ?? [];
      expect(rows).toHaveLength(1);
      expect(new Date(rows[0]?.timestamp ?? 0).toISOString()).toBe(event.timestamp);
    }
    expect(segments(dir)).toEqual([]);
  });

  it('a live client that records more than one write holds in one turn deletes its segments once all is delivered', async () => {
    const dir = tempDir();
    const { apiKey, stored } = await tenant();
    const live = client(server.url, apiKey, { spoolDir: dir, maxBufferedEvents: 10_000 });
    const note = 'ü'.repeat(1500);
    const pending = Array.from({ length: 3000 }, (_, n) => live.usage.record({ eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: n + 1, metadata: { n: `e${n}`, note } }));
    expect((await Promise.all(pending)).every((r) => r.recorded)).toBe(true);
    expect(await live.shutdown()).toMatchObject({ delivered: 3000, failed: 0 });
    expect((await stored()).rows).toBe(3000);
    expect(segments(dir)).toEqual([]);
  });

  it('a turn that records more than one write holds (several writes in one group) is left and replayed whole', async () => {
    const dir = tempDir();
    const { apiKey, stored } = await tenant();
    const stranded = client(dead, apiKey, { spoolDir: dir, maxBufferedEvents: 10_000 });
    const note = 'ü'.repeat(1500); // ~4.5 KB of framing bound per event: 3,000 events need several scratch-sized writes
    for (let n = 0; n < 3000; n++) void stranded.usage.record({ eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: n + 1, metadata: { n: `e${n}`, note } }).catch(() => undefined);
    const left = await stranded.shutdown({ timeoutMs: 0 });
    expect(left.unsent).toHaveLength(3000);
    const { report, spool } = await replayWith(dir, apiKey);
    expect(report).toMatchObject({ delivered: 3000, duplicates: 0, replayed: 3000 });
    expect(spool).toMatchObject({ corruptRecords: 0, diskErrors: 0 });
    const summary = await stored();
    expect(summary.rows).toBe(3000);
    expect(summary.byMarker.size).toBe(3000);
    expect(segments(dir)).toEqual([]);
  });

  it('a replayed event that had already reached the server is a duplicate, never a second charge', async () => {
    const dir = tempDir();
    const copies = tempDir();
    const { apiKey, stored } = await tenant();
    const first = client(server.url, apiKey, { spoolDir: dir });
    await Promise.all(Array.from({ length: 10 }, (_, n) => first.usage.record({ eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: 1, metadata: { n: `d${n}` } })));
    // What a crash right after delivery leaves: the segment of a process that is gone.
    const [written] = segments(dir);
    copyFileSync(join(dir, written as string), join(copies, 'copy'));
    await first.shutdown();
    expect(segments(dir)).toEqual([]);
    copyFileSync(join(copies, 'copy'), join(dir, '00000000deadbeef-00000001.seg'));
    const { report } = await replayWith(dir, apiKey);
    expect(report).toMatchObject({ delivered: 0, duplicates: 10, replayed: 10 });
    expect((await stored()).rows).toBe(10);
    expect(segments(dir)).toEqual([]);
  });
});

describe('spool: spilling to disk when the memory bound is full', () => {
  it('accepts what memory cannot hold as spooled; shutdown reports it; the next client delivers every event once', async () => {
    const dir = tempDir();
    const { apiKey, stored } = await tenant();
    const stranded = client(dead, apiKey, { spoolDir: dir, maxBufferedEvents: 10 });
    const results = Array.from({ length: 30 }, (_, n) => stranded.usage.record({ eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: 1, metadata: { n: `s${n}` } }));
    const spooled = await Promise.all(results.slice(10));
    expect(spooled).toEqual(Array.from({ length: 20 }, () => ({ eventId: '', recorded: true, spooled: true })));
    expect(stranded.stats()).toMatchObject({ dropped: 0, spool: { mode: 'disk', spilled: 20, spilledWaiting: 20 } });
    expect(stranded.stats().spool?.spilledBytes).toBeGreaterThan(20 * 100);
    const report = await stranded.shutdown({ timeoutMs: 0 });
    // The 10 held in memory are unsent (listed); the 20 on disk only are counted, not listed; all stay in the spool.
    expect(report).toMatchObject({ delivered: 0, dropped: 30, droppedByReason: { shutdown_timeout: 30 }, spooled: 20 });
    expect(report.unsent).toHaveLength(10);
    await Promise.allSettled(results);
    const { report: replay } = await replayWith(dir, apiKey);
    expect(replay).toMatchObject({ delivered: 30, duplicates: 0, failed: 0, dropped: 0, replayed: 30 });
    const summary = await stored();
    expect(summary.rows).toBe(30);
    for (let n = 0; n < 30; n++) expect(summary.byMarker.get(`s${n}`), `s${n}`).toHaveLength(1);
    expect(segments(dir)).toEqual([]);
  });

  it('with the server up, shutdown() reads every spilled event back and delivers it before it closes: nothing failed, nothing left', async () => {
    const dir = tempDir();
    const { apiKey, stored } = await tenant();
    const live = client(server.url, apiKey, { spoolDir: dir, maxBufferedEvents: 1800, maxBatchSize: 20, concurrency: 1 });
    // One synchronous burst: 1,800 held in memory, 200 spilled to disk. The spilled ones are read back
    // while the held ones drain, so none is left on disk long before the last of them is delivered.
    for (let n = 0; n < 2000; n++) void live.usage.record({ eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: 1, metadata: { n: `b${n}` } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(live.stats().spool).toMatchObject({ spilled: 200, spilledWaiting: 200 });
    const report = await live.shutdown({ timeoutMs: 20_000 });
    expect(report).toMatchObject({ delivered: 2000, failed: 0, dropped: 0, spooled: 0 });
    expect(report.unsent).toHaveLength(0);
    const summary = await stored();
    expect(summary.rows).toBe(2000);
    expect(summary.byMarker.size).toBe(2000);
    expect(segments(dir)).toEqual([]);
  });
});

describe('spool: damaged segments', () => {
  it('a torn last record is skipped and counted; the rest is delivered', async () => {
    const dir = tempDir();
    const { apiKey, stored } = await tenant();
    await leaveEvents(dir, apiKey, 30, 3); // ten records of three events
    const [file] = segments(dir);
    const path = join(dir, file as string);
    truncateSync(path, readFileSync(path).length - 3);
    const { logger, lines } = capturedLogger();
    const { report, spool } = await replayWith(dir, apiKey, logger);
    expect(spool).toMatchObject({ corruptRecords: 1, replayed: 27 });
    expect(report).toMatchObject({ delivered: 27, replayed: 27 });
    const summary = await stored();
    expect([...summary.byMarker.keys()].sort()).toEqual(Array.from({ length: 27 }, (_, n) => `e${n}`).sort());
    expect(lines.filter((line) => line.msg.includes('corrupt'))).toHaveLength(1);
    expect(segments(dir)).toEqual([]);
  });

  it('a garbled record in the middle costs only itself: its own run of events', async () => {
    const dir = tempDir();
    const { apiKey, stored } = await tenant();
    await leaveEvents(dir, apiKey, 30, 3);
    const path = join(dir, segments(dir)[0] as string);
    const data = readFileSync(path);
    let offset = HEADER_BYTES;
    for (let i = 0; i < 4; i++) offset += RECORD_HEADER_BYTES + data.readUInt32LE(offset);
    data.writeUInt8(data.readUInt8(offset + RECORD_HEADER_BYTES + 4) ^ 0x20, offset + RECORD_HEADER_BYTES + 4);
    writeFileSync(path, data);
    const { report, spool } = await replayWith(dir, apiKey);
    expect(spool).toMatchObject({ corruptRecords: 1, replayed: 27 });
    expect(report.delivered).toBe(27);
    const summary = await stored();
    expect(summary.rows).toBe(27);
    // The fifth record held the fifth turn's events.
    for (const n of [12, 13, 14]) expect(summary.byMarker.has(`e${n}`)).toBe(false);
    for (const n of [11, 15]) expect(summary.byMarker.has(`e${n}`)).toBe(true);
  });

  it('a segment from a newer SDK version is left alone, logged and counted', async () => {
    const dir = tempDir();
    const { apiKey, stored } = await tenant();
    await leaveEvents(dir, apiKey, 5);
    const path = join(dir, segments(dir)[0] as string);
    const data = readFileSync(path);
    data.writeUInt8(data.readUInt8(4) + 1, 4);
    writeFileSync(path, data);
    const { logger, lines } = capturedLogger();
    const { report, spool } = await replayWith(dir, apiKey, logger);
    expect(spool).toMatchObject({ skippedSegments: 1, replayed: 0 });
    expect(report.replayed).toBe(0);
    expect((await stored()).rows).toBe(0);
    expect(segments(dir)).toHaveLength(1);
    expect(lines.filter((line) => line.msg.includes('newer SDK'))).toHaveLength(1);
  });
});

describe('spool: bounds and bad directories', () => {
  it('maxSpoolBytes bounds the disk with the overflow policy', async () => {
    const dir = tempDir();
    const { apiKey } = await tenant();
    const stranded = client(dead, apiKey, { spoolDir: dir, maxSpoolBytes: 1024 * 1024 });
    const padding = 'x'.repeat(900);
    const results = Array.from({ length: 2000 }, (_, n) => stranded.usage.record({ eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: 1, metadata: { n: `b${n}`, padding } }));
    await new Promise((resolve) => setImmediate(resolve));
    const stats = stranded.stats();
    expect(stats.droppedByReason.buffer_full).toBeGreaterThan(0);
    expect(stats.spool?.bytes ?? 0).toBeGreaterThan(900 * 1024);
    expect(stats.spool?.bytes ?? 0).toBeLessThanOrEqual(1024 * 1024);
    await stranded.shutdown({ timeoutMs: 0 });
    const settled = await Promise.allSettled(results);
    const refused = settled.filter((result) => result.status === 'rejected' && result.reason instanceof BearLumenBufferFullError);
    expect(refused.length).toBe(stats.droppedByReason.buffer_full);
  });

  it('a directory that cannot be created leaves the client working in memory, logged once', async () => {
    const dir = tempDir();
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const { apiKey, stored } = await tenant();
    const { logger, lines } = capturedLogger();
    const memoryOnly = client(server.url, apiKey, { spoolDir: join(file, 'spool') }, logger);
    await expect(memoryOnly.usage.record({ eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: 1 })).resolves.toMatchObject({ recorded: true });
    expect(memoryOnly.stats().spool).toMatchObject({ mode: 'memory-only', diskErrors: 1 });
    await memoryOnly.shutdown();
    expect(lines.filter((line) => line.level >= 50)).toHaveLength(1);
    expect(lines[0]?.code).toBe('ENOTDIR');
    expect((await stored()).rows).toBe(1);
  });

  it('rejects a bad spool option before any network call, naming it', () => {
    expect(() => client(server.url, server.apiKey, { spoolDir: '' })).toThrow(/batching\.spoolDir/);
    expect(() => client(server.url, server.apiKey, { spoolSync: 'yes' as unknown as boolean })).toThrow(/batching\.spoolSync/);
    expect(() => client(server.url, server.apiKey, { maxSpoolBytes: 1000 })).toThrow(/batching\.maxSpoolBytes/);
  });
});
