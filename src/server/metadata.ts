/** The 10 KB metadata rule for entity bodies (events check it in validate-event.ts). */
import { MAX_METADATA_BYTES } from '../protocol/limits';
import { ApiError } from './errors';

/**
 * Compact JSON of `metadata` ('{}' when absent), checked against the size limit.
 * @throws {ApiError} 400 `metadata_too_large`.
 */
export function metadataJsonOf(metadata: Record<string, unknown> | undefined, param = 'metadata'): string {
  const json = metadata === undefined ? '{}' : JSON.stringify(metadata);
  if (Buffer.byteLength(json, 'utf8') > MAX_METADATA_BYTES) {
    throw new ApiError('metadata_too_large', `${param} must be at most ${MAX_METADATA_BYTES} bytes as compact UTF-8 JSON`, { param });
  }
  return json;
}
