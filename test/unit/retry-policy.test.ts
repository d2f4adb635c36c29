import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  isRetryableResponse,
  isRetryableStatus,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  REQUEST_BACKOFF,
} from '../../src/transport/retry-policy';

describe('retry policy', () => {
  it('retries 408, 409, 429 and 500/502/503/504 only', () => {
    for (const status of [408, 409, 429, 500, 502, 503, 504]) expect(isRetryableStatus(status)).toBe(true);
    for (const status of [200, 400, 401, 403, 404, 413, 415, 422, 501]) expect(isRetryableStatus(status)).toBe(false);
  });

  it("obeys the server's x-should-retry first, and falls back to the status without it", () => {
    expect(isRetryableResponse(409, 'false')).toBe(false);
    expect(isRetryableResponse(409, 'true')).toBe(true);
    expect(isRetryableResponse(503, 'false')).toBe(false);
    expect(isRetryableResponse(400, ' TRUE ')).toBe(true);
    expect(isRetryableResponse(409, undefined)).toBe(true);
    expect(isRetryableResponse(422, undefined)).toBe(false);
    expect(isRetryableResponse(502, 'maybe')).toBe(true);
  });

  it('backs off with full jitter under an exponential, capped ceiling', () => {
    const top = (): number => 0.999_999;
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, REQUEST_BACKOFF, top))).toEqual([499, 999, 1999, 3999, 7999, 7999]);
    expect(backoffMs(3, REQUEST_BACKOFF, () => 0)).toBe(0);
    expect(backoffMs(2, REQUEST_BACKOFF, () => 0.5)).toBe(500);
  });

  it('reads retry-after-ms first, then Retry-After seconds or an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter({ 'retry-after-ms': '250', 'retry-after': '9' }, now)).toBe(250);
    expect(parseRetryAfter({ 'retry-after': '3' }, now)).toBe(3000);
    expect(parseRetryAfter({ 'retry-after': '1.5' }, now)).toBe(1500);
    expect(parseRetryAfter({ 'retry-after': 'Wed, 01 Jan 2025 00:00:07 GMT' }, now)).toBe(7000);
    expect(parseRetryAfter({ 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }, now)).toBe(0);
    expect(parseRetryAfter({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after-ms': 'x' }, now)).toBeUndefined();
    expect(parseRetryAfter({}, now)).toBeUndefined();
  });

  it('caps honoured Retry-After at one minute', () => {
    expect(MAX_RETRY_AFTER_MS).toBe(60_000);
  });
});
