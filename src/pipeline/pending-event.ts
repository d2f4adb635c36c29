import type { UsageEventInput, UsageRecordResponse } from '../protocol/types';
import type { EncodedRun } from './spool/runs';
import type { Segment, SpoolEntry } from './spool/segment';

/** Attached to a promise we reject, so a caller that never awaits it causes no unhandled rejection. */
export function ignoreRejection(): void {
  // The caller's own handlers still see the rejection; failures are also counted, logged and emitted.
}

/** A promise rejected with `error`, already marked handled (what record() returns when it refuses an event). */
export function handledRejection<T>(error: unknown): Promise<T> {
  const promise = Promise.reject<T>(error);
  promise.catch(ignoreRejection);
  return promise;
}

/** Set by captureResolve for the constructor: one shared executor instead of a closure per event (hot path). */
let capturedResolve: ((result: UsageRecordResponse | Promise<never>) => void) | undefined;

function captureResolve(resolve: (result: UsageRecordResponse | Promise<never>) => void): void {
  capturedResolve = resolve;
}

/**
 * One accepted event until its outcome is known: the stamped wire event, its estimated size, and the
 * promise `record()` returned. Settles at most once (a shutdown deadline may race a late response).
 * A class, not an object literal, so every entry shares one hidden class (record() is on the hot path).
 */
export class PendingEvent implements SpoolEntry {
  readonly event: UsageEventInput;
  /** Estimated JSON bytes, for the batch and buffer byte bounds. */
  readonly bytes: number;
  readonly promise: Promise<UsageRecordResponse>;
  /** The run the spool encoded the event in, if it did (reused for the batch body). */
  run: EncodedRun | undefined = undefined;
  /** The spool segment holding the event, once written (or replayed from). */
  segment: Segment | undefined = undefined;
  /** Set until the event settles; only the resolve function is kept (the reject function would cost ~56 bytes per event). */
  #resolve: ((result: UsageRecordResponse | Promise<never>) => void) | undefined;

  constructor(event: UsageEventInput, bytes: number) {
    this.event = event;
    this.bytes = bytes;
    this.promise = new Promise<UsageRecordResponse>(captureResolve);
    this.#resolve = capturedResolve;
    capturedResolve = undefined;
  }

  get isSettled(): boolean {
    return this.#resolve === undefined;
  }

  /** Fulfils the promise; false when it was already settled. */
  resolve(result: UsageRecordResponse): boolean {
    const settle = this.#resolve;
    if (settle === undefined) return false;
    this.#resolve = undefined;
    settle(result);
    return true;
  }

  /**
   * Rejects the promise (by resolving it with a rejected one), first marking it handled: fire-and-forget
   * callers never see an unhandled rejection (docs/pipeline.md, "Invalid events never crash the app"),
   * awaiting callers still get the error. Done only on this rare path. False when it was already settled.
   */
  reject(error: unknown): boolean {
    const settle = this.#resolve;
    if (settle === undefined) return false;
    this.#resolve = undefined;
    this.promise.catch(ignoreRejection);
    const rejected = Promise.reject<never>(error);
    rejected.catch(ignoreRejection);
    settle(rejected);
    return true;
  }
}
