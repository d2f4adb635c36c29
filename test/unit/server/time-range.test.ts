import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/server/errors';
import { parseDateBound, resolveRange } from '../../../src/server/time-range';

const NOW = Date.parse('2026-06-15T12:00:00Z');

describe('resolveRange', () => {
  it('defaults to the 30 days before now', () => {
    expect(resolveRange(undefined, undefined, NOW)).toEqual({ startMs: NOW - 30 * 86_400_000, endMs: NOW });
  });

  it('a bare endDate means the end of that day (exclusive next midnight UTC)', () => {
    expect(resolveRange('2024-01-01', '2024-01-31', NOW)).toEqual({ startMs: Date.parse('2024-01-01T00:00:00Z'), endMs: Date.parse('2024-02-01T00:00:00Z') });
    expect(resolveRange('2024-01-31', '2024-01-31', NOW).endMs - resolveRange('2024-01-31', '2024-01-31', NOW).startMs).toBe(86_400_000);
  });

  it('date-times keep their offset; without one they are UTC', () => {
    expect(parseDateBound('2024-01-31T23:59:59Z', 'endDate', true)).toBe(Date.parse('2024-01-31T23:59:59Z'));
    expect(parseDateBound('2024-01-31T10:00:00+02:00', 'startDate', false)).toBe(Date.parse('2024-01-31T08:00:00Z'));
    expect(parseDateBound('2024-01-31T10:00', 'startDate', false)).toBe(Date.parse('2024-01-31T10:00:00Z'));
  });

  it('a start that is not before the end is invalid_time_range; garbage names the parameter', () => {
    const expectError = (fn: () => unknown, code: string, param: string) => {
      try {
        fn();
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ApiError);
        expect(error).toMatchObject({ code, param, statusCode: 400 });
      }
    };
    expectError(() => resolveRange('2024-02-01', '2024-01-31', NOW), 'invalid_time_range', 'startDate');
    expectError(() => resolveRange('2024-01-31T00:00:00Z', '2024-01-31T00:00:00Z', NOW), 'invalid_time_range', 'startDate');
    expectError(() => resolveRange('last week', undefined, NOW), 'parameter_invalid', 'startDate');
    expectError(() => resolveRange(undefined, '2024-13-45', NOW), 'parameter_invalid', 'endDate');
    expectError(() => resolveRange(undefined, '1700000000', NOW), 'parameter_invalid', 'endDate');
  });
});
