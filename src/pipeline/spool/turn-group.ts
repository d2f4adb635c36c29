import { RECORD_HEADER_BYTES } from './framing';
import type { SpoolEntry } from './segment';

/** One turn's events, taken for the group write. */
export interface TakenGroup<E extends SpoolEntry> {
  /** Events held in memory too (written to the current segment). */
  readonly held: SpoolEntry[];
  /** Indexes into `held` of events that began a batch. */
  readonly starts: number[];
  /** Events accepted while memory was full (written to a spill segment only). */
  readonly spilled: E[];
}

/**
 * Collects the events of the current event-loop turn and schedules one group write at its end
 * (process.nextTick, so the write happens before the turn that recorded them ends: the crash contract,
 * docs/pipeline.md "Surviving crashes").
 */
export class TurnGroup<E extends SpoolEntry> {
  #held: SpoolEntry[] = [];
  #starts: number[] = [];
  #spilled: E[] = [];
  #bytes = 0;
  #isScheduled = false;
  readonly #write: () => void;

  /** `write` runs once per turn in which events were added, and calls take(). */
  constructor(write: () => void) {
    this.#write = write;
  }

  /** Estimated bytes of the frames waiting for this turn's write. */
  get bytes(): number {
    return this.#bytes;
  }

  addHeld(entry: SpoolEntry, startsBatch: boolean): void {
    if (startsBatch) this.#starts.push(this.#held.length);
    this.#held.push(entry);
    this.#added(entry.bytes);
  }

  addSpilled(entry: E): void {
    this.#spilled.push(entry);
    this.#added(entry.bytes);
  }

  /** Takes what was collected (undefined when nothing was); the next event starts a new group. */
  take(): TakenGroup<E> | undefined {
    this.#isScheduled = false;
    if (this.#held.length === 0 && this.#spilled.length === 0) return undefined;
    const taken = { held: this.#held, starts: this.#starts, spilled: this.#spilled };
    this.#held = [];
    this.#starts = [];
    this.#spilled = [];
    this.#bytes = 0;
    return taken;
  }

  #added(bytes: number): void {
    this.#bytes += bytes + RECORD_HEADER_BYTES;
    if (!this.#isScheduled) {
      this.#isScheduled = true;
      process.nextTick(this.#write);
    }
  }
}
