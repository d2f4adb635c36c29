/**
 * U+0000 never reaches the store. PostgreSQL TEXT cannot hold it (SQLSTATE 22021, a 500) while SQLite
 * stores it, so without this guard one request is refused with an internal error on one engine and
 * accepted on the other (found by test/property/server-fuzz.test.ts on PostgreSQL). Metadata travels as
 * JSON text, where U+0000 is escaped and harmless, so event metadata is not refused for it; the event
 * fields that land in their own columns are checked per event by validate-event.ts.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors';

/** Whether any string or object key inside `value` contains U+0000. Iterative: bodies may nest deeply. */
export function containsNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const next = stack.pop();
    if (typeof next === 'string') {
      if (next.includes('\u0000')) return true;
    } else if (Array.isArray(next)) {
      for (const item of next) stack.push(item);
    } else if (typeof next === 'object' && next !== null) {
      for (const [key, item] of Object.entries(next)) {
        if (key.includes('\u0000')) return true;
        stack.push(item);
      }
    }
  }
  return false;
}

/** Refuse U+0000 in the URL (path and query) of every route, and in the body of every route but usage ingest. */
export function installNulGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    if (request.url.includes('%00') || request.url.includes('\u0000')) {
      throw new ApiError('parameter_invalid', 'The URL must not contain the NUL character (%00)');
    }
    // Usage events are checked field by field (validate-event.ts), so one bad event fails alone in a batch.
    if (!request.url.startsWith('/v1/usage/') && containsNul(request.body)) {
      throw new ApiError('parameter_invalid', 'Strings in the request body must not contain the NUL character (U+0000)');
    }
  });
}
