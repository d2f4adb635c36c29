import * as zlib from 'node:zlib';

/**
 * The on-disk format of a segment: an 8-byte header (`BLSP`, a format version byte, three zero bytes),
 * then records, each `length u32 LE · crc32 u32 LE · payload`. In format 2 the payload is a JSON array
 * of events (UTF-8), a run the group write encoded with one JSON.stringify (runs.ts); format 1, which
 * this version still reads, held one event's JSON object per record. A record never spans segments.
 * Whatever a crash leaves (a torn last record, garbage) is found by the length and checksum and
 * skipped, never trusted.
 */
export const SEGMENT_MAGIC = 'BLSP';
/** Raised only when a reader of the previous version could not read the new format. */
export const SEGMENT_VERSION = 2;
export const HEADER_BYTES = 8;
export const RECORD_HEADER_BYTES = 8;
/** A record longer than this is garbage (an event is at most 1 MiB of JSON; the server's body limit is 16 MiB). */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** A payload starts with `{` (format 1: one event) or `[` (format 2: a run). */
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

let table: Uint32Array | undefined;

/** CRC-32 from a 256-entry table (the Node 18 path), exported for its test. */
export function tableCrc32(data: Uint8Array): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = (table[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const nativeCrc32: unknown = (zlib as { crc32?: unknown }).crc32;

/** CRC-32 (IEEE, as zlib and gzip): zlib's native one where Node has it (20.15+, 22.2+), a table otherwise (Node 18). */
export const crc32: (data: Uint8Array) => number =
  typeof nativeCrc32 === 'function' ? (data) => (nativeCrc32 as (data: Uint8Array) => number)(data) : tableCrc32;

/** The header every segment starts with. */
export function segmentHeader(version = SEGMENT_VERSION): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(SEGMENT_MAGIC, 0, 'latin1');
  header[4] = version;
  return header;
}

/**
 * Frames `jsons[from…]` into `scratch`, as many as surely fit (at least one: a record larger than the
 * scratch gets a buffer of its own). Returns the framed bytes (a view of `scratch`, valid until its
 * next use) and the index of the first record not framed. Reusing one scratch buffer spares a fresh
 * multi-megabyte allocation per group write, whose page faults cost as much as the encoding
 * (docs/benchmarks.md, "Spool group write").
 */
export function frameInto(scratch: Buffer, jsons: readonly string[], from: number): { data: Buffer; next: number } {
  const first = jsons[from] as string;
  const buffer = RECORD_HEADER_BYTES + first.length * 3 > scratch.length ? Buffer.allocUnsafe(RECORD_HEADER_BYTES + first.length * 3) : scratch;
  let offset = 0;
  let i = from;
  for (; i < jsons.length; i++) {
    const json = jsons[i] as string;
    const start = offset + RECORD_HEADER_BYTES;
    if (start + json.length * 3 > buffer.length) break; // never for the first: the buffer was sized for it
    const length = buffer.write(json, start, 'utf8');
    buffer.writeUInt32LE(length, offset);
    buffer.writeUInt32LE(crc32(buffer.subarray(start, start + length)), offset + 4);
    offset = start + length;
  }
  return { data: buffer.subarray(0, offset), next: i };
}

/** What a segment holds: its format version, the payloads that passed their checksum, and how many records did not. */
export type DecodedSegment =
  | { kind: 'ok'; payloads: Buffer[]; corruptRecords: number }
  | { kind: 'empty' }
  | { kind: 'newer'; version: number }
  | { kind: 'unreadable' };

/** A segment's header checked: its records can be read (`records()`), or why not. */
export type SegmentHeader = { kind: 'ok' } | { kind: 'empty' } | { kind: 'newer'; version: number } | { kind: 'unreadable' };

/** One step of reading records: an intact payload, or a bad record skipped (counted once). */
export type SegmentRecord = { payload: Buffer } | { payload: undefined };

/**
 * Reads every intact record of a segment (`empty`: a file cut before its header was complete, holding nothing). A bad record (torn, wrong checksum, impossible length) counts
 * once, and reading resumes at the next offset where a whole record checks out, so one garbled record
 * costs only itself.
 */
export function decodeSegment(data: Buffer): DecodedSegment {
  const header = checkHeader(data);
  if (header.kind !== 'ok') return header;
  const payloads: Buffer[] = [];
  let corruptRecords = 0;
  for (const record of records(data)) {
    if (record.payload === undefined) corruptRecords += 1;
    else payloads.push(record.payload);
  }
  return { kind: 'ok', payloads, corruptRecords };
}

/** Whether `data` starts with a segment header this version reads. */
export function checkHeader(data: Buffer): SegmentHeader {
  // A crash between creating the file and writing its header leaves it empty or with part of the header.
  if (data.length < HEADER_BYTES && data.equals(segmentHeader().subarray(0, data.length))) return { kind: 'empty' };
  if (data.length < HEADER_BYTES || data.toString('latin1', 0, 4) !== SEGMENT_MAGIC) return { kind: 'unreadable' };
  const version = data[4] as number;
  if (version > SEGMENT_VERSION) return { kind: 'newer', version };
  return { kind: 'ok' };
}

/**
 * The records of a segment whose header `checkHeader` accepted, one at a time, each checksum checked
 * as it is reached: a reader can stop between records (the read-back yields to the event loop, which
 * matters on Node 18, whose CRC-32 runs in JavaScript).
 */
export function* records(data: Buffer): Generator<SegmentRecord, void, undefined> {
  let offset = HEADER_BYTES;
  while (offset < data.length) {
    const length = recordAt(data, offset);
    if (length >= 0) {
      yield { payload: data.subarray(offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + length) };
      offset += RECORD_HEADER_BYTES + length;
      continue;
    }
    yield { payload: undefined };
    offset = nextRecord(data, offset + 1);
  }
}

/** The payload length of an intact record at `offset`, or -1. */
function recordAt(data: Buffer, offset: number): number {
  if (offset + RECORD_HEADER_BYTES >= data.length) return -1;
  const length = data.readUInt32LE(offset);
  const start = offset + RECORD_HEADER_BYTES;
  if (length === 0 || length > MAX_RECORD_BYTES || start + length > data.length || !opensPayload(data[start] as number)) return -1;
  return crc32(data.subarray(start, start + length)) === data.readUInt32LE(offset + 4) ? length : -1;
}

function nextRecord(data: Buffer, from: number): number {
  for (let offset = from; offset + RECORD_HEADER_BYTES < data.length; offset++) {
    if (opensPayload(data[offset + RECORD_HEADER_BYTES] as number) && recordAt(data, offset) >= 0) return offset;
  }
  return data.length;
}

function opensPayload(byte: number): boolean {
  return byte === OPEN_BRACKET || byte === OPEN_BRACE;
}
