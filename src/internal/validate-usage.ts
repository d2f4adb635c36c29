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
  optionalMetadata,
  optionalString,
} from './validate';

const EVENT_KEYS: ReadonlySet<string> = new Set([
  'eventType', 'metricName', 'quantity', 'subscriptionId', 'idempotencyKey', 'timestamp', 'metadata', 'agent_id', 'workflow_id',
]);

const NAME_RULE = { max: MAX_NAME_LENGTH, pattern: NAME_PATTERN, patternRule: 'must contain only letters, digits and _ . : -' };

/**
 * Validates one `usage.record` / `recordBatch` input and returns the wire event: `agent_id` and
 * `workflow_id` are folded into `metadata.agent_id` / `metadata.workflow_id`, and they WIN over keys of
 * the same name already in `metadata` (the explicit parameter is the more specific statement).
 * The caller's objects are never mutated.
 * @param field path prefix for error messages, e.g. `events[3]`; '' for a single event.
 * @param now the current time, ms (injected for tests).
 * @throws {BearLumenValidationError} naming the first broken rule.
 */
export function toWireEvent(input: unknown, field: string, now: number): UsageEventInput {
  const at = (name: string): string => (field === '' ? name : `${field}.${name}`);
  assertObject(input, field === '' ? 'event' : field);
  assertKnownKeys(input, EVENT_KEYS, field);
  const { eventType, metricName, quantity, subscriptionId, idempotencyKey, timestamp, metadata, agent_id, workflow_id } = input;
  assertString(eventType, at('eventType'), NAME_RULE);
  assertString(metricName, at('metricName'), NAME_RULE);
  if (typeof quantity !== 'number' || !Number.isFinite(quantity) || quantity < 0 || quantity > MAX_QUANTITY) {
    fail(at('quantity'), `must be a finite number between 0 and ${MAX_QUANTITY}`, quantity);
  }
  if (!Number.isInteger(quantity) && metricName.startsWith(INTEGER_METRIC_PREFIX)) {
    fail(at('quantity'), `must be an integer for ${INTEGER_METRIC_PREFIX}* metrics (token counts)`, quantity);
  }
  optionalString(subscriptionId, at('subscriptionId'));
  optionalIdempotencyKey(idempotencyKey, at('idempotencyKey'));
  if (timestamp !== undefined) {
    const ms = assertDateTime(timestamp, at('timestamp'));
    if (ms < now - MAX_EVENT_AGE_MS || ms > now + MAX_EVENT_SKEW_MS) {
      fail(at('timestamp'), 'must lie between 35 days ago and 5 minutes from now', timestamp);
    }
  }
  optionalString(agent_id, at('agent_id'));
  optionalString(workflow_id, at('workflow_id'));
  if (metadata !== undefined) assertObject(metadata, at('metadata'));

  // Copied key by key, not spread: on Node 18 and 20 (V8 <= 11.3) every optimized spread copy of the
  // caller's object gets a hidden class of its own, ~1.3 us and ~300 bytes per event (bench/, docs/benchmarks.md).
  // The explicit ids are set last, so they win.
  let folded: Metadata | undefined = metadata;
  if (agent_id !== undefined || workflow_id !== undefined) {
    folded = copyOwnKeys(metadata);
    if (agent_id !== undefined) folded['agent_id'] = agent_id;
    if (workflow_id !== undefined) folded['workflow_id'] = workflow_id;
  }
  optionalMetadata(folded, at('metadata'));

  const event: UsageEventInput = { eventType, metricName, quantity };
  if (subscriptionId !== undefined) event.subscriptionId = subscriptionId as string;
  if (idempotencyKey !== undefined) event.idempotencyKey = idempotencyKey as string;
  if (timestamp !== undefined) event.timestamp = timestamp as string;
  if (folded !== undefined) event.metadata = folded;
  return event;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** A shallow copy with the own enumerable string keys of `source`, as a spread makes (an own `__proto__` key stays a key). */
function copyOwnKeys(source: Metadata | undefined): Metadata {
  const copy: Metadata = {};
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
export function toWireBatch(events: unknown, now: number): UsageEventInput[] {
  if (!Array.isArray(events)) fail('events', `must be an array of 1–${MAX_BATCH_SIZE} events`, events);
  if (events.length === 0 || events.length > MAX_BATCH_SIZE) {
    fail('events', `must contain 1–${MAX_BATCH_SIZE} events`, events);
  }
  return events.map((event: unknown, i) => toWireEvent(event, `events[${i}]`, now));
}
