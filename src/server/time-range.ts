/**
 * Date ranges of usage and cost queries: half-open [start, end). A bare date (`YYYY-MM-DD`) as
 * `startDate` means that day's midnight UTC; as `endDate` it means the end of that day (the next
 * midnight, exclusive), so `2024-01-01..2024-01-31` covers all of January 31.
 */
import { DEFAULT_RANGE_MS } from '../protocol/limits';
import { ApiError, describeValue } from './errors';

const DAY_MS = 86_400_000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;
const HAS_OFFSET = /([Zz]|[+-]\d{2}:?\d{2})$/;

/** A resolved range in epoch ms. */
export interface TimeRange {
  startMs: number;
  endMs: number;
}

/** Parse one bound; `isEnd` turns a bare date into the next midnight. Null when absent. */
export function parseDateBound(value: string | undefined, param: string, isEnd: boolean): number | null {
  if (value === undefined) return null;
  let ms = Number.NaN;
  if (DATE_ONLY.test(value)) {
    ms = Date.parse(`${value}T00:00:00Z`);
    if (isEnd) ms += DAY_MS;
  } else if (DATE_TIME.test(value)) {
    // A date-time without an offset is read as UTC, never as the server's local time.
    ms = Date.parse(HAS_OFFSET.test(value.slice(10)) ? value : `${value}Z`);
  }
  if (Number.isNaN(ms)) {
    throw new ApiError('parameter_invalid', `${param} must be an ISO 8601 date (YYYY-MM-DD) or date-time (got ${describeValue(value)})`, { param });
  }
  return ms;
}

/**
 * Resolve `startDate`/`endDate`. Defaults: end = now, start = 30 days before end.
 * @throws {ApiError} 400 `parameter_invalid` for an unparsable bound, `invalid_time_range` when start >= end.
 */
export function resolveRange(startDate: string | undefined, endDate: string | undefined, nowMs: number): TimeRange {
  const endMs = parseDateBound(endDate, 'endDate', true) ?? nowMs;
  const startMs = parseDateBound(startDate, 'startDate', false) ?? endMs - DEFAULT_RANGE_MS;
  if (startMs >= endMs) {
    throw new ApiError('invalid_time_range', `startDate must be before endDate (got ${new Date(startMs).toISOString()} >= ${new Date(endMs).toISOString()})`, {
      param: 'startDate',
    });
  }
  return { startMs, endMs };
}
