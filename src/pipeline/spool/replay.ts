import type { UsageEventInput } from '../../protocol/types';
import { decodeSegment } from './framing';
import type { SpoolFs } from './fs';

/** What a claimed segment yields for replay. */
export type ReplayableSegment =
  | { kind: 'events'; events: UsageEventInput[]; corruptRecords: number; bytes: number }
  | { kind: 'newer'; version: number; bytes: number }
  | { kind: 'unreadable'; bytes: number };

/**
 * Reads a claimed segment back into wire events, exactly as they were first recorded (idempotency key
 * and timestamp included), so a replayed event that had reached the server is answered as a duplicate.
 * A record whose checksum holds but whose payload is not an event with a key and a timestamp counts as
 * corrupt too. @throws the file system's error.
 */
export function readSegment(fs: SpoolFs, path: string): ReplayableSegment {
  const data = fs.readFile(path);
  const decoded = decodeSegment(data);
  if (decoded.kind === 'newer') return { kind: 'newer', version: decoded.version, bytes: data.length };
  if (decoded.kind === 'unreadable') return { kind: 'unreadable', bytes: data.length };
  if (decoded.kind === 'empty') return { kind: 'events', events: [], corruptRecords: 0, bytes: data.length };
  let corruptRecords = decoded.corruptRecords;
  const events: UsageEventInput[] = [];
  for (const payload of decoded.payloads) {
    const event = parseEvent(payload);
    if (event === undefined) corruptRecords += 1;
    else events.push(event);
  }
  return { kind: 'events', events, corruptRecords, bytes: data.length };
}

function parseEvent(payload: Buffer): UsageEventInput | undefined {
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const event = value as Partial<UsageEventInput>;
    if (typeof event.idempotencyKey !== 'string' || typeof event.timestamp !== 'string') return undefined;
    if (typeof event.eventType !== 'string' || typeof event.metricName !== 'string' || typeof event.quantity !== 'number') return undefined;
    return event as UsageEventInput;
  } catch {
    return undefined;
  }
}
