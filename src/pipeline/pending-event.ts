import type { UsageEventInput, UsageRecordResponse } from '../protocol/types';

/** Attached to a promise we reject, so a caller that never awaits it causes no unhandled rejection. */
function ignoreRejection(): void {
  // The caller's own handlers still see the rejection; failures are also counted, logged and emitted.
}

/**
 * One accepted event until its outcome is known: the stamped wire event, its estimated size, and the
 * promise `record()` returned. Settles at most once (a shutdown deadline may race a late response).
 * A class, not an object literal, so every entry shares one hidden class (record() is on the hot path).
 */
export class PendingEvent {
  readonly event: UsageEventInput;
  /** Estimated JSON bytes, for the batch and buffer byte bounds. */
  readonly bytes: number;
  readonly promise: Promise<UsageRecordResponse>;
  #resolve!: (result: UsageRecordResponse) => void;
  #reject!: (error: unknown) => void;
  #isSettled = false;

  constructor(event: UsageEventInput, bytes: number) {
    this.event = event;
    this.bytes = bytes;
    this.promise = new Promise<UsageRecordResponse>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  get isSettled(): boolean {
    return this.#isSettled;
  }

  /** Fulfils the promise; false when it was already settled. */
  resolve(result: UsageRecordResponse): boolean {
    if (this.#isSettled) return false;
    this.#isSettled = true;
    this.#resolve(result);
    return true;
  }

  /**
   * Rejects the promise, first marking it handled: fire-and-forget callers never see an unhandled
   * rejection (peer-sdks.md (b)4), awaiting callers still get the error. Done only on this rare path,
   * so a successful event costs no extra promise. False when it was already settled.
   */
  reject(error: unknown): boolean {
    if (this.#isSettled) return false;
    this.#isSettled = true;
    this.promise.catch(ignoreRejection);
    this.#reject(error);
    return true;
  }
}
