/** The 10 KB metadata rule for entity bodies (events check it in validate-event.ts). */
import { MAX_METADATA_BYTES } from '../protocol/limits';
import { ApiError } from './errors';

/**
 * Compact JSON of `metadata` ('{}' when absent), checked against the size limit.
 * @throws {ApiError} 400 `metadata_too_large`, or `metadata_invalid` when nested too deeply to serialise.
 */
export function metadataJsonOf(metadata: Record<string, unknown> | undefined, param = 'metadata'): string {
  const json = metadata === undefined ? '{}' : compactJsonOf(metadata);
  if (json === null) throw new ApiError('metadata_invalid', `${param} is nested too deeply`, { param });
  if (Buffer.byteLength(json, 'utf8') > MAX_METADATA_BYTES) {
    throw new ApiError('metadata_too_large', `${param} must be at most ${MAX_METADATA_BYTES} bytes as compact UTF-8 JSON`, { param });
  }
  return json;
}

/**
 * Compact JSON of a parsed request value, or null when it is nested too deeply for JSON.stringify
 * (which recurses and throws RangeError around 10 000 levels, while JSON.parse accepts far deeper input:
 * a 200 KB body of `{"d":{"d":…}}` must be a 400, not a 500).
 */
export function compactJsonOf(value: unknown): string | null {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
}
