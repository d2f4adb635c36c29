/**
 * The public id of an API key: `key_` + the first 12 hex digits of the key's SHA-256 digest. It names
 * a key in `bearlumen keys` output and in server logs without revealing any character of the key (48
 * bits of a hash, not a prefix of the secret). Migration 2 derives the same value in SQL for keys
 * stored before key ids existed, so the two definitions must stay equal.
 */

/** The key id of the key with this SHA-256 hex digest, e.g. `key_3f9a0c1b2d4e`. */
export function keyIdOfDigest(keyHash: string): string {
  return `key_${keyHash.slice(0, 12)}`;
}
