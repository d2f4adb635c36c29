/** Validation and folding of usage events: the hot path of `usage.record`, kept allocation-light. */
import {
  INTEGER_METRIC_PREFIX,
  MAX_BATCH_SIZE,
  MAX_EVENT_AGE_MS,
  MAX_EVENT_SKEW_MS,
  MAX_NAME_LENGTH,
  MAX_QUANTITY,
} from '../protocol/limits';
import { NAME_PATTERN } from '../protocol/limits';
import type { Metadata, UsageEventInput } from '../protocol/types';
import {
  assertKnownKeys,
  assertObject,
  assertString,
  assertDateTime,
  fail,
  optionalIdempotencyKey,
  ownMetadata,
} from './validate';

const EVENT_KEY_LIST = ['eventType', 'metricName', 'quantity', 'subscriptionId', 'idempotencyKey', 'timestamp', 'metadata', 'agent_id', 'workflow_id'] as const;
const EVENT_KEYS: ReadonlySet<string> = new Set(EVENT_KEY_LIST);

/** EVENT_KEYS.has(key), as a switch: ~5× cheaper per key than a Set lookup on the record() path (bench/). */
function isEventKey(key: string): boolean {
  switch (key) {
    case 'eventType':
    case 'metricName':
    case 'quantity':
    case 'subscriptionId':
    case 'idempotencyKey':
    case 'timestamp':
    case 'metadata':
    case 'agent_id':
    case 'workflow_id':
      return true;
    default:
      return false;
  }
}

const NAME_RULE = { max: MAX_NAME_LENGTH, pattern: NAME_PATTERN, patternRule: 'must contain only letters, digits and _ . : -' };

/**
 * Validates one `usage.record` / `recordBatch` input and returns the wire event: `agent_id` and
 * `workflow_id` are folded into `metadata.agent_id` / `metadata.workflow_id`, and they WIN over keys of
 * the same name already in `metadata` (the explicit parameter is the more specific statement).
 * The caller's objects are never mutated.
 * @param field path prefix for error messages, e.g. `events[3]`; '' for a single event.
 * @param now the clock, ms (injected for tests); read only when the event carries a timestamp.
 * @throws {BearLumenValidationError} naming the first broken rule.
 */
export function toWireEvent(input: unknown, field: string, now: () => number): UsageEventInput {
  assertObject(input, field === '' ? 'event' : field);
  for (const key in input) {
    if (!isEventKey(key) && input[key] !== undefined) assertKnownKeys(input, EVENT_KEYS, field);
  }
  const { eventType, metricName, quantity, subscriptionId, idempotencyKey, timestamp, metadata, agent_id, workflow_id } = input;
  assertName(eventType, field, 'eventType');
  assertName(metricName, field, 'metricName');
  if (typeof quantity !== 'number' || !Number.isFinite(quantity) || quantity < 0 || quantity > MAX_QUANTITY) {
    fail(at(field, 'quantity'), `must be a finite number between 0 and ${MAX_QUANTITY}`, quantity);
  }
  if (!Number.isInteger(quantity) && metricName.startsWith(INTEGER_METRIC_PREFIX)) {
    fail(at(field, 'quantity'), `must be an integer for ${INTEGER_METRIC_PREFIX}* metrics (token counts)`, quantity);
  }
  if (subscriptionId !== undefined) assertString(subscriptionId, at(field, 'subscriptionId'));
  if (idempotencyKey !== undefined) optionalIdempotencyKey(idempotencyKey, at(field, 'idempotencyKey'));
  if (timestamp !== undefined) {
    const ms = assertDateTime(timestamp, at(field, 'timestamp'));
    const nowMs = now();
    if (ms < nowMs - MAX_EVENT_AGE_MS || ms > nowMs + MAX_EVENT_SKEW_MS) {
      fail(at(field, 'timestamp'), 'must lie between 35 days ago and 5 minutes from now', timestamp);
    }
  }
  if (agent_id !== undefined) assertString(agent_id, at(field, 'agent_id'));
  if (workflow_id !== undefined) assertString(workflow_id, at(field, 'workflow_id'));
  if (metadata !== undefined) assertObject(metadata, at(field, 'metadata'));

  // Always a copy, so the event is sent as it was at record() even if the caller reuses and changes its
  // object before the batch leaves (nested objects: ownMetadata copies them deeply). Copied key by key,
  // not spread: on Node 18 and 20 (V8 <= 11.3) every optimized spread copy of the caller's object gets a
  // hidden class of its own, ~1.3 us and ~300 bytes per event (bench/, docs/benchmarks.md).
  // The explicit ids are set last, so they win.
  let folded: Metadata | undefined;
  if (metadata !== undefined || agent_id !== undefined || workflow_id !== undefined) {
    const copy = copyOwnKeys(metadata);
    if (agent_id !== undefined) copy['agent_id'] = agent_id;
    if (workflow_id !== undefined) copy['workflow_id'] = workflow_id;
    folded = ownMetadata(copy, at(field, 'metadata')) as Metadata;
  }

  // Every wire event is built with the same fields in the same order, absent ones undefined (JSON omits
  // them): one hidden class, and the pipeline fills idempotencyKey and timestamp in place instead of
  // copying the event (~0.2 us per record(), bench/). subscriptionId is rare and gets a shape of its own.
  const key = idempotencyKey as string | undefined;
  const time = timestamp as string | undefined;
  const event: WireEventSlots =
    subscriptionId === undefined
      ? { eventType, metricName, quantity, idempotencyKey: key, timestamp: time, metadata: folded }
      : { eventType, metricName, quantity, idempotencyKey: key, timestamp: time, metadata: folded, subscriptionId: subscriptionId as string };
  return event as UsageEventInput;
}

/** A wire event with every optional field present (possibly undefined); see toWireEvent. */
interface WireEventSlots {
  eventType: string;
  metricName: string;
  quantity: number;
  idempotencyKey: string | undefined;
  timestamp: string | undefined;
  metadata: Metadata | undefined;
  subscriptionId?: string;
}

/** `events[3].quantity` for a batch item, `quantity` for a single event. */
function at(field: string, name: string): string {
  return field === '' ? name : `${field}.${name}`;
}

/**
 * The last valid eventType and metricName seen: an app records the same few names over and over, so
 * the pattern test runs only when the name changes. Only valid names are remembered.
 */
const lastValidNames: [string, string] = ['', ''];

/** eventType / metricName: 1–MAX_NAME_LENGTH characters of NAME_PATTERN. */
function assertName(value: unknown, field: string, name: 'eventType' | 'metricName'): asserts value is string {
  const slot = name === 'eventType' ? 0 : 1;
  if (value === lastValidNames[slot] && value !== '') return;
  assertString(value, at(field, name), NAME_RULE);
  lastValidNames[slot] = value;
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * The metadata copy's constructor: its objects are plain (prototype Object.prototype, `constructor` is
 * Object), but V8's in-object slack tracking sizes them to the keys the first few copies received, so a
 * typical 6-key metadata lives in the object itself instead of a `{}` with 4 in-object slots plus an
 * out-of-object property array: ~110 instead of ~250 ns and 80 instead of 104 bytes per copy on Node 20
 * (bench/micro/metadata-copy.mjs, docs/benchmarks.md).
 */
function MetadataObject(): void {
  // Intentionally empty: properties are added by copyOwnKeys.
}
MetadataObject.prototype = Object.prototype;
const NewMetadata = MetadataObject as unknown as new () => Metadata;

/** A shallow copy with the own enumerable string keys of `source`, as a spread makes (an own `__proto__` key stays a key). */
function copyOwnKeys(source: Metadata | undefined): Metadata {
  const copy = new NewMetadata();
  if (source === undefined) return copy;
  for (const key in source) {
    if (!hasOwn.call(source, key)) continue;
    if (key === '__proto__') Object.defineProperty(copy, key, { value: source[key], enumerable: true, writable: true, configurable: true });
    else copy[key] = source[key];
  }
  return copy;
}

/**
 * Validates a `recordBatch` input: an array of 1–MAX_BATCH_SIZE events, each valid.
 * @throws {BearLumenValidationError} naming `events` or `events[i].<field>`.
 */
export function toWireBatch(events: unknown, now: () => number): UsageEventInput[] {
  if (!Array.isArray(events)) fail('events', `must be an array of 1–${MAX_BATCH_SIZE} events`, events);
  if (events.length === 0 || events.length > MAX_BATCH_SIZE) {
    fail('events', `must contain 1–${MAX_BATCH_SIZE} events`, events);
  }
  return events.map((event: unknown, i) => toWireEvent(event, `events[${i}]`, now));
}
