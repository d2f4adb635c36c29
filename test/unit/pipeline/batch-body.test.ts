import { describe, expect, it } from 'vitest';
import type { UsageEventInput } from '../../../src/protocol/types';
import { encodeBatchBody } from '../../../src/pipeline/batch-body';
import { PendingEvent } from '../../../src/pipeline/pending-event';
import { EncodedRun } from '../../../src/pipeline/spool/runs';

function entry(n: number): PendingEvent {
  const event: UsageEventInput = { eventType: 'token_usage', metricName: 'm', quantity: n, idempotencyKey: `k${n}`, timestamp: '2026-01-01T00:00:00.000Z', metadata: { note: `ünï ${n} "q"` } };
  return new PendingEvent(event, 120);
}

/** Gives entries[start, end) one run, as the spool's group write does (its JSON is the events' array). */
function encodeRun(entries: PendingEvent[], start: number, end: number): EncodedRun {
  const members = entries.slice(start, end);
  const run = new EncodedRun(JSON.stringify(members.map((member) => member.event)), members[0] as PendingEvent, members.at(-1) as PendingEvent, members.length);
  for (const member of members) member.run = run;
  return run;
}

const bodyEvents = (entries: PendingEvent[]): unknown => (JSON.parse(encodeBatchBody(entries).toString('utf8')) as { events: unknown }).events;

describe('batch body', () => {
  const all = Array.from({ length: 40 }, (_, n) => entry(n));
  for (const [start, end] of [[0, 10], [10, 11], [11, 25], [30, 40]] as const) encodeRun(all, start, end); // 25–29: no run

  it('holds exactly the batch’s events, in order, whether whole runs, parts of runs or unencoded events make it up', () => {
    const batches = [all, all.slice(0, 11), all.slice(3, 18), all.slice(10, 11), all.slice(24, 33), all.slice(25, 30), all.slice(11, 24), all.slice(12, 25)];
    for (const batch of batches) expect(bodyEvents(batch)).toEqual(batch.map((member) => member.event));
  });

  it('never takes a run whose place in the batch another event holds (as long, same first and last event)', () => {
    for (const batch of [[...all.slice(0, 4), entry(99), ...all.slice(5, 10)], [...all.slice(0, 9), entry(98)]]) expect(bodyEvents(batch)).toEqual(batch.map((member) => member.event));
  });

  it('reuses the stored text of whole runs (no second JSON.stringify) and encodes the rest itself', () => {
    // A run's stored text is what the body carries: make one recognisable, and see it used only when whole.
    const marked = Array.from({ length: 6 }, (_, n) => entry(100 + n));
    const run = encodeRun(marked, 0, 6);
    const doctored = new EncodedRun(run.json.replace('"quantity":100', '"quantity":999'), run.first, run.last, run.count);
    for (const member of marked) member.run = doctored;
    expect((bodyEvents(marked) as Array<{ quantity: number }>)[0]?.quantity).toBe(999);
    expect((bodyEvents(marked.slice(0, 5)) as Array<{ quantity: number }>)[0]?.quantity).toBe(100);
  });
});
