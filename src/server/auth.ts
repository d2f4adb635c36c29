/**
 * API keys: `bl_live_…` / `bl_test_…`, stored only as SHA-256 digests. A key resolves to its
 * tenant; every data route runs scoped to that tenant. What identifies a key in output and logs is
 * its key id (`key_` + 12 hex digits of the digest), which reveals nothing of the key itself.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { API_KEY_PATTERN } from '../protocol/limits';
import { ApiError } from './errors';
import { keyIdOfDigest } from './key-id';
import type { Store, Tenant } from './store/store';

export { keyIdOfDigest };

/** Hex SHA-256 of a key: what the store keeps and looks up. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The public id of `key` (see `keyIdOfDigest`), e.g. for `bearlumen keys create` output and logs. */
export function apiKeyId(key: string): string {
  return keyIdOfDigest(hashApiKey(key));
}

/** A new random key (192 bits), e.g. `bl_test_3q…`. */
export function generateApiKey(mode: 'live' | 'test' = 'test'): string {
  return `bl_${mode}_${randomBytes(24).toString('base64url')}`;
}

/**
 * Create a key for the tenant named `tenantName` (creating the tenant if needed) and return the
 * key. The plain key exists only in the return value.
 */
export async function createApiKey(store: Store, tenantName: string, mode: 'live' | 'test' = 'test'): Promise<string> {
  const tenant = await store.ensureTenant(tenantName);
  const key = generateApiKey(mode);
  await store.addApiKey(tenant.id, hashApiKey(key));
  return key;
}

/**
 * How long a resolved key is trusted without asking the store. Revocation (`store.revokeApiKey`, possibly
 * by another process or replica) takes effect once this passes, so it is kept short: at 30 s a revoked key
 * kept working for half a minute (found by test/security/auth-and-storage.test.ts), while 1 s still
 * spares the store all but one lookup per key per second under ingest load.
 */
const CACHE_TTL_MS = 1_000;
const CACHE_MAX = 1_000;

/** Resolves bearer keys to tenants, with a small bounded cache so ingest does not hit the store per request. */
export class Authenticator {
  readonly #cache = new Map<string, { tenant: Tenant; expiresAt: number }>();

  constructor(private readonly store: Store) {}

  /**
   * The tenant of the request's `Authorization: Bearer` key, and the key's id (for logs).
   * @throws {ApiError} 401 `api_key_missing` without a bearer key, `api_key_invalid` for a malformed or unknown one.
   */
  async authenticate(request: FastifyRequest): Promise<{ tenant: Tenant; keyId: string }> {
    const header = request.headers.authorization;
    if (header === undefined || header.trim() === '') {
      throw new ApiError('api_key_missing', 'No API key: send Authorization: Bearer <key>');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const key = match?.[1];
    if (key === undefined || !API_KEY_PATTERN.test(key)) {
      throw new ApiError('api_key_invalid', 'Malformed API key: expected Authorization: Bearer bl_live_… or bl_test_…');
    }
    const hash = hashApiKey(key);
    const now = Date.now();
    const cached = this.#cache.get(hash);
    const keyId = keyIdOfDigest(hash);
    if (cached !== undefined && cached.expiresAt > now) return { tenant: cached.tenant, keyId };
    const tenant = await this.store.findTenantByKeyHash(hash);
    if (tenant === null) throw new ApiError('api_key_invalid', 'Unknown API key');
    if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
    this.#cache.set(hash, { tenant, expiresAt: now + CACHE_TTL_MS });
    return { tenant, keyId };
  }
}
