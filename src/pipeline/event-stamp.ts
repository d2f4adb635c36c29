import { createEventKeyGenerator } from '../internal/idempotency';
import type { Metadata, UsageEventInput } from '../protocol/types';

/** JSON punctuation and field names of an event, plus a quantity and a timestamp, in bytes. */
const EVENT_OVERHEAD_BYTES = 120;

/**
 * Estimated JSON size of an event in bytes, without serialising it (record() is on the caller's hot
 * path). Counts characters, so non-ASCII text is undercounted (up to 3 bytes each): the batch byte cap
 * leaves room for that, and a 413 splits the batch anyway.
 */
export function estimateEventBytes(event: UsageEventInput): number {
  let bytes = EVENT_OVERHEAD_BYTES + event.eventType.length + event.metricName.length;
  if (event.idempotencyKey !== undefined) bytes += event.idempotencyKey.length;
  if (event.subscriptionId !== undefined) bytes += event.subscriptionId.length + 20;
  if (event.metadata !== undefined) bytes += estimateMetadataBytes(event.metadata);
  return bytes;
}

/** One level deep by hand; nested values (rare) are serialised. */
function estimateMetadataBytes(metadata: Metadata): number {
  let bytes = 2;
  for (const key in metadata) {
    const value = metadata[key];
    bytes += key.length + 4;
    if (typeof value === 'string') bytes += value.length + 2;
    else if (typeof value === 'number') bytes += 24;
    else if (typeof value === 'boolean' || value === null) bytes += 5;
    else if (value !== undefined) bytes += JSON.stringify(value)?.length ?? 0;
  }
  return bytes;
}

/**
 * Stamps events with what the server needs to deduplicate and price them: `timestamp` (the call time)
 * and `idempotencyKey` (time-ordered, per-client random prefix + counter: DESIGN §2 measured a
 * randomUUID per event at ~3× the cost) when the caller gave none. Never mutates the caller's object.
 */
export function createEventStamper(now: () => number = Date.now): (event: UsageEventInput) => UsageEventInput {
  const nextKey = createEventKeyGenerator(now);
  // Many events share a millisecond; formatting the date once per ms keeps record() cheap.
  let lastMs = -1;
  let lastIso = '';
  return (event) => {
    const hasKey = event.idempotencyKey !== undefined;
    const hasTimestamp = event.timestamp !== undefined;
    if (hasKey && hasTimestamp) return event;
    const ms = now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastIso = new Date(ms).toISOString();
    }
    return {
      ...event,
      timestamp: hasTimestamp ? (event.timestamp as string) : lastIso,
      idempotencyKey: hasKey ? (event.idempotencyKey as string) : nextKey(),
    };
  };
}
