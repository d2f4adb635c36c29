/**
 * Validation primitives: each check throws a BearLumenValidationError naming the field path, the rule
 * and (for non-secret values) what was received, before any I/O happens.
 */
import { BearLumenValidationError } from '../errors';
import { MAX_ID_LENGTH, MAX_IDEMPOTENCY_KEY_LENGTH, MAX_METADATA_BYTES } from '../protocol/limits';

/** A JSON-ish record after `assertObject`. */
export type Fields = Record<string, unknown>;

/** Throws the validation error for `field`. */
export function fail(field: string, rule: string, ...received: [] | [unknown]): never {
  throw new BearLumenValidationError(field, rule, ...received);
}

/** `value` is a plain object (not null, not an array). */
export function assertObject(value: unknown, field: string): asserts value is Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, 'must be an object', value);
}

/**
 * Rejects keys outside `allowed` (a typo such as `externalID` would otherwise be silently dropped).
 * Keys whose value is `undefined` count as absent.
 */
export function assertKnownKeys(value: Fields, allowed: ReadonlySet<string>, field: string): void {
  for (const key in value) {
    if (!allowed.has(key) && value[key] !== undefined) {
      fail(field === '' ? key : `${field}.${key}`, `is not a known option (expected one of ${[...allowed].join(', ')})`);
    }
  }
}

/** Length and pattern rules of a string field. */
export interface StringRule {
  /** Shortest length. @default 1 */
  min?: number;
  /** Longest length. @default MAX_ID_LENGTH (255) */
  max?: number;
  pattern?: RegExp;
  /** Rule text for `pattern`, e.g. "must contain only [A-Za-z0-9_.:-]". */
  patternRule?: string;
}

/** `value` is a string of `min`–`max` characters matching `pattern`. */
export function assertString(value: unknown, field: string, rule: StringRule = {}): asserts value is string {
  const min = rule.min ?? 1;
  const max = rule.max ?? MAX_ID_LENGTH;
  if (typeof value !== 'string') fail(field, `must be a string of ${min}–${max} characters`, value);
  if (value.length < min || value.length > max) fail(field, `must be ${min}–${max} characters long`, value);
  if (rule.pattern !== undefined && !rule.pattern.test(value)) fail(field, rule.patternRule ?? `must match ${String(rule.pattern)}`, value);
}

/** Like assertString, but `undefined` passes. */
export function optionalString(value: unknown, field: string, rule?: StringRule): void {
  if (value !== undefined) assertString(value, field, rule);
}

/** Like assertString, but `undefined` and `null` pass (fields that `null` clears). */
export function nullableString(value: unknown, field: string, rule?: StringRule): void {
  if (value !== undefined && value !== null) assertString(value, field, rule);
}

/** `value` is an integer in [min, max]. */
export function assertInteger(value: unknown, field: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(field, `must be an integer between ${min} and ${max}`, value);
  }
}

/** `value` is one of `allowed`, or undefined. */
export function optionalEnum(value: unknown, field: string, allowed: readonly string[]): void {
  if (value !== undefined && (typeof value !== 'string' || !allowed.includes(value))) {
    fail(field, `must be one of ${allowed.map((v) => `'${v}'`).join(', ')}`, value);
  }
}

/** `value` is a boolean, or undefined. */
export function optionalBoolean(value: unknown, field: string): void {
  if (value !== undefined && typeof value !== 'boolean') fail(field, 'must be a boolean', value);
}

const PRINTABLE_ASCII = /^[\x20-\x7E]+$/;

/** An idempotency key: 1–255 printable ASCII characters (0x20–0x7E). */
export function optionalIdempotencyKey(value: unknown, field: string): void {
  optionalString(value, field, { max: MAX_IDEMPOTENCY_KEY_LENGTH, pattern: PRINTABLE_ASCII, patternRule: 'must contain only printable ASCII characters (0x20–0x7E)' });
}

/**
 * A metadata object: a plain object that serializes to JSON of at most MAX_METADATA_BYTES UTF-8 bytes.
 */
export function optionalMetadata(value: unknown, field: string): void {
  if (value === undefined) return;
  assertObject(value, field);
  // Flat metadata of strings, numbers, booleans and nulls (the common case) cannot be circular or
  // hold a BigInt; when even its worst-case JSON size fits, skip the serialization (~0.5 us per event).
  if (flatJsonBound(value) <= MAX_METADATA_BYTES) return;
  metadataJson(value, field);
}

/**
 * Validates metadata like optionalMetadata and returns what to hold until it is sent: `copy` itself
 * when it is flat (the caller passes a fresh shallow copy of the user's object), or a deep copy made
 * from its JSON when it nests objects, which the user still holds and may change before the batch
 * leaves. Either way the event is sent as it was at record().
 */
export function ownMetadata(copy: Fields, field: string): Fields {
  const bound = flatJsonBound(copy);
  if (bound <= MAX_METADATA_BYTES) return copy;
  const json = metadataJson(copy, field);
  if (bound !== Infinity) return copy;
  const snapshot: unknown = JSON.parse(json);
  // A toJSON() may turn the object into something else; the wire needs an object.
  assertObject(snapshot, field);
  return snapshot;
}

/** The JSON of a metadata object, checked to fit MAX_METADATA_BYTES. */
function metadataJson(value: Fields, field: string): string {
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    // Circular structures and BigInt values cannot be sent; the cause is named in the rule.
    fail(field, `must be JSON-serializable (${error instanceof Error ? error.message : String(error)})`);
  }
  // A UTF-16 code unit is at most 3 UTF-8 bytes, so short strings skip the exact byte count.
  if (json.length * 3 > MAX_METADATA_BYTES && Buffer.byteLength(json, 'utf8') > MAX_METADATA_BYTES) {
    fail(field, `must be at most ${MAX_METADATA_BYTES} bytes as JSON (got ${Buffer.byteLength(json, 'utf8')} bytes)`);
  }
  return json;
}

/**
 * An upper bound of the UTF-8 JSON size of a flat object (every character escaped as `\uXXXX`, numbers
 * at their longest), or Infinity when a value is nested, a BigInt or anything else needing JSON.stringify.
 */
function flatJsonBound(value: Record<string, unknown>): number {
  let bound = 2;
  for (const key in value) {
    const v = value[key];
    bound += 6 * key.length + 4;
    if (typeof v === 'string') bound += 6 * v.length + 2;
    else if (typeof v === 'number' || typeof v === 'boolean' || v === null) bound += 24;
    else if (v !== undefined) return Infinity;
  }
  return bound;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|z|[+-]\d{2}:\d{2})$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Parses an RFC 3339 date-time with an offset (e.g. `2024-01-31T23:59:59Z`); undefined when malformed. */
export function parseDateTime(value: string): number | undefined {
  const m = DATE_TIME.exec(value);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (!isRealDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `value` is an RFC 3339 date-time; returns its epoch ms. */
export function assertDateTime(value: unknown, field: string): number {
  const ms = typeof value === 'string' ? parseDateTime(value) : undefined;
  if (ms === undefined) fail(field, 'must be an RFC 3339 date-time with offset, e.g. 2024-01-31T23:59:59Z', value);
  return ms;
}

/**
 * `value` is an ISO 8601 date (`2024-01-31`) or an RFC 3339 date-time. Returns the instant it stands
 * for as a range bound: a bare date starts at 00:00 UTC, or, as an `end` bound, ends at the next 00:00 UTC.
 */
export function assertDateOrDateTime(value: unknown, field: string, bound: 'start' | 'end'): number {
  if (typeof value === 'string') {
    const m = DATE_ONLY.exec(value);
    if (m !== null) {
      const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
      if (isRealDate(year, month, day)) return Date.UTC(year, month - 1, day + (bound === 'end' ? 1 : 0));
    } else {
      const ms = parseDateTime(value);
      if (ms !== undefined) return ms;
    }
  }
  fail(field, 'must be an ISO 8601 date (2024-01-31) or an RFC 3339 date-time (2024-01-31T23:59:59Z)', value);
}

/** A path id such as `eu_…` or `sub_…`: a non-empty string of at most 255 characters. */
export function assertId(value: unknown, field: string): asserts value is string {
  assertString(value, field, { max: MAX_ID_LENGTH });
}
