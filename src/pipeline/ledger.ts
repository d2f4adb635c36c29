import type { Logger } from 'pino';
import { BearLumenError, BearLumenValidationError } from '../errors';
import type { UsageRecordResponse } from '../protocol/types';
import type { Observers } from './observers';
import type { PendingEvent } from './pending-event';
import type { DropReason, PipelineStats } from './types';

/** Most distinct invalid-input rules logged per client (field names can vary with the caller's data). */
const MAX_LOGGED_RULES = 100;

/**
 * Where every accepted event ends up, counted once: delivered, duplicate, failed (the server refused it)
 * or dropped by reason (Sentry's `recordDroppedEvent`). Also the memory bound: `unacked` / `unackedBytes`
 * cover every event from `record()` until its promise settles. Overflow is logged once per episode
 * (OTel BatchSpanProcessor: one warn when dropping starts, one with the count when room returns).
 */
export class Ledger {
  unacked = 0;
  unackedBytes = 0;
  delivered = 0;
  duplicates = 0;
  failed = 0;
  retries = 0;
  batches = 0;
  readonly droppedByReason: Partial<Record<DropReason, number>> = {};
  lastError: PipelineStats['lastError'] = null;
  #overflowEpisode = 0;
  /** `field rule` of each kind of invalid input already logged: the first of each is logged, later ones only counted. */
  readonly #loggedRules = new Set<string>();
  readonly #logger: Logger;
  readonly #observers: Observers;
  readonly #onRoom: (entry: PendingEvent) => void;

  /** @param onRoom called with each event that settles and so leaves the bound (wakes `overflow: 'block'` waiters, frees its spool record). */
  constructor(logger: Logger, observers: Observers, onRoom: (entry: PendingEvent) => void) {
    this.#logger = logger;
    this.#observers = observers;
    this.#onRoom = onRoom;
  }

  get dropped(): number {
    let total = 0;
    for (const count of Object.values(this.droppedByReason)) total += count;
    return total;
  }

  /** Counts an accepted event into the bound; ends an overflow episode if one was running. */
  admit(entry: PendingEvent): void {
    this.unacked += 1;
    this.unackedBytes += entry.bytes;
    if (this.#overflowEpisode > 0) {
      this.#logger.warn({ dropped: this.#overflowEpisode }, `event buffer has room again; ${this.#overflowEpisode} events were dropped while it was full`);
      this.#overflowEpisode = 0;
    }
  }

  /** The server acknowledged the event. */
  resolve(entry: PendingEvent, result: UsageRecordResponse): void {
    if (!entry.resolve(result)) return;
    if (result.recorded) this.delivered += 1;
    else this.duplicates += 1;
    this.#release(entry);
  }

  /** The server refused the event: its promise rejects with `error`. */
  fail(entry: PendingEvent, error: unknown): void {
    if (!entry.reject(error)) return;
    this.failed += 1;
    this.#release(entry);
  }

  /** Gives up on accepted events (`retries_exhausted`, `shutdown_timeout`): counted, logged, emitted with the events. */
  abandon(entries: readonly PendingEvent[], reason: DropReason, error: unknown): PendingEvent[] {
    const abandoned = entries.filter((entry) => entry.reject(error));
    if (abandoned.length === 0) return abandoned;
    for (const entry of abandoned) this.#release(entry);
    this.#count(reason, abandoned.length);
    this.#logger.warn({ reason, count: abandoned.length, err: describe(error) }, `dropped ${abandoned.length} usage events (${reason})`);
    this.#observers.emit('drop', { reason, count: abandoned.length, events: abandoned.map((entry) => entry.event) });
    return abandoned;
  }

  /**
   * `record()` could not take its input (`invalid`): counted, emitted, and the first occurrence of each
   * rule logged at warn with the field and rule only (never the event: it may carry anything).
   */
  refuseInvalid(error: unknown): void {
    this.#count('invalid', 1);
    const isValidation = error instanceof BearLumenValidationError;
    const rule = isValidation ? `${error.field} ${error.rule}` : describe(error).code;
    if (this.#loggedRules.size < MAX_LOGGED_RULES && !this.#loggedRules.has(rule)) {
      this.#loggedRules.add(rule);
      const fields = isValidation ? { field: error.field, rule: error.rule } : { code: rule };
      this.#logger.warn(fields, 'usage.record() refused an invalid event (counted as dropped: invalid; each rule is logged once)');
    }
    this.#observers.emit('drop', { reason: 'invalid', count: 1, events: [] });
  }

  /** `record()` refused an event it never accepted (`buffer_full`, `closed`). Logged once per overflow episode. */
  refuse(reason: 'buffer_full' | 'closed'): void {
    this.#count(reason, 1);
    if (reason === 'buffer_full') {
      if (this.#overflowEpisode === 0) {
        this.#logger.warn({ unacked: this.unacked, unackedBytes: this.unackedBytes }, 'event buffer full: dropping new usage events until there is room');
      }
      this.#overflowEpisode += 1;
    }
    this.#observers.emit('drop', { reason, count: 1, events: [] });
  }

  /**
   * Shutdown ended with `count` spilled events still on disk only (never read back): counted as
   * `shutdown_timeout` like the unacknowledged events the spool retains, logged, emitted without the
   * events (they are not in memory); the next client on the spool directory delivers them.
   */
  leaveSpooled(count: number): void {
    this.#count('shutdown_timeout', count);
    this.#logger.warn({ reason: 'shutdown_timeout', count }, `${count} spilled usage events are still on disk only at shutdown; the next client on the spool directory delivers them`);
    this.#observers.emit('drop', { reason: 'shutdown_timeout', count, events: [] });
  }

  /** Remembers the last error for `stats()` (code and message only: never a secret). */
  noteError(error: unknown): void {
    const { code, message } = describe(error);
    this.lastError = { code, message, at: new Date().toISOString() };
  }

  #count(reason: DropReason, count: number): void {
    this.droppedByReason[reason] = (this.droppedByReason[reason] ?? 0) + count;
  }

  #release(entry: PendingEvent): void {
    this.unacked -= 1;
    this.unackedBytes -= entry.bytes;
    this.#onRoom(entry);
  }
}

/** Code and message of any thrown value, for logs and stats. */
export function describe(error: unknown): { code: string; message: string } {
  if (error instanceof BearLumenError) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: error.name, message: error.message };
  return { code: 'unknown', message: String(error) };
}
