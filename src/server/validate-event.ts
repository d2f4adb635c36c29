/**
 * Validation of one usage event (rules in docs/protocol.md "Usage events", reasons in docs/design-decisions.md "Event validation limits"). Hand-written rather than schema-driven
 * so that a batch reports every failing event with its own code and field, and so ingest does
 * the least work per event. Pure: `nowMs` is passed in.
 */
import {
  INTEGER_METRIC_PREFIX,
  MAX_EVENT_AGE_MS,
  MAX_EVENT_SKEW_MS,
  MAX_ID_LENGTH,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MAX_METADATA_BYTES,
  MAX_NAME_LENGTH,
  MAX_QUANTITY,
  NAME_PATTERN,
} from '../protocol/limits';
import type { ErrorCode } from '../protocol/error-codes';
import { describeValue } from './errors';
import { compactJsonOf } from './metadata';

/** An event that passed every rule; `metadata` has agent_id / workflow_id folded in. */
export interface ValidEvent {
  eventType: string;
  metricName: string;
  quantity: number;
  subscriptionId: string | null;
  /** Null when the client sent none (the server then assigns one). */
  idempotencyKey: string | null;
  timestampMs: number;
  metadata: Record<string, unknown> | undefined;
  /**
   * Compact JSON of `metadata` when validation had to serialise it to measure it; null when a cheap
   * bound proved it small (flat metadata, the usual case). Read it through `metadataJsonOfEvent`,
   * which serialises only then: events of a replayed batch are never serialised.
   */
  metadataJson: string | null;
  agentId: string | null;
  workflowId: string | null;
}

/** Why an event was rejected: the wire code, a message naming the rule, and the field. */
export interface EventProblem {
  code: ErrorCode;
  message: string;
  param: string;
}

const KNOWN_FIELDS = new Set([
  'eventType',
  'metricName',
  'quantity',
  'subscriptionId',
  'idempotencyKey',
  'timestamp',
  'metadata',
  'agent_id',
  'workflow_id',
]);
const PRINTABLE_ASCII = /^[\x20-\x7E]+$/;
/** Largest `metadata.cost`: its nano-USD must stay a safe integer (about 9 million USD per event). */
const MAX_EVENT_COST_USD = Math.floor(Number.MAX_SAFE_INTEGER / 1e9);
/** RFC 3339 date-time with a mandatory offset. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Milliseconds of the first three fraction digits; Date.parse ignores the digits after them. */
const FRACTION_MS = [100, 10, 1] as const;

/**
 * Date.parse of a string that matched RFC3339, computed directly for the usual shape
 * (`YYYY-MM-DDTHH:MM:SS[.f…](Z|±HH:MM)`, year ≥ 1970, day ≤ 28, every field in its ordinary range):
 * about 3x cheaper than Date.parse and equal to it there (Date.UTC of the same fields). Anything else
 * (`t`, a space, `z`, days 29-31, 24:00:00, …) goes to Date.parse itself, so results never differ.
 */
function parseTimestamp(s: string): number {
  const two = (i: number): number => (s.charCodeAt(i) - 48) * 10 + (s.charCodeAt(i + 1) - 48);
  if (s.charCodeAt(10) !== 84 /* T */) return Date.parse(s);
  const year = two(0) * 100 + two(2);
  const month = two(5);
  const day = two(8);
  const hour = two(11);
  const minute = two(14);
  const second = two(17);
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 28 || hour > 23 || minute > 59 || second > 59) return Date.parse(s);
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46 /* . */) {
    for (let digit = 0, c = s.charCodeAt(++i) - 48; c >= 0 && c <= 9; digit++, c = s.charCodeAt(++i) - 48) {
      if (digit < 3) ms += c * (FRACTION_MS[digit] as number);
    }
  }
  const zone = s.charCodeAt(i);
  let offsetMs = 0;
  if (zone === 43 /* + */ || zone === 45 /* - */) {
    const hours = two(i + 1);
    const minutes = two(i + 4);
    if (i !== s.length - 6 || hours > 23 || minutes > 59) return Date.parse(s);
    offsetMs = (zone === 43 ? 1 : -1) * (hours * 60 + minutes) * 60_000;
  } else if (zone !== 90 /* Z */ || i !== s.length - 1) {
    return Date.parse(s);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMs;
}

/** JSON.stringify of a finite number is at most 25 characters (`-0.0000012345678901234567`); with room to spare. */
const MAX_NUMBER_JSON = 32;

/**
 * An upper bound of the compact UTF-8 JSON size of `metadata` when every value is a string, number,
 * boolean or null (Infinity otherwise). A UTF-16 unit takes at most 6 bytes in JSON (`\uXXXX`), so
 * under the limit the exact size need not be computed; above it, validation serialises and measures.
 */
function flatJsonBound(metadata: Record<string, unknown>): number {
  let bound = 2;
  for (const key in metadata) {
    const value = metadata[key];
    bound += key.length * 6 + 4; // quotes, colon, comma
    if (typeof value === 'string') bound += value.length * 6 + 2;
    else if (typeof value === 'number') bound += MAX_NUMBER_JSON;
    else if (typeof value === 'boolean' || value === null) bound += 5;
    else return Number.POSITIVE_INFINITY;
  }
  return bound;
}

const problem = (code: ErrorCode, param: string, message: string): EventProblem => ({ code, param, message });

/** Names that passed the rule recently; a batch repeats a handful of names, so this skips most regex tests. */
const validNames = new Set<string>();
const MAX_REMEMBERED_NAMES = 1_000;

function checkName(raw: Record<string, unknown>, field: 'eventType' | 'metricName'): EventProblem | string {
  const value = raw[field];
  if (typeof value === 'string' && validNames.has(value)) return value;
  if (value === undefined || value === null) return problem('parameter_missing', field, `${field} is required`);
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_LENGTH || !NAME_PATTERN.test(value)) {
    return problem('parameter_invalid', field, `${field} must be 1-${MAX_NAME_LENGTH} characters of [A-Za-z0-9_.:-] (got ${describeValue(value)})`);
  }
  if (validNames.size >= MAX_REMEMBERED_NAMES) validNames.clear();
  validNames.add(value);
  return value;
}

function checkId(value: unknown, field: string): EventProblem | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    return problem('parameter_invalid', field, `${field} must be a string of 1-${MAX_ID_LENGTH} characters (got ${describeValue(value)})`);
  }
  // Stored in its own column: PostgreSQL TEXT cannot hold U+0000 (see nul-guard.ts).
  if (value.includes('\u0000')) return problem('parameter_invalid', field, `${field} must not contain the NUL character (U+0000)`);
  return null;
}

/** Validate one event as received on the wire. Returns the normalised event or the first problem. */
export function validateEvent(input: unknown, nowMs: number): ValidEvent | EventProblem {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return problem('parameter_invalid', 'event', `An event must be a JSON object (got ${describeValue(input)})`);
  }
  const raw = input as Record<string, unknown>;
  for (const key in raw) {
    if (!KNOWN_FIELDS.has(key)) return problem('parameter_invalid', key, `${key} is not a known event field`);
  }
  const eventType = checkName(raw, 'eventType');
  if (typeof eventType !== 'string') return eventType;
  const metricName = checkName(raw, 'metricName');
  if (typeof metricName !== 'string') return metricName;

  const quantity = raw['quantity'];
  if (quantity === undefined || quantity === null) return problem('parameter_missing', 'quantity', 'quantity is required');
  if (typeof quantity !== 'number' || !Number.isFinite(quantity) || quantity < 0 || quantity > MAX_QUANTITY) {
    return problem('quantity_invalid', 'quantity', `quantity must be a finite number >= 0 and <= 1e15 (got ${describeValue(quantity)})`);
  }
  if (metricName.startsWith(INTEGER_METRIC_PREFIX) && !Number.isInteger(quantity)) {
    return problem('quantity_invalid', 'quantity', `quantity must be an integer for ${INTEGER_METRIC_PREFIX}* metrics (got ${quantity})`);
  }

  const subscriptionId = raw['subscriptionId'];
  if (subscriptionId !== undefined) {
    const bad = checkId(subscriptionId, 'subscriptionId');
    if (bad) return bad;
  }

  const key = raw['idempotencyKey'];
  if (key !== undefined) {
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !PRINTABLE_ASCII.test(key)) {
      return problem(
        'parameter_invalid',
        'idempotencyKey',
        `idempotencyKey must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters (got ${describeValue(key)})`,
      );
    }
  }

  let timestampMs = nowMs;
  const timestamp = raw['timestamp'];
  if (timestamp !== undefined) {
    const parsed = typeof timestamp === 'string' && RFC3339.test(timestamp) ? parseTimestamp(timestamp) : Number.NaN;
    if (Number.isNaN(parsed)) {
      return problem('parameter_invalid', 'timestamp', `timestamp must be an RFC 3339 date-time with offset (got ${describeValue(timestamp)})`);
    }
    if (parsed < nowMs - MAX_EVENT_AGE_MS || parsed > nowMs + MAX_EVENT_SKEW_MS) {
      return problem('timestamp_out_of_range', 'timestamp', `timestamp must lie within the last 35 days and at most 5 minutes ahead (got ${timestamp})`);
    }
    timestampMs = parsed;
  }

  let metadata: Record<string, unknown> | undefined;
  const rawMetadata = raw['metadata'];
  if (rawMetadata !== undefined) {
    if (typeof rawMetadata !== 'object' || rawMetadata === null || Array.isArray(rawMetadata)) {
      return problem('metadata_invalid', 'metadata', `metadata must be a JSON object (got ${describeValue(rawMetadata)})`);
    }
    metadata = rawMetadata as Record<string, unknown>;
  }
  for (const field of ['agent_id', 'workflow_id'] as const) {
    const value = raw[field];
    if (value === undefined) continue;
    const bad = checkId(value, field);
    if (bad) return bad;
    metadata = { ...metadata, [field]: value };
  }
  for (const field of ['agent_id', 'workflow_id'] as const) {
    const value = metadata?.[field];
    const bad = value === undefined ? null : checkId(value, `metadata.${field}`);
    if (bad !== null) return problem('metadata_invalid', `metadata.${field}`, bad.message);
  }
  const cost = metadata?.['cost'];
  if (cost !== undefined && (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0 || cost > MAX_EVENT_COST_USD)) {
    return problem(
      'metadata_invalid',
      'metadata.cost',
      `metadata.cost must be a number of USD from 0 to ${MAX_EVENT_COST_USD} (got ${describeValue(cost)})`,
    );
  }
  let metadataJson: string | null = null;
  if (metadata !== undefined && flatJsonBound(metadata) > MAX_METADATA_BYTES) {
    metadataJson = compactJsonOf(metadata);
    if (metadataJson === null) return problem('metadata_invalid', 'metadata', 'metadata is nested too deeply');
    if (metadataJson.length > MAX_METADATA_BYTES / 3 && Buffer.byteLength(metadataJson, 'utf8') > MAX_METADATA_BYTES) {
      return problem('metadata_too_large', 'metadata', `metadata must be at most ${MAX_METADATA_BYTES} bytes as compact UTF-8 JSON`);
    }
  }

  return {
    eventType,
    metricName,
    quantity,
    subscriptionId: typeof subscriptionId === 'string' ? subscriptionId : null,
    idempotencyKey: typeof key === 'string' ? key : null,
    timestampMs,
    metadata,
    metadataJson,
    agentId: typeof metadata?.['agent_id'] === 'string' ? metadata['agent_id'] : null,
    workflowId: typeof metadata?.['workflow_id'] === 'string' ? metadata['workflow_id'] : null,
  };
}

/** Compact JSON of a valid event's metadata ('{}' when it has none), as stored. */
export function metadataJsonOfEvent(e: ValidEvent): string {
  if (e.metadataJson !== null) return e.metadataJson;
  // Only flat metadata gets here (see flatJsonBound), which JSON.stringify cannot fail on.
  return e.metadata === undefined ? '{}' : JSON.stringify(e.metadata);
}

/** Type guard: did `validateEvent` reject the event? */
export function isProblem(result: ValidEvent | EventProblem): result is EventProblem {
  return 'code' in result;
}
