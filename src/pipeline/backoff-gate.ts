import { backoffMs, MAX_RETRY_AFTER_MS, type BackoffOptions } from '../transport/retry-policy';

/** What `pass()` granted: the right to send, either as a normal sender or as the one probe. */
export interface GatePass {
  /** True when the gate was open and this caller is the single probe testing the server. */
  readonly isProbe: boolean;
}

export interface BackoffGateOptions extends BackoffOptions {
  /**
   * Longest wait before the next probe, ms, however long the outage has lasted (a server's longer
   * `Retry-After` still wins). A probe costs one request, so delivery resumes within this long of the
   * server's return while the bulk of the batches keeps waiting behind it. @default maxMs
   */
  probeMaxMs?: number;
  now?: () => number;
  random?: () => number;
}

/**
 * One shared backoff (a small circuit breaker) for every batch of a client. While the server answers,
 * the gate is closed and `pass()` returns at once. The first retryable failure opens it for a jittered
 * backoff (or `Retry-After`, whichever is longer); then every batch waits, and when the wait is over
 * exactly one batch is let through as a probe. The probe's outcome closes the gate (server reachable:
 * all waiters go) or re-opens it with a longer backoff. So an outage costs one request per backoff
 * step, not one per batch (docs/design-decisions.md, "Batch outcomes": a retry loop per batch hammers a
 * recovering server).
 * Timers are unref'd: a waiting gate never keeps the process alive.
 */
export class BackoffGate {
  readonly #backoff: BackoffOptions;
  readonly #probeMaxMs: number;
  readonly #now: () => number;
  readonly #random: () => number;
  #failures = 0;
  #isOpen = false;
  #openUntil = 0;
  #isProbing = false;
  #waiters = new Set<() => void>();
  #timer: NodeJS.Timeout | undefined;

  constructor({ now = Date.now, random = Math.random, probeMaxMs, ...backoff }: BackoffGateOptions) {
    this.#backoff = backoff;
    this.#probeMaxMs = probeMaxMs ?? backoff.maxMs;
    this.#now = now;
    this.#random = random;
  }

  /** Whether batches are currently held back. */
  get isOpen(): boolean {
    return this.#isOpen;
  }

  /** Consecutive failed rounds since the server last answered. */
  get failures(): number {
    return this.#failures;
  }

  /**
   * Waits until this caller may send. Every pass must be followed by exactly one of `succeed()`,
   * `fail()` or `release()`.
   * @throws the signal's reason when `signal` aborts while waiting.
   */
  async pass(signal?: AbortSignal): Promise<GatePass> {
    for (;;) {
      signal?.throwIfAborted();
      if (!this.#isOpen) return { isProbe: false };
      if (!this.#isProbing && this.#now() >= this.#openUntil) {
        this.#isProbing = true;
        return { isProbe: true };
      }
      await this.#waitForChange(signal);
    }
  }

  /** The server answered (2xx, or a 4xx that retrying cannot fix): close the gate, let everyone go. */
  succeed(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#failures = 0;
    this.#isOpen = false;
    this.#isProbing = false;
    this.#wakeAll();
  }

  /**
   * A retryable failure. Opens the gate (or, for the probe, re-opens it with the next backoff step).
   * A failure of a request sent before the gate opened only moves the reopening time to honour its
   * `Retry-After`: one outage is one backoff step, however many batches were in flight.
   * @param retryAfterMs the server's `Retry-After`, used as a floor (clamped to MAX_RETRY_AFTER_MS: no
   * wait is longer, docs/errors.md "Retry-After").
   * @returns the delay before the next probe, ms.
   */
  fail(pass: GatePass, retryAfterMs?: number): number {
    const floor = retryAfterMs === undefined ? 0 : Math.min(Math.max(0, retryAfterMs), MAX_RETRY_AFTER_MS);
    const now = this.#now();
    if (pass.isProbe || !this.#isOpen) {
      this.#failures += 1;
      this.#isOpen = true;
      this.#isProbing = false;
      this.#openUntil = now + Math.max(floor, Math.min(this.#probeMaxMs, backoffMs(this.#failures, this.#backoff, this.#random)));
    } else {
      this.#openUntil = Math.max(this.#openUntil, now + floor);
    }
    this.#schedule();
    return this.#openUntil - now;
  }

  /** The caller gave up without an answer (aborted): let the next waiter probe. */
  release(pass: GatePass): void {
    if (pass.isProbe) {
      this.#isProbing = false;
      this.#wakeAll();
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // Timers run on a monotonic clock and may fire a millisecond before Date.now() reaches openUntil;
      // waking then would send every waiter back to sleep with no timer left.
      if (this.#now() < this.#openUntil) this.#schedule();
      else this.#wakeAll();
    }, Math.max(1, this.#openUntil - this.#now()));
    this.#timer.unref();
  }

  #wakeAll(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  #waitForChange(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiters.delete(wake);
        reject(signal?.reason);
      };
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#waiters.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
