import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32, decodeSegment, frameInto, HEADER_BYTES, RECORD_HEADER_BYTES, segmentHeader, SEGMENT_VERSION, tableCrc32 } from '../../../../src/pipeline/spool/framing';
import { nodeSpoolFs } from '../../../../src/pipeline/spool/fs';
import { readSegment } from '../../../../src/pipeline/spool/replay';

const events = Array.from({ length: 5 }, (_, i) => JSON.stringify({ eventType: 'token_usage', metricName: 'm', quantity: i, metadata: { note: 'ünïcode ✓' } }));

/** The records of `jsons`, framed in one piece (as the spool's group write frames them). */
function records(jsons: string[]): Buffer {
  const { data, next } = frameInto(Buffer.alloc(1 << 20), jsons, 0);
  expect(next).toBe(jsons.length);
  return data;
}

function segmentOf(jsons: string[]): Buffer {
  return Buffer.concat([segmentHeader(), records(jsons)]);
}

function payloads(data: Buffer): string[] {
  const decoded = decodeSegment(data);
  if (decoded.kind !== 'ok') throw new Error(decoded.kind);
  return decoded.payloads.map((payload) => payload.toString('utf8'));
}

/** Offset of the i-th record (all records before it intact). */
function recordOffset(data: Buffer, index: number): number {
  let offset = HEADER_BYTES;
  for (let i = 0; i < index; i++) offset += RECORD_HEADER_BYTES + data.readUInt32LE(offset);
  return offset;
}

describe('spool framing', () => {
  it('CRC-32 is the IEEE one, native and table alike', () => {
    const check = Buffer.from('123456789');
    expect(crc32(check)).toBe(0xcbf43926);
    expect(tableCrc32(check)).toBe(0xcbf43926);
    const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    expect(tableCrc32(random)).toBe(crc32(random));
  });

  it('reads back every record, UTF-8 included', () => {
    expect(payloads(segmentOf(events))).toEqual(events);
  });

  it('frames a group through a small scratch buffer in several pieces that read back in order, a record larger than the scratch alone', () => {
    const big = JSON.stringify({ note: 'x'.repeat(600) });
    const jsons = [...events, big, ...events];
    const scratch = Buffer.alloc(256);
    const pieces: Buffer[] = [];
    const firsts: number[] = [];
    for (let from = 0; from < jsons.length; ) {
      const { data, next } = frameInto(scratch, jsons, from);
      expect(next).toBeGreaterThan(from);
      firsts.push(from);
      pieces.push(Buffer.from(data)); // the next call reuses the scratch
      from = next;
    }
    expect(pieces.length).toBeGreaterThan(3);
    expect(firsts).toContain(jsons.indexOf(big));
    expect(payloads(Buffer.concat([segmentHeader(), ...pieces]))).toEqual(jsons);
  });

  it('a torn last record is skipped and counted; the rest is delivered', () => {
    const data = segmentOf(events);
    for (const cut of [1, 5, RECORD_HEADER_BYTES, RECORD_HEADER_BYTES + 3]) {
      const torn = data.subarray(0, data.length - (Buffer.byteLength(events[4] as string) + RECORD_HEADER_BYTES) + cut);
      expect(decodeSegment(torn)).toMatchObject({ kind: 'ok', corruptRecords: 1 });
      expect(payloads(torn)).toEqual(events.slice(0, 4));
    }
  });

  it('a garbled payload or length costs only its own record', () => {
    const payloadHit = segmentOf(events);
    const second = recordOffset(payloadHit, 2);
    payloadHit.writeUInt8((payloadHit.readUInt8(second + RECORD_HEADER_BYTES + 5) ^ 0xff) & 0xff, second + RECORD_HEADER_BYTES + 5);
    expect(decodeSegment(payloadHit)).toMatchObject({ kind: 'ok', corruptRecords: 1 });
    expect(payloads(payloadHit)).toEqual([events[0], events[1], events[3], events[4]]);

    const lengthHit = segmentOf(events);
    lengthHit.writeUInt32LE(0x00ffffff, recordOffset(lengthHit, 1));
    expect(decodeSegment(lengthHit)).toMatchObject({ kind: 'ok', corruptRecords: 1 });
    expect(payloads(lengthHit)).toEqual([events[0], events[2], events[3], events[4]]);
  });

  it('garbage after the records is one corrupt stretch, not one per byte', () => {
    const data = Buffer.concat([segmentOf(events), Buffer.alloc(300, 0x7b)]);
    expect(decodeSegment(data)).toMatchObject({ kind: 'ok', corruptRecords: 1 });
  });

  it('tells a newer format and a foreign file apart from a readable segment', () => {
    expect(decodeSegment(Buffer.concat([segmentHeader(SEGMENT_VERSION + 1), records(events)]))).toEqual({ kind: 'newer', version: SEGMENT_VERSION + 1 });
    expect(decodeSegment(Buffer.from('hello world, not a segment'))).toEqual({ kind: 'unreadable' });
    expect(decodeSegment(Buffer.from('BLSQ'))).toEqual({ kind: 'unreadable' });
    // A crash between creating a segment and completing its header.
    expect(decodeSegment(Buffer.alloc(0))).toEqual({ kind: 'empty' });
    expect(decodeSegment(segmentHeader().subarray(0, 5))).toEqual({ kind: 'empty' });
  });

  it('parses a segment a slice at a time, letting other callbacks run in between, with the same result', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bearlumen-framing-'));
    try {
      const wire = Array.from({ length: 60 }, (_, n) => ({ eventType: 'token_usage', metricName: 'm', quantity: n, idempotencyKey: `k${n}`, timestamp: '2026-01-01T00:00:00.000Z' }));
      const path = join(dir, 'runs.seg');
      // Six runs of ten events, ~1 KB each.
      writeFileSync(path, Buffer.concat([segmentHeader(), records([0, 1, 2, 3, 4, 5].map((r) => JSON.stringify(wire.slice(r * 10, r * 10 + 10))))]));
      /** How many setImmediate turns pass before `read` settles. */
      const countTurns = async (read: Promise<unknown>): Promise<number> => {
        let turns = 0;
        let isDone = false;
        void read.then(() => (isDone = true));
        while (!isDone) {
          turns += 1;
          await new Promise((resolve) => setImmediate(resolve));
        }
        return turns;
      };
      const whole = readSegment(nodeSpoolFs, path, Number.POSITIVE_INFINITY);
      expect(await countTurns(whole)).toBe(1);
      await expect(whole).resolves.toEqual({ kind: 'events', events: wire, corruptRecords: 0, bytes: expect.any(Number) as number });
      // A slice of 1 byte: one run per turn, so the read spans several turns.
      const sliced = readSegment(nodeSpoolFs, path, 1);
      expect(await countTurns(sliced)).toBeGreaterThanOrEqual(5);
      await expect(sliced).resolves.toEqual(await whole);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('replays format 1 (one event per record, as the previous version wrote) and format 2 (runs); a run element that is not an event counts as corrupt', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bearlumen-framing-'));
    try {
      const wire = Array.from({ length: 4 }, (_, n) => ({ eventType: 'token_usage', metricName: 'm', quantity: n, idempotencyKey: `k${n}`, timestamp: '2026-01-01T00:00:00.000Z' }));
      const v1 = join(dir, 'v1.seg');
      writeFileSync(v1, Buffer.concat([segmentHeader(1), records(wire.map((event) => JSON.stringify(event)))]));
      await expect(readSegment(nodeSpoolFs, v1)).resolves.toMatchObject({ kind: 'events', events: wire, corruptRecords: 0 });
      const v2 = join(dir, 'v2.seg');
      const runs = [JSON.stringify(wire.slice(0, 3)), JSON.stringify([wire[3], { not: 'an event' }])];
      writeFileSync(v2, Buffer.concat([segmentHeader(), records(runs)]));
      await expect(readSegment(nodeSpoolFs, v2)).resolves.toMatchObject({ kind: 'events', events: wire, corruptRecords: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
