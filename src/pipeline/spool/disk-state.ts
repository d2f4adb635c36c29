/** The longest wait between a failure and the next try: a disk that keeps failing costs one error line per this long at most. */
export const RESUME_MAX_MS = 600_000;

/**
 * Whether the spool writes to disk, and when a spool that fell back to memory-only tries the disk
 * again (docs/pipeline.md "Surviving crashes", "Bad disks never crash the app"). A failure switches to
 * memory-only and schedules a try after a wait that doubles with each failure that follows a resume
 * (from `firstWaitMs`, the spool's heartbeat, up to RESUME_MAX_MS), so a flapping disk is retried ever
 * less often; a resumed spool that stays healthy for RESUME_MAX_MS starts from the first wait again.
 */
export class DiskState {
  readonly #now: () => number;
  readonly #firstWaitMs: number;
  #isDisk = true;
  /** The error that made the spool memory-only (what a spilled event that could not be written is refused with). */
  #failure: unknown;
  #errors = 0;
  #wait: number;
  #resumeAt = 0;
  #resumedAt: number | undefined;

  constructor(now: () => number, firstWaitMs: number) {
    this.#now = now;
    this.#firstWaitMs = firstWaitMs;
    this.#wait = firstWaitMs;
  }

  /** Events are written to disk. */
  get isDisk(): boolean {
    return this.#isDisk;
  }

  /** File-system errors counted (those that switched to memory-only, and failures closing or reading files). */
  get errors(): number {
    return this.#errors;
  }

  get failure(): unknown {
    return this.#failure;
  }

  /** Counts a disk error; true when it switched the spool to memory-only (the caller logs it and closes its files). */
  fail(error: unknown): boolean {
    this.#errors += 1;
    if (!this.#isDisk) return false;
    this.#isDisk = false;
    this.#failure = error;
    const now = this.#now();
    if (this.#resumedAt !== undefined && now - this.#resumedAt >= RESUME_MAX_MS) this.#wait = this.#firstWaitMs;
    this.#resumeAt = now + this.#wait;
    this.#wait = Math.min(this.#wait * 2, RESUME_MAX_MS);
    return true;
  }

  /** Counts an error that changes nothing (closing a file, deleting a segment). */
  count(): void {
    this.#errors += 1;
  }

  /** Memory-only and the wait is over: time to try the disk again. */
  get isResumeDue(): boolean {
    return !this.#isDisk && this.#now() >= this.#resumeAt;
  }

  /** Milliseconds until the next try (for the log line). */
  get resumeInMs(): number {
    return Math.max(0, this.#resumeAt - this.#now());
  }

  /** The try worked: events go to disk again. */
  resumed(): void {
    this.#isDisk = true;
    this.#failure = undefined;
    this.#resumedAt = this.#now();
  }
}
