/** The date ranges of the range selector and the default bucket of each. */
import type { AggregationWindow } from '../protocol/types';

/** A value of the range selector (`data-testid="range"`). */
export type RangePreset = '24h' | '7d' | '30d' | 'custom';

const HOUR_MS = 3_600_000;
const PRESET_MS: Record<Exclude<RangePreset, 'custom'>, number> = { '24h': 24 * HOUR_MS, '7d': 7 * 24 * HOUR_MS, '30d': 30 * 24 * HOUR_MS };

/** Hourly buckets up to 7 days, daily beyond (a default; the bucket selector overrides it). */
export function defaultBucket(preset: RangePreset): AggregationWindow {
  return preset === '24h' || preset === '7d' ? 'HOUR' : 'DAY';
}

/**
 * The API range of a preset, ending now; `custom` takes two dates (YYYY-MM-DD, both days included:
 * the server reads a bare end date as the end of that day).
 */
export function rangeOf(preset: RangePreset, nowMs: number, custom: { from: string; to: string }): { startDate: string; endDate: string } {
  if (preset === 'custom') return { startDate: custom.from, endDate: custom.to };
  return { startDate: new Date(nowMs - PRESET_MS[preset]).toISOString(), endDate: new Date(nowMs).toISOString() };
}

/** `YYYY-MM-DD` of an instant (UTC), for the custom range inputs. */
export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
