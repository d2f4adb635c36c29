/**
 * `Idempotency-Key` on create POSTs (docs/design-decisions.md, "Request idempotency"): the first response (2xx) is stored for 24 h and
 * replayed with `Idempotent-Replayed: true`; the same key with another request → 422
 * `idempotency_key_reused`; while the first is still running → 409 `idempotency_request_in_progress`
 * (safe to retry). Failed requests release the key so a retry runs again.
 * Routes opt in with `config: { idempotent: true }`.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MAX_IDEMPOTENCY_KEY_LENGTH, REQUEST_IDEMPOTENCY_TTL_MS } from '../protocol/limits';
import { ApiError } from './errors';
import type { Store } from './store/store';

const PRINTABLE_ASCII = /^[\x20-\x7E]+$/;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Honour the Idempotency-Key header on this route. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    /** The Idempotency-Key this request holds a claim on, if any. */
    idempotencyClaim: string | null;
  }
}

/** JSON with sorted keys, so two equal bodies fingerprint the same whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Fingerprint of a request: method, path and canonical body.
 * @throws {ApiError} 400 `parameter_invalid` for a body nested too deeply to serialise.
 */
export function requestFingerprint(request: Pick<FastifyRequest, 'method' | 'url' | 'body'>): string {
  const path = request.url.split('?')[0] ?? '';
  let body: string;
  try {
    body = canonicalJson(request.body ?? null);
  } catch (error) {
    // Recursion past the stack limit: such a body is refused anyway, so refuse it here as a 400.
    if (error instanceof RangeError) throw new ApiError('parameter_invalid', 'Request body is nested too deeply');
    throw error;
  }
  return createHash('sha256').update(`${request.method} ${path}\n${body}`).digest('hex');
}

/** Install the hooks. `tenantOf` reads the authenticated tenant id of a request. */
export function installRequestIdempotency(app: FastifyInstance, store: Store, tenantOf: (r: FastifyRequest) => string, now: () => number): void {
  app.decorateRequest('idempotencyClaim', null);

  app.addHook('preHandler', async (request, reply) => {
    if (request.routeOptions.config.idempotent !== true) return;
    const header = request.headers['idempotency-key'];
    if (header === undefined) return;
    const key = Array.isArray(header) ? header[0] : header;
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !PRINTABLE_ASCII.test(key)) {
      throw new ApiError('parameter_invalid', `Idempotency-Key must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters`, { param: 'Idempotency-Key' });
    }
    const tenantId = tenantOf(request);
    const claim = await store.claimRequestKey(tenantId, key, requestFingerprint(request), now(), REQUEST_IDEMPOTENCY_TTL_MS);
    switch (claim.state) {
      case 'claimed':
        request.idempotencyClaim = key;
        return;
      case 'in_progress':
        throw new ApiError('idempotency_request_in_progress', 'A request with this Idempotency-Key is still in progress; retry later', {
          param: 'Idempotency-Key',
          headers: { 'retry-after': '1' },
        });
      case 'mismatch':
        throw new ApiError('idempotency_key_reused', 'This Idempotency-Key was used for a different request in the last 24 hours', {
          param: 'Idempotency-Key',
        });
      case 'completed':
        return reply.code(claim.statusCode).header('idempotent-replayed', 'true').type('application/json; charset=utf-8').send(claim.body);
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const key = request.idempotencyClaim;
    if (key === null) return payload;
    request.idempotencyClaim = null;
    const tenantId = tenantOf(request);
    if (reply.statusCode >= 200 && reply.statusCode < 300 && typeof payload === 'string') {
      await store.completeRequestKey(tenantId, key, reply.statusCode, payload);
    } else {
      await store.releaseRequestKey(tenantId, key);
    }
    return payload;
  });
}
