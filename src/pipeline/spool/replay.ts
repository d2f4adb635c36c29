import type { UsageEventInput } from '../../protocol/types';
import { checkHeader, records } from './framing';
import type { SpoolFs } from './fs';

/** What a claimed segment yields for replay. */
export type ReplayableSegment =
  | { kind: 'events'; events: UsageEventInput[]; corruptRecords: number; bytes: number }
  | { kind: 'newer'; version: number; bytes: number }
  | { kind: 'unreadable'; bytes: number };

/** Payload bytes checked and parsed per event-loop turn while a segment is read back (~2 ms). */
const PARSE_SLICE_BYTES = 512 * 1024;

/**
 * Reads a claimed segment back into wire events, exactly as they were first recorded (idempotency key
 * and timestamp included), so a replayed event that had reached the server is answered as a duplicate.
 * A record whose checksum holds but whose payload is not an event (or a run of events) with a key and a
 * timestamp counts as corrupt too, as does each element of a run that is not one. Records are checked
 * and parsed `sliceBytes` at a time, yielding to the event loop in between: an 8 MiB segment read in
 * one go held the loop for ~30 ms (docs/benchmarks.md "Replay: the longest stall"). @throws the file system's error.
 */
export async function readSegment(fs: SpoolFs, path: string, sliceBytes = PARSE_SLICE_BYTES): Promise<ReplayableSegment> {
  const data = fs.readFile(path);
  const header = checkHeader(data);
  if (header.kind === 'newer') return { kind: 'newer', version: header.version, bytes: data.length };
  if (header.kind === 'unreadable') return { kind: 'unreadable', bytes: data.length };
  if (header.kind === 'empty') return { kind: 'events', events: [], corruptRecords: 0, bytes: data.length };
  let corruptRecords = 0;
  const events: UsageEventInput[] = [];
  let read = 0;
  for (const { payload } of records(data)) {
    if (payload === undefined) {
      corruptRecords += 1;
      continue;
    }
    if (read >= sliceBytes) {
      read = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    read += payload.length;
    const value = parsePayload(payload);
    // A run (format 2) holds several events, a format-1 record one; a payload or an element that is not an event counts once.
    const items = Array.isArray(value) ? (value as unknown[]) : [value];
    for (const item of items) {
      if (isEvent(item)) events.push(item);
      else corruptRecords += 1;
    }
  }
  return { kind: 'events', events, corruptRecords, bytes: data.length };
}

function parsePayload(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}

function isEvent(value: unknown): value is UsageEventInput {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const event = value as Partial<UsageEventInput>;
  return typeof event.idempotencyKey === 'string' && typeof event.timestamp === 'string' && typeof event.eventType === 'string' && typeof event.metricName === 'string' && typeof event.quantity === 'number';
}
