/**
 * Server-assigned ids (`eu_…`, `sub_…`, `evt_…`, `req_…`, `ten_…`): a random per-process prefix
 * (72 bits, so replicas and restarts never collide in practice) plus a counter. Ingest assigns an
 * id to every event, and one `randomUUID()` per event was measurably slower than this.
 */
import { randomBytes } from 'node:crypto';

const PROCESS_PREFIX = randomBytes(9).toString('base64url');
let counter = 0;

/** A new unique id with the given prefix, e.g. `newId('evt_')`. */
export function newId(prefix: string): string {
  counter += 1;
  return `${prefix}${PROCESS_PREFIX}${counter.toString(36).padStart(8, '0')}`;
}
