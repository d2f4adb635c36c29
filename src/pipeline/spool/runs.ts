import { PIECE_BYTES } from '../json-piece';
import type { Segment, SpoolEntry } from './segment';

/**
 * Consecutive events of one group write encoded together: `json` is `[e1,…,en]`, written to the spool
 * as one record and reused for the batch body when a batch holds the whole run (`first` … `last`, in
 * the order they were recorded; see batch-body.ts).
 */
export class EncodedRun {
  readonly json: string;
  readonly first: SpoolEntry;
  readonly last: SpoolEntry;
  readonly count: number;

  constructor(json: string, first: SpoolEntry, last: SpoolEntry, count: number) {
    this.json = json;
    this.first = first;
    this.last = last;
    this.count = count;
  }
}

/** A group cut into runs: `entries` (the unsettled ones, in order), and per run its JSON and the end of its slice of `entries`. */
export interface EncodedGroup<E extends SpoolEntry> {
  readonly entries: E[];
  readonly jsons: string[];
  readonly ends: number[];
}

/**
 * Cuts `group` into runs of about PIECE_BYTES and encodes each with one JSON.stringify. A run never
 * crosses a batch start (`starts`: ascending indexes into `group` where the pipeline began a new
 * batch), so a batch is made of whole runs and its body reuses their text. Settled entries are left out.
 */
export function encodeRuns<E extends SpoolEntry>(group: readonly E[], starts: readonly number[]): EncodedGroup<E> {
  const entries: E[] = [];
  const jsons: string[] = [];
  const ends: number[] = [];
  let events: object[] = [];
  let bytes = 0;
  let nextStart = 0;
  for (let i = 0; i < group.length; i++) {
    const entry = group[i] as E;
    let startsBatch = false;
    while (nextStart < starts.length && (starts[nextStart] as number) <= i) startsBatch = starts[nextStart++] === i;
    if (events.length > 0 && (startsBatch || bytes >= PIECE_BYTES)) {
      jsons.push(JSON.stringify(events));
      ends.push(entries.length);
      events = [];
      bytes = 0;
    }
    if (entry.isSettled) continue;
    events.push(entry.event);
    entries.push(entry);
    bytes += entry.bytes;
  }
  if (events.length > 0) {
    jsons.push(JSON.stringify(events));
    ends.push(entries.length);
  }
  return { entries, jsons, ends };
}

/** Hands runs [from, next) of a written group, their text and segment, to their held entries: the batch body reuses the text. */
export function keepRuns({ entries, jsons, ends }: EncodedGroup<SpoolEntry>, from: number, next: number, segment: Segment): void {
  for (let index = from; index < next; index++) {
    const start = index === 0 ? 0 : (ends[index - 1] as number);
    const end = ends[index] as number;
    const run = new EncodedRun(jsons[index] as string, entries[start] as SpoolEntry, entries[end - 1] as SpoolEntry, end - start);
    for (let i = start; i < end; i++) {
      const entry = entries[i] as SpoolEntry;
      entry.run = run;
      entry.segment = segment;
    }
  }
}
