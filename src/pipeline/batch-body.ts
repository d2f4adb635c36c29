import type { UsageEventInput } from '../protocol/types';
import { PIECE_BYTES } from './json-piece';
import type { PendingEvent } from './pending-event';
import type { EncodedRun } from './spool/runs';

const OPEN = Buffer.from('{"events":[');
const CLOSE = Buffer.from(']}');
const COMMA = Buffer.from(',');

/**
 * `{"events":[…]}` as UTF-8 bytes, encoded in pieces of a few dozen KB: a run the spool already encoded
 * (spool/runs.ts) when the batch holds the whole of it, its stored text (no second JSON.stringify of the
 * same events); otherwise one JSON.stringify of a run of events (V8 serialises same-shaped objects much
 * faster in one call than one by one). Built per attempt: a batch waiting for a retry holds no second
 * copy of its events (maxBufferedBytes bounds the heap).
 */
export function encodeBatchBody(entries: readonly PendingEvent[]): Buffer {
  const chunks: Buffer[] = [OPEN];
  let start = 0;
  while (start < entries.length) {
    if (start > 0) chunks.push(COMMA);
    const run = wholeRunAt(entries, start);
    if (run !== undefined) {
      const json = Buffer.from(run.json);
      chunks.push(json.subarray(1, json.length - 1));
      start += run.count;
      continue;
    }
    let end = start;
    let bytes = 0;
    while (end < entries.length && (end === start || (bytes < PIECE_BYTES && !startsRun(entries[end] as PendingEvent)))) {
      bytes += (entries[end] as PendingEvent).bytes;
      end++;
    }
    chunks.push(Buffer.from(stringifiedPiece(entries, start, end)));
    start = end;
  }
  chunks.push(CLOSE);
  return Buffer.concat(chunks);
}

/** The run starting at entries[start] when entries holds all of it, in order (a batch is cut from events in the order they were recorded). */
function wholeRunAt(entries: readonly PendingEvent[], start: number): EncodedRun | undefined {
  const first = entries[start] as PendingEvent;
  const run = first.run;
  if (run === undefined || run.first !== first || start + run.count > entries.length || entries[start + run.count - 1] !== run.last) return undefined;
  for (let i = start + 1; i < start + run.count - 1; i++) if ((entries[i] as PendingEvent).run !== run) return undefined;
  return run;
}

function startsRun(entry: PendingEvent): boolean {
  return entry.run !== undefined && entry.run.first === entry;
}

/** The events of entries[start, end) as one JSON.stringify, without the array's brackets. */
function stringifiedPiece(entries: readonly PendingEvent[], start: number, end: number): string {
  const events = new Array<UsageEventInput>(end - start);
  for (let i = start; i < end; i++) events[i - start] = (entries[i] as PendingEvent).event;
  const json = JSON.stringify(events);
  return json.slice(1, -1);
}
