import type { Logger } from 'pino';
import type { UsageEventInput } from '../../protocol/types';
import type { SpoolFs } from './fs';
import { readSegment } from './replay';
import { Segment } from './segment';
import type { ReplayTarget } from './types';

/** Events admitted per event-loop turn while reading a segment back, so feeding never holds the loop for long. */
const FEED_SLICE = 1000;

/** What the feeder needs from the spool. */
export interface FeederHost {
  readonly fs: SpoolFs;
  readonly logger: Logger;
  /** A claimed segment was read: it now counts toward the disk bound. */
  adopt(segment: Segment): void;
  /** Closes `segment` if it is the active spill segment (its pending group written first): it is read back whole. */
  roll(segment: Segment): void;
  /** Deletes the segment if nothing in it is left to deliver. */
  release(segment: Segment): void;
  /** Reading a segment back failed: counted and logged by the spool; the file stays for the next client. */
  readFailed(error: unknown): void;
}

/** A segment waiting to be read back: a claimed dead owner's segment (by path) or one of this client's spill segments. */
type Queued = string | Segment;

/**
 * Reads segments back into the pipeline, one at a time and oldest first: segments claimed from dead
 * owners (replay) and this client's own spill segments (events accepted while memory was full, written
 * to disk only). Before reading a segment it waits until memory has room (the target's `room()`), so a
 * long outage never pulls the backlog into the heap; then it admits the segment's events one by one, as
 * room allows. Events keep their idempotency keys and timestamps; the segment is deleted once all are
 * settled (docs/pipeline.md "Surviving crashes", "Spilling to disk").
 */
export class SegmentFeeder {
  readonly #host: FeederHost;
  readonly #queue: Queued[] = [];
  #target: ReplayTarget | undefined;
  #current: Queued | undefined;
  #isFeeding = false;
  #isClaiming = false;
  #isReplayStopped = false;
  #isStopped = false;
  #claimedLeft = 0;
  #replayed = 0;
  #corruptRecords = 0;
  #skippedSegments = 0;
  #spilled = 0;
  #spilledWaiting = 0;
  readonly #spillWaiters: Array<{ segment: Segment; resolve: () => void }> = [];

  constructor(host: FeederHost) {
    this.#host = host;
  }

  /** Where read-back events go; feeding starts once this is set. */
  setTarget(target: ReplayTarget): void {
    this.#target = target;
    this.#start();
  }

  /** Claiming orphans is under way (replay counts as running from now). */
  claiming(isClaiming: boolean): void {
    this.#isClaiming = isClaiming;
  }

  /** Queues claimed segments (their new paths) for replay. */
  addClaimed(paths: readonly string[]): void {
    if (this.#isReplayStopped) return;
    this.#queue.push(...paths);
    this.#claimedLeft += paths.length;
    this.#start();
  }

  /** Queues a new spill segment (read back once memory has room). */
  addSpill(segment: Segment): void {
    this.#queue.push(segment);
    this.#start();
  }

  /** `count` events were written to a spill segment. */
  spilled(count: number): void {
    this.#spilled += count;
    this.#spilledWaiting += count;
  }

  /** Shutdown began: replay of claimed segments stops (they stay on disk); spill segments are still read back. */
  stopReplay(): void {
    this.#isReplayStopped = true;
    const claimed = this.#queue.filter((item) => typeof item === 'string').length;
    this.#claimedLeft -= claimed;
    for (let i = this.#queue.length - 1; i >= 0; i--) if (typeof this.#queue[i] === 'string') this.#queue.splice(i, 1);
  }

  /** Feeding stops for good (the spool closed): what was not read back stays on disk for the next client. */
  stop(): void {
    this.#isStopped = true;
    for (const waiter of this.#spillWaiters.splice(0)) waiter.resolve();
  }

  /** Resolves once every spill segment queued now (the active one included) has been read back, or feeding stopped. */
  whenSpillFed(): Promise<void> {
    let last: Segment | undefined;
    for (const item of this.#queue) if (typeof item !== 'string') last = item;
    if (last === undefined && typeof this.#current !== 'string') last = this.#current;
    if (last === undefined || this.#isStopped) return Promise.resolve();
    const segment = last;
    return new Promise((resolve) => this.#spillWaiters.push({ segment, resolve }));
  }

  get stats(): { replayed: number; replaying: boolean; corruptRecords: number; skippedSegments: number; spilled: number; spilledWaiting: number; spilledBytes: number } {
    let spilledBytes = 0;
    for (const item of this.#queue) if (typeof item !== 'string') spilledBytes += item.bytes;
    if (this.#current instanceof Segment) spilledBytes += this.#current.bytes;
    return {
      replayed: this.#replayed,
      replaying: this.#isClaiming || this.#claimedLeft > 0,
      corruptRecords: this.#corruptRecords,
      skippedSegments: this.#skippedSegments,
      spilled: this.#spilled,
      spilledWaiting: this.#spilledWaiting,
      spilledBytes,
    };
  }

  /** Spilled events not yet read back. */
  get spilledWaiting(): number {
    return this.#spilledWaiting;
  }

  #start(): void {
    const target = this.#target;
    if (target === undefined || this.#isFeeding || this.#isStopped || this.#queue.length === 0) return;
    this.#isFeeding = true;
    this.#feed(target).catch((error: unknown) => {
      // Unexpected: stop reading back rather than loop on it; what is on disk stays for the next client.
      this.#host.readFailed(error);
      this.stop();
    });
  }

  /** The one feeding loop. Its `finally` runs in the turn it returns in, so a segment queued after that starts a new loop. */
  async #feed(target: ReplayTarget): Promise<void> {
    try {
      await new Promise<void>((resolve) => setImmediate(resolve));
      for (;;) {
        const next = this.#queue[0];
        if (next === undefined || this.#isStopped) return;
        let hasRoom = target.room();
        if (typeof hasRoom !== 'boolean') hasRoom = await hasRoom;
        if (!hasRoom || this.#isStopped) return;
        // stopReplay() may have emptied the queue meanwhile.
        if (this.#queue[0] !== next) continue;
        this.#queue.shift();
        this.#current = next;
        try {
          if (typeof next === 'string') await this.#feedClaimed(next, target);
          else await this.#feedSpill(next, target);
        } finally {
          this.#current = undefined;
          if (typeof next === 'string') this.#claimedLeft -= 1;
          else this.#spillDone(next);
        }
      }
    } finally {
      this.#isFeeding = false;
    }
  }

  async #feedClaimed(path: string, target: ReplayTarget): Promise<void> {
    let read: Awaited<ReturnType<typeof readSegment>>;
    try {
      read = await readSegment(this.#host.fs, path);
    } catch (error) {
      this.#host.readFailed(error);
      return;
    }
    if (read.kind !== 'events') {
      this.#skippedSegments += 1;
      const why = read.kind === 'newer' ? `written by a newer SDK (format ${read.version})` : 'not a spool segment';
      this.#host.logger.warn({ path }, `spool segment left alone: ${why}`);
      return;
    }
    const segment = new Segment(path, read.bytes, false);
    segment.events = read.events.length;
    this.#host.adopt(segment);
    this.#countCorrupt(path, read.corruptRecords, read.events.length);
    await this.#admitAll(read.events, segment, target, true);
  }

  async #feedSpill(segment: Segment, target: ReplayTarget): Promise<void> {
    this.#host.roll(segment);
    if (segment.events === 0) {
      // Nothing reached it (its first write failed): already deleted with the writer.
      this.#host.release(segment);
      return;
    }
    let read: Awaited<ReturnType<typeof readSegment>>;
    try {
      read = await readSegment(this.#host.fs, segment.path);
    } catch (error) {
      // Left on disk (never deleted: `keep`), for the next client; its events stay counted as waiting.
      segment.keep = true;
      this.#host.readFailed(error);
      return;
    }
    if (read.kind !== 'events') {
      segment.keep = true;
      this.#skippedSegments += 1;
      this.#host.logger.warn({ path: segment.path }, 'spill segment could not be read back; left for the next client');
      return;
    }
    // Records past `events` are from a write that failed part-way: those callers were refused, so they are not fed.
    const events = read.events.length > segment.events ? read.events.slice(0, segment.events) : read.events;
    // What a garbled disk lost: counted as corrupt, no longer waiting.
    this.#spilledWaiting -= segment.events - events.length;
    segment.events = events.length;
    this.#countCorrupt(segment.path, read.corruptRecords, events.length);
    await this.#admitAll(events, segment, target, false);
  }

  /** Admits the segment's events one by one; stops early when feeding stops (or, for a claimed segment, replay stops). */
  async #admitAll(events: UsageEventInput[], segment: Segment, target: ReplayTarget, isReplay: boolean): Promise<void> {
    segment.isReplaying = true;
    try {
      for (let i = 0; i < events.length; i++) {
        if (i > 0 && i % FEED_SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.#isStopped || (isReplay && this.#isReplayStopped)) return;
        let admitted = target.admit(events[i] as UsageEventInput, segment);
        if (typeof admitted !== 'boolean') admitted = await admitted;
        if (!admitted) return;
        if (isReplay) this.#replayed += 1;
        else this.#spilledWaiting -= 1;
      }
    } finally {
      segment.isReplaying = false;
      this.#host.release(segment);
    }
  }

  #countCorrupt(path: string, corruptRecords: number, intact: number): void {
    if (corruptRecords === 0) return;
    this.#corruptRecords += corruptRecords;
    this.#host.logger.warn({ path, corruptRecords, intact }, 'spool segment had torn or corrupt records; they were skipped');
  }

  #spillDone(segment: Segment): void {
    for (let i = this.#spillWaiters.length - 1; i >= 0; i--) {
      const waiter = this.#spillWaiters[i];
      if (waiter?.segment !== segment) continue;
      this.#spillWaiters.splice(i, 1);
      waiter.resolve();
    }
  }
}
