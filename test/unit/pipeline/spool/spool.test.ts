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
  json: string | undefined = undefined;
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
  const spool = new Spool({ dir, sync: false, maxBytes: 1 << 30, logger: pino({ level: 'silent' }), onRoom: () => undefined, fs, ...(segmentBytes === undefined ? {} : { segmentBytes }) });
  return { spool, dir, writes: () => writes };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const segmentFiles = (dir: string): string[] => readdirSync(dir).filter((name) => name.endsWith('.seg'));

function settle(spool: Spool, entries: Entry[]): void {
  for (const entry of entries) {
    entry.isSettled = true;
    spool.settle(entry);
  }
}

describe('spool writer', () => {
  it('writes every event of a turn with one write, before the turn ends, each encoded once and kept for the batch body', async () => {
    const { spool, dir, writes } = open();
    const entries = Array.from({ length: 100 }, (_, n) => new Entry(n));
    for (const entry of entries) spool.append(entry);
    expect(writes()).toBe(0);
    // Still in the same turn: a nextTick queued after the appends runs after the group write.
    await new Promise((resolve) => process.nextTick(resolve));
    expect(writes()).toBe(2); // the segment header, then the group
    const decoded = decodeSegment(readFileSync(join(dir, segmentFiles(dir)[0] as string)));
    expect(decoded.kind === 'ok' ? decoded.payloads.map((p) => p.toString()) : []).toEqual(entries.map((entry) => JSON.stringify(entry.event)));
    expect(entries.every((entry) => entry.json === JSON.stringify(entry.event) && entry.segment !== undefined)).toBe(true);
    spool.close();
  });

  it('rolls full segments and deletes each, whole, once all its events are settled', async () => {
    const { spool, dir } = open(4096);
    const batches: Entry[][] = [];
    for (let t = 0; t < 10; t++) {
      const batch = Array.from({ length: 20 }, (_, n) => new Entry(t * 20 + n));
      for (const entry of batch) spool.append(entry);
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
    for (const entry of entries) spool.append(entry);
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
    spool.append(entry);
    entry.isSettled = true;
    await turn();
    expect(writes()).toBe(0);
    expect(segmentFiles(dir)).toEqual([]);
    spool.close();
  });
});
