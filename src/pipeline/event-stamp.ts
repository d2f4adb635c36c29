import { randomBytes } from 'node:crypto';
import type { Metadata, UsageEventInput } from '../protocol/types';

/** JSON punctuation and field names of an event, plus a quantity and a timestamp, in bytes. */
const EVENT_OVERHEAD_BYTES = 120;

/** Strings up to this length count 3 bytes a character without looking at them; longer ones are measured. */
const SHORT_STRING = 32;

/**
 * UTF-8 bytes of a string, or an upper bound: a UTF-16 code unit is at most 3 UTF-8 bytes, so a short
 * string counts 3 a character (no scan; over by at most 64 bytes), a longer one is measured exactly.
 */
function utf8Bytes(text: string): number {
  return text.length <= SHORT_STRING ? text.length * 3 : Buffer.byteLength(text, 'utf8');
}

/**
 * Estimated JSON size of an event in UTF-8 bytes, without serialising it (record() is on the caller's
 * hot path): EVENT_OVERHEAD_BYTES, plus the UTF-8 bytes of every string (names, keys, metadata keys and
 * values; ASCII-only fields such as eventType and idempotencyKey by length), 24 per number. An upper
 * bound of the JSON except for escapes (a control character written as `\u00XX` counts 1–3 bytes, not 6).
 * docs/pipeline.md ("What maxBufferedBytes covers") relates it to the heap.
 */
export function estimateEventBytes(event: UsageEventInput): number {
  // eventType and metricName match NAME_PATTERN and keys are printable ASCII: one byte a character.
  let bytes = EVENT_OVERHEAD_BYTES + event.eventType.length + event.metricName.length;
  if (event.idempotencyKey !== undefined) bytes += event.idempotencyKey.length;
  if (event.subscriptionId !== undefined) bytes += utf8Bytes(event.subscriptionId) + 20;
  if (event.metadata !== undefined) bytes += estimateMetadataBytes(event.metadata);
  return bytes;
}

/** One level deep by hand; nested values (rare) are serialised. */
function estimateMetadataBytes(metadata: Metadata): number {
  let bytes = 2;
  for (const key in metadata) {
    const value = metadata[key];
    bytes += utf8Bytes(key) + 4;
    if (typeof value === 'string') bytes += utf8Bytes(value) + 2;
    else if (typeof value === 'number') bytes += 24;
    else if (typeof value === 'boolean' || value === null) bytes += 5;
    else if (value !== undefined) bytes += utf8Bytes(JSON.stringify(value) ?? '');
  }
  return bytes;
}

/**
 * The counter part of a key is `(COUNTER_BASE + n).toString(36)`: six base-36 digits from the first
 * event on, so no padStart per event; it grows to seven digits only after ~2.1 billion events.
 */
const COUNTER_BASE = 36 ** 5;

/**
 * Stamps events IN PLACE with what the server needs to deduplicate and price them: `timestamp` (the
 * call time) and `idempotencyKey`, each only when missing. The pipeline owns the event it is given (a
 * fresh object from toWireEvent, never the caller's), so no copy is made. Keys are
 * `<time36>-<client prefix>-<counter36>`, the format of `createEventKeyGenerator` (internal/idempotency):
 * unique (48 random bits per client plus a counter) and time-ordered, so the server's unique index grows
 * by appends (docs/design-decisions.md, "Idempotency keys": a randomUUID per event cost ~3× in record() and in ingest).
 *
 * Hot path: the time part of the key and the ISO timestamp are formatted once per millisecond, and the
 * event already has both slots (toWireEvent builds every wire event with the same fields), so filling
 * them changes no hidden class (bench/, docs/benchmarks.md).
 */
export function createEventStamper(now: () => number = Date.now): (event: UsageEventInput) => void {
  const prefix = randomBytes(6).toString('hex');
  let counter = COUNTER_BASE;
  let lastMs = -1;
  let lastIso = '';
  let keyHead = '';
  return (event) => {
    const needsKey = event.idempotencyKey === undefined;
    const needsTimestamp = event.timestamp === undefined;
    if (!needsKey && !needsTimestamp) return;
    const ms = now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastIso = new Date(ms).toISOString();
      keyHead = `${ms.toString(36).padStart(9, '0')}-${prefix}-`;
    }
    if (needsKey) {
      counter += 1;
      event.idempotencyKey = keyHead + counter.toString(36);
    }
    if (needsTimestamp) event.timestamp = lastIso;
  };
}
