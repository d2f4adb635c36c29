/**
 * Bad disks never crash the app: file-system errors injected through the spool's fs seam (ENOSPC,
 * EACCES, EIO at each kind of call) while a pipeline records against the real server. Every event is
 * still delivered (from memory), the failure is logged once and counted, and nothing throws into the
 * caller. A real unusable directory is covered in test/integration/spool.test.ts.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline } from '../../src/pipeline/create-pipeline';
import { resolveBatchingOptions } from '../../src/pipeline/options';
import { nodeSpoolFs, type SpoolFs } from '../../src/pipeline/spool/fs';
import type { Pipeline } from '../../src/pipeline/types';
import type { UsageEventInput } from '../../src/protocol/types';
import { BearLumenBufferFullError } from '../../src/errors';
import { HttpTransport } from '../../src/transport/http';
import { startServer, type StartedServer } from '../helpers/start-server';
import { readStoredEvents, summarize, tenantIdOf } from '../helpers/stored-events';
import { deadUrl } from '../helpers/dead-url';

let server: StartedServer;
let dirs: string[] = [];
let run = 0;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

type Fault = { call: keyof SpoolFs; code: string; after: number; partial?: boolean };

/** The real file system, except that `call` fails with `code` after `after` successful calls (a `partial` write first writes about half its bytes). */
function faultyFs({ call, code, after, partial = false }: Fault): SpoolFs & { faults: number } {
  let calls = 0;
  const fs: SpoolFs & { faults: number } = { ...nodeSpoolFs, faults: 0 };
  const real = nodeSpoolFs[call] as (...args: unknown[]) => unknown;
  (fs as unknown as Record<string, unknown>)[call] = (...args: unknown[]): unknown => {
    calls += 1;
    if (calls <= after) return real(...args);
    fs.faults += 1;
    if (partial && call === 'write') {
      const [fd, data] = args as [number, Uint8Array];
      // Not on a record boundary: a group of equal events cut exactly in half would leave whole records.
      nodeSpoolFs.write(fd, data.subarray(0, Math.floor(data.length / 2) + 3));
    }
    throw Object.assign(new Error(`${code}: injected`), { code });
  };
  return fs;
}

function capture(): { logger: pino.Logger; lines: Array<{ level: number; msg: string; code?: string }> } {
  const lines: Array<{ level: number; msg: string; code?: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), lines };
}

/** The real file system, except that `call` fails with `code` while `broken` is true. */
function healableFs(call: keyof SpoolFs, code: string): SpoolFs & { broken: boolean; faults: number } {
  const fs: SpoolFs & { broken: boolean; faults: number } = { ...nodeSpoolFs, broken: true, faults: 0 };
  const real = nodeSpoolFs[call] as (...args: unknown[]) => unknown;
  (fs as unknown as Record<string, unknown>)[call] = (...args: unknown[]): unknown => {
    if (!fs.broken) return real(...args);
    fs.faults += 1;
    throw Object.assign(new Error(`${code}: injected`), { code });
  };
  return fs;
}

/** Waits (bounded) until `done()` holds. */
async function waitFor(done: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function setup(
  spoolFs: SpoolFs,
  sync = false,
  dir = mkdtempSync(join(tmpdir(), 'bearlumen-spool-fault-')),
  flushIntervalMs = 20,
  key?: string,
  maxBufferedEvents?: number,
  baseUrl = server.url,
  spoolHeartbeatMs?: number,
) {
  dirs.push(dir);
  run += 1;
  const apiKey = key ?? (await server.createKey(`disk-${run}`));
  const { logger, lines } = capture();
  const transport = new HttpTransport({ baseUrl: new URL(baseUrl), apiKey, timeout: 5000, maxRetries: 0, logger });
  const options = resolveBatchingOptions({ spoolDir: dir, spoolSync: sync, flushIntervalMs, retryBaseMs: 5, retryMaxMs: 20, ...(maxBufferedEvents === undefined ? {} : { maxBufferedEvents }) });
  const pipeline = createPipeline({ transport, logger, options, handleExit: false, spoolFs, ...(spoolHeartbeatMs === undefined ? {} : { spoolHeartbeatMs }) });
  const tenantId = await tenantIdOf(server.store, apiKey);
  return { pipeline, lines, dir, apiKey, stored: async () => summarize(await readStoredEvents(server.store, tenantId)) };
}

function event(n: number): UsageEventInput {
  return { eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: 1, metadata: { n: `f${n}` } };
}

/** Records `turns` × 10 events (markers from `from` on), one group per event-loop turn; resolves with every record() promise. */
async function recordTurns(pipeline: Pipeline, turns: number, from = 0): Promise<Array<Promise<unknown>>> {
  const results: Array<Promise<unknown>> = [];
  for (let turn = 0; turn < turns; turn++) {
    for (let i = 0; i < 10; i++) results.push(pipeline.record(event(from + turn * 10 + i)));
    await new Promise((resolve) => setImmediate(resolve));
  }
  return results;
}

const faults: Array<[string, Fault, boolean]> = [
  ['ENOSPC on the third write', { call: 'write', code: 'ENOSPC', after: 2 }, false],
  ['ENOSPC after half a write', { call: 'write', code: 'ENOSPC', after: 2, partial: true }, false],
  ['EIO on the first write', { call: 'write', code: 'EIO', after: 0 }, false],
  ['EIO on fdatasync', { call: 'fdatasync', code: 'EIO', after: 1 }, true],
  ['EACCES creating the lock file', { call: 'createFile', code: 'EACCES', after: 0 }, false],
  ['EACCES creating a segment', { call: 'openAppend', code: 'EACCES', after: 0 }, false],
];

describe('spool: injected disk errors', () => {
  it.each(faults)('%s: memory-only while it fails, logged once, every event delivered, no file left', async (_name, fault, sync) => {
    const fs = faultyFs(fault);
    const { pipeline, lines, stored, dir } = await setup(fs, sync);
    const results = await recordTurns(pipeline, 5);
    await expect(Promise.all(results)).resolves.toHaveLength(50);
    expect(fs.faults).toBe(1);
    expect(pipeline.stats().spool).toMatchObject({ mode: 'memory-only', diskErrors: 1 });
    const errors = lines.filter((line) => line.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.code).toBe(fault.code);
    const report = await pipeline.shutdown();
    expect(report).toMatchObject({ delivered: 50, failed: 0, dropped: 0 });
    expect((await stored()).rows).toBe(50);
    // Delivered segments are deleted, and so is a segment file whose header could not be written.
    expect(readdirSync(dir).filter((name) => name.endsWith('.seg'))).toEqual([]);
  });

  it('a write cut short leaves a torn record that the next client skips; nothing is stored twice', async () => {
    const fault = faultyFs({ call: 'write', code: 'ENOSPC', after: 2, partial: true });
    // The first client can deliver nothing (its server address refuses connections), so all 20 events
    // stay in its segment for the next client. A zero shutdown deadline alone did not ensure it: once
    // in a CI run the in-process server acknowledged the batch within it, the segment was deleted as
    // settled, and there was nothing to replay.
    const first = await setup(fault, false, undefined, 600_000, undefined, undefined, await deadUrl());
    const results = await recordTurns(first.pipeline, 2);
    const report = await first.pipeline.shutdown({ timeoutMs: 0 });
    await Promise.allSettled(results);
    expect(report.delivered).toBe(0);
    expect(report.unsent).toHaveLength(20);
    const second = await setup(nodeSpoolFs, false, first.dir, 20, first.apiKey);
    const replay = second.pipeline;
    for (let i = 0; i < 200 && replay.stats().spool?.replaying === true; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await replay.flush();
    const spool = replay.stats().spool;
    // The first group (10 events) was written whole; the second was cut in half: its intact records replay, the torn one is counted.
    expect(spool?.corruptRecords).toBe(1);
    expect(spool?.replayed).toBeGreaterThanOrEqual(10);
    await replay.shutdown();
    const summary = await second.stored();
    for (const rows of summary.byMarker.values()) expect(rows).toHaveLength(1);
    for (let n = 0; n < 10; n++) expect(summary.byMarker.has(`f${n}`)).toBe(true);
    expect(readdirSync(first.dir).filter((name) => name.endsWith('.seg'))).toEqual([]);
  });

  describe('after a disk error, the disk is tried again', () => {
    const heals: Array<[string, keyof SpoolFs, string, boolean]> = [
      ['ENOSPC on every write, then space again', 'write', 'ENOSPC', false],
      ['EACCES creating the lock file at start, then access', 'createFile', 'EACCES', false],
      ['EIO on every fdatasync (spoolSync), then working', 'fdatasync', 'EIO', true],
    ];
    it.each(heals)('%s: once it works, the events held in memory meanwhile and those recorded later are on disk; the next client delivers them', async (_name, call, code, sync) => {
      const fs = healableFs(call, code);
      // Nothing can be delivered (the server address refuses connections): what the next client stores
      // came from the spool directory.
      const first = await setup(fs, sync, undefined, 600_000, undefined, undefined, await deadUrl(), 20);
      // Two turns while the disk fails: the first turn's events leave as a batch (sent, refused, retried),
      // the second's wait in the buffer behind it. Neither is on disk.
      const before = await recordTurns(first.pipeline, 2);
      expect(first.pipeline.stats()).toMatchObject({ buffered: 10, inFlightEvents: 10, spool: { mode: 'memory-only', diskErrors: 1 } });
      // Several heartbeats with the disk still failing: tries that fail are neither logged nor counted.
      const faultsAtFailure = fs.faults;
      await waitFor(() => fs.faults >= faultsAtFailure + 3, 'three failed tries');
      expect(first.pipeline.stats().spool).toMatchObject({ mode: 'memory-only', diskErrors: 1 });
      // Failed tries leave no segment files behind.
      expect(readdirSync(first.dir).filter((name) => name.endsWith('.seg'))).toEqual([]);
      fs.broken = false;
      await waitFor(() => first.pipeline.stats().spool?.mode === 'disk', 'the spool to resume');
      expect(first.lines.filter((line) => line.level >= 50).map((line) => line.code)).toEqual([code]);
      expect(first.lines.filter((line) => line.level === 40).map((line) => line.msg)).toEqual([expect.stringContaining('(20 held in memory meanwhile are written now)')]);
      const after = await recordTurns(first.pipeline, 2, 20);
      const report = await first.pipeline.shutdown({ timeoutMs: 0 });
      await Promise.allSettled([...before, ...after]);
      expect(report.delivered).toBe(0);
      expect(report.unsent).toHaveLength(40);

      const second = await setup(nodeSpoolFs, false, first.dir, 20, first.apiKey);
      await waitFor(() => second.pipeline.stats().spool?.replaying === false, 'the replay');
      await second.pipeline.flush();
      expect(second.pipeline.stats().spool).toMatchObject({ replayed: 40, corruptRecords: 0 });
      await second.pipeline.shutdown();
      const summary = await second.stored();
      // The events accepted while memory-only were written when the spool resumed: all 40 replayed once.
      expect(summary.rows).toBe(40);
      for (let n = 0; n < 40; n++) expect(summary.byMarker.get(`f${n}`), `f${n}`).toHaveLength(1);
      expect(readdirSync(first.dir).filter((name) => name.endsWith('.seg'))).toEqual([]);
    });
  });

  describe('while spilling (memory bound full, events going to disk only)', () => {
    /** Records `count` events in the current turn (no I/O can happen in between: memory stays full); their outcomes. */
    function recordNow(pipeline: Pipeline, from: number, count: number): Array<Promise<unknown>> {
      return Array.from({ length: count }, (_, i) => pipeline.record(event(from + i)));
    }
    const afterGroupWrite = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

    it('a spill write that fails refuses those events (buffer_full, handled), never throws; memory-only from then on', async () => {
      // Calls to write: the held group's segment header and group, the spill segment's header, then the spill group fails.
      const fs = faultyFs({ call: 'write', code: 'ENOSPC', after: 3 });
      const { pipeline, lines, stored } = await setup(fs, false, undefined, 20, undefined, 20);
      const results = recordNow(pipeline, 0, 100);
      const outcomes = await Promise.allSettled(results);
      const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect(refused).toHaveLength(80);
      for (const outcome of refused) expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(BearLumenBufferFullError);
      expect(fs.faults).toBe(1);
      expect(pipeline.stats()).toMatchObject({ droppedByReason: { buffer_full: 80 }, spool: { mode: 'memory-only', diskErrors: 1, spilled: 0, spilledWaiting: 0 } });
      expect(lines.filter((line) => line.level >= 50).map((line) => line.code)).toEqual(['ENOSPC']);
      const report = await pipeline.shutdown();
      expect(report).toMatchObject({ delivered: 20, failed: 0, dropped: 80, droppedByReason: { buffer_full: 80 }, spooled: 0 });
      expect((await stored()).rows).toBe(20);
    });

    it('a spill group written in several pieces whose second piece fails is refused whole: its first piece on disk is never read back', async () => {
      // ~5 KB of framing bound per event: 2,000 spilled events need several 4 MiB pieces in one turn.
      // Writes: held header, held group, spill header, first spill piece; the second piece fails.
      const fs = faultyFs({ call: 'write', code: 'EIO', after: 4 });
      const { pipeline, stored } = await setup(fs, false, undefined, 20, undefined, 20);
      const note = 'ü'.repeat(1500);
      const results = Array.from({ length: 2020 }, (_, n) => pipeline.record({ ...event(n), metadata: { n: `f${n}`, note } }));
      const outcomes = await Promise.allSettled(results);
      expect(fs.faults).toBe(1);
      expect(outcomes.slice(20).every((outcome) => outcome.status === 'rejected' && outcome.reason instanceof BearLumenBufferFullError)).toBe(true);
      await pipeline.flush();
      const report = await pipeline.shutdown();
      expect(report).toMatchObject({ delivered: 20, duplicates: 0, failed: 0, dropped: 2000, droppedByReason: { buffer_full: 2000 }, spooled: 0 });
      // Refused events must not be delivered behind the caller's back.
      expect((await stored()).rows).toBe(20);
    });

    it('spill segments written before the failure are still read back and delivered; the cut-short group is not', async () => {
      // Writes: held header, held group, spill header, first spill group; the second spill group is cut in half and fails.
      const fs = faultyFs({ call: 'write', code: 'EIO', after: 4, partial: true });
      const { pipeline, stored } = await setup(fs, false, undefined, 20, undefined, 20);
      const first = recordNow(pipeline, 0, 100);
      await afterGroupWrite();
      expect(pipeline.stats().spool).toMatchObject({ mode: 'disk', spilled: 80, spilledWaiting: 80 });
      const second = recordNow(pipeline, 100, 50);
      const outcomes = await Promise.allSettled([...first, ...second]);
      expect(outcomes.slice(20, 100).every((outcome) => outcome.status === 'fulfilled' && (outcome.value as { spooled?: true }).spooled === true)).toBe(true);
      expect(outcomes.slice(100).every((outcome) => outcome.status === 'rejected' && outcome.reason instanceof BearLumenBufferFullError)).toBe(true);
      expect(pipeline.stats().spool).toMatchObject({ mode: 'memory-only', diskErrors: 1 });
      await pipeline.flush();
      expect(pipeline.stats().spool).toMatchObject({ spilledWaiting: 0 });
      const report = await pipeline.shutdown();
      expect(report).toMatchObject({ delivered: 100, duplicates: 0, failed: 0, dropped: 50, droppedByReason: { buffer_full: 50 }, spooled: 0 });
      const summary = await stored();
      expect(summary.rows).toBe(100);
      for (let n = 0; n < 100; n++) expect(summary.byMarker.get(`f${n}`), `f${n}`).toHaveLength(1);
    });
  });
});
