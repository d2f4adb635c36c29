import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeSegment } from '../../../../src/pipeline/spool/framing';
import { nodeSpoolFs, type SpoolFs } from '../../../../src/pipeline/spool/fs';
import type { SpoolEntry } from '../../../../src/pipeline/spool/segment';
import { Spool } from '../../../../src/pipeline/spool/spool';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

class Entry implements SpoolEntry {
  readonly event: object;
  readonly bytes = 100;
  isSettled = false;
  run: SpoolEntry['run'] = undefined;
  segment: SpoolEntry['segment'] = undefined;
  constructor(n: number) {
    this.event = { eventType: 'token_usage', metricName: 'm', quantity: n, idempotencyKey: `k${n}`, timestamp: '2026-01-01T00:00:00.000Z' };
  }
}

function open(segmentBytes?: number): { spool: Spool; dir: string; writes: () => number } {
  const dir = mkdtempSync(join(tmpdir(), 'bearlumen-spool-unit-'));
  dirs.push(dir);
  let writes = 0;
  const fs: SpoolFs = {
    ...nodeSpoolFs,
    write: (fd, data) => {
      writes += 1;
      nodeSpoolFs.write(fd, data);
    },
  };
  const spool = new Spool({ dir, sync: false, maxBytes: 1 << 30, logger: pino({ level: 'silent' }), onRoom: () => undefined, onSpilled: () => undefined, fs, ...(segmentBytes === undefined ? {} : { segmentBytes }) });
  return { spool, dir, writes: () => writes };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const segmentFiles = (dir: string): string[] => readdirSync(dir).filter((name) => name.endsWith('.seg'));

function payloadsOf(dir: string): string[] {
  const decoded = decodeSegment(readFileSync(join(dir, segmentFiles(dir)[0] as string)));
  return decoded.kind === 'ok' ? decoded.payloads.map((payload) => payload.toString()) : [];
}

function settle(spool: Spool, entries: Entry[]): void {
  for (const entry of entries) {
    entry.isSettled = true;
    spool.settle(entry);
  }
}

describe('spool writer', () => {
  it('writes every event of a turn with one write, before the turn ends, encoded once in runs that are kept for the batch body', async () => {
    const { spool, dir, writes } = open();
    const entries = Array.from({ length: 100 }, (_, n) => new Entry(n));
    for (const entry of entries) spool.append(entry, false);
    expect(writes()).toBe(0);
    // Still in the same turn: a nextTick queued after the appends runs after the group write.
    await new Promise((resolve) => process.nextTick(resolve));
    expect(writes()).toBe(2); // the segment header, then the group
    const json = JSON.stringify(entries.map((entry) => entry.event));
    expect(payloadsOf(dir)).toEqual([json]); // 100 events of ~100 bytes: one run, one record
    const run = entries[0]?.run;
    expect(run).toMatchObject({ json, first: entries[0], last: entries[99], count: 100 });
    expect(entries.every((entry) => entry.run === run && entry.segment !== undefined)).toBe(true);
    spool.close();
  });

  it('cuts runs at every batch start and at about 32 KB, leaving settled events out; each run reads back as one record', async () => {
    const { spool, dir } = open();
    const entries = Array.from({ length: 800 }, (_, n) => new Entry(n)); // 100 estimated bytes each: ~328 per 32 KB run
    const starts = new Set([0, 10, 11, 500]);
    for (const [n, entry] of entries.entries()) spool.append(entry, starts.has(n));
    entries[20]!.isSettled = true;
    await turn();
    const runs = [...new Set(entries.map((entry) => entry.run))].filter((run) => run !== undefined);
    // 0–9 | 10 | 328 live from 11 (the settled 20 left out) | 340–499 | 500–799
    expect(runs.map((run) => run.count)).toEqual([10, 1, 328, 160, 300]);
    expect(entries[20]?.run).toBeUndefined();
    // Each run keeps its own text for the batch body.
    for (const run of runs) expect(run.json).toBe(JSON.stringify(entries.filter((entry) => entry.run === run).map((entry) => entry.event)));
    const live = entries.filter((entry) => !entry.isSettled);
    expect(payloadsOf(dir).flatMap((payload) => JSON.parse(payload) as object[])).toEqual(live.map((entry) => entry.event));
    expect(payloadsOf(dir)).toHaveLength(5);
    spool.close();
  });

  it('rolls full segments and deletes each, whole, once all its events are settled', async () => {
    const { spool, dir } = open(4096);
    const batches: Entry[][] = [];
    for (let t = 0; t < 10; t++) {
      const batch = Array.from({ length: 20 }, (_, n) => new Entry(t * 20 + n));
      for (const entry of batch) spool.append(entry, false);
      batches.push(batch);
      await turn();
    }
    const written = segmentFiles(dir).length;
    expect(written).toBeGreaterThan(3);
    expect(spool.stats().segments).toBe(written);
    settle(spool, batches.slice(0, 5).flat());
    const afterHalf = segmentFiles(dir).length;
    expect(afterHalf).toBeLessThan(written);
    expect(afterHalf).toBeGreaterThan(0);
    settle(spool, batches.slice(5).flat());
    // Only the active segment is left; close() removes it and the lock.
    expect(segmentFiles(dir)).toHaveLength(1);
    spool.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps segments with unsettled or retained events at close, for the next client', async () => {
    const { spool, dir } = open();
    const entries = Array.from({ length: 5 }, (_, n) => new Entry(n));
    for (const entry of entries) spool.append(entry, false);
    await turn();
    spool.retain(entries.slice(0, 1));
    settle(spool, entries);
    spool.close();
    expect(segmentFiles(dir)).toHaveLength(1);
    expect(readdirSync(dir).filter((name) => name.endsWith('.owner'))).toEqual([]);
  });

  it('an event settled before its turn ended is not written', async () => {
    const { spool, dir, writes } = open();
    const entry = new Entry(1);
    spool.append(entry, false);
    entry.isSettled = true;
    await turn();
    expect(writes()).toBe(0);
    expect(segmentFiles(dir)).toEqual([]);
    spool.close();
  });
});

describe('spool spill', () => {
  /** A spool with a replay target whose memory room the test opens and closes. */
  function spilling(): { spool: Spool<Entry>; dir: string; spilled: Array<{ entries: readonly Entry[]; error: unknown }>; fed: Array<{ event: object; segment: unknown }>; open: () => void } {
    const dir = mkdtempSync(join(tmpdir(), 'bearlumen-spill-unit-'));
    dirs.push(dir);
    const spilled: Array<{ entries: readonly Entry[]; error: unknown }> = [];
    const spool = new Spool<Entry>({ dir, sync: false, maxBytes: 1 << 30, logger: pino({ level: 'silent' }), onRoom: () => undefined, onSpilled: (entries, error) => spilled.push({ entries, error }) });
    const fed: Array<{ event: object; segment: unknown }> = [];
    let hasRoom = false;
    let resume: ((value: boolean) => void) | undefined;
    spool.replay({
      room: () => hasRoom || new Promise<boolean>((resolve) => (resume = resolve)),
      admit: (event, segment) => {
        fed.push({ event, segment });
        return true;
      },
    });
    const open = (): void => {
      hasRoom = true;
      resume?.(true);
    };
    return { spool, dir, spilled, fed, open };
  }

  it('writes spilled events to a segment of their own in the turn group, keeps nothing of them, and reads them back only once memory has room', async () => {
    const { spool, dir, spilled, fed, open } = spilling();
    const held = Array.from({ length: 3 }, (_, n) => new Entry(n));
    const over = Array.from({ length: 5 }, (_, n) => new Entry(10 + n));
    for (const entry of held) spool.append(entry, false);
    for (const entry of over) spool.spill(entry);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(spilled).toEqual([{ entries: over, error: undefined }]);
    expect(over.every((entry) => entry.segment === undefined && entry.run === undefined)).toBe(true);
    expect(segmentFiles(dir)).toHaveLength(2);
    expect(spool.stats()).toMatchObject({ spilled: 5, spilledWaiting: 5 });
    for (let i = 0; i < 5; i++) await turn();
    expect(fed).toEqual([]);
    open();
    for (let i = 0; i < 5 && fed.length < 5; i++) await turn();
    expect(fed.map(({ event }) => event)).toEqual(over.map((entry) => entry.event));
    expect(spool.stats()).toMatchObject({ spilledWaiting: 0, segments: 2 });
    // Settling the read-back events deletes their segment.
    const segment = fed[0]?.segment as Entry['segment'];
    for (let i = 0; i < 5; i++) spool.settle({ ...new Entry(0), isSettled: true, segment });
    expect(segmentFiles(dir)).toHaveLength(1);
    spool.close();
  });
});
