import type { UsageEventInput } from '../protocol/types';
import type { PendingEvent } from './pending-event';

/**
 * Estimated JSON bytes per encoded piece. Node 22 and 24 build any string over ~128 KiB in V8's
 * large-object space and JSON.stringify slows ~5× past that size; Node 18 and 20 pay a similar price
 * to turn such a string into bytes for gzip. Pieces this small stay fast on all four (measured in
 * docs/benchmarks.md, "Batch body encoding"); an event is at most ~11 KB, so no piece nears the cliff.
 */
const PIECE_BYTES = 32 * 1024;

const OPEN = Buffer.from('{"events":[');
const CLOSE = Buffer.from(']}');
const COMMA = Buffer.from(',');

/**
 * `{"events":[…]}` as UTF-8 bytes, encoded in pieces of a few dozen KB: each piece is one
 * JSON.stringify of a run of events (V8 serialises same-shaped objects much faster in one call than
 * one by one), or, for events the spool already encoded, their stored text (no second JSON.stringify
 * of the same event). Built per attempt: a batch waiting for a retry holds no second copy of its
 * events (maxBufferedBytes bounds the heap).
 */
export function encodeBatchBody(entries: readonly PendingEvent[]): Buffer {
  const chunks: Buffer[] = [OPEN];
  let start = 0;
  while (start < entries.length) {
    let end = start;
    let bytes = 0;
    let encoded = false;
    while (end < entries.length && (end === start || bytes < PIECE_BYTES)) {
      const entry = entries[end] as PendingEvent;
      bytes += entry.bytes;
      if (entry.json !== undefined) encoded = true;
      end++;
    }
    if (start > 0) chunks.push(COMMA);
    chunks.push(Buffer.from(encoded ? encodedPiece(entries, start, end) : stringifiedPiece(entries, start, end)));
    start = end;
  }
  chunks.push(CLOSE);
  return Buffer.concat(chunks);
}

/** The events of entries[start, end) as one JSON.stringify, without the array's brackets. */
function stringifiedPiece(entries: readonly PendingEvent[], start: number, end: number): string {
  const events = new Array<UsageEventInput>(end - start);
  for (let i = start; i < end; i++) events[i - start] = (entries[i] as PendingEvent).event;
  const json = JSON.stringify(events);
  return json.slice(1, -1);
}

/** The spool's stored text of entries[start, end), joined (an event without it is serialised here). */
function encodedPiece(entries: readonly PendingEvent[], start: number, end: number): string {
  const parts = new Array<string>(end - start);
  for (let i = start; i < end; i++) {
    const entry = entries[i] as PendingEvent;
    parts[i - start] = entry.json ?? JSON.stringify(entry.event);
  }
  return parts.join(',');
}
