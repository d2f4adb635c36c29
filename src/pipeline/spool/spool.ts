import type { UsageEventInput } from '../../protocol/types';
import { encodeRecords, HEADER_BYTES, RECORD_HEADER_BYTES } from './framing';
import { errorCode, nodeSpoolFs, type SpoolFs } from './fs';
import { HEARTBEAT_MS, Ownership } from './owner';
import { closeOnExit } from './on-exit';
import { readSegment } from './replay';
import { Segment, type SpoolEntry } from './segment';
import type { ReplayAdmit, SpoolOptions, SpoolStats } from './types';
import { SegmentWriter } from './writer';

export type { ReplayAdmit, SpoolOptions, SpoolStats } from './types';

export type { SpoolEntry } from './segment';

/** Size at which a segment is closed and a new one started: small enough to delete soon, large enough to be few. */
export const SEGMENT_BYTES = 8 * 1024 * 1024;
/** Most events per write: a turn that records very many is written in slices of this many, bounding the buffer each write needs. */
const GROUP_EVENTS = 4096;
/** Replayed events admitted per event-loop turn, so replay never holds the loop for long. */
const REPLAY_SLICE = 1000;

/**
 * The durable spool (docs/pipeline.md "Surviving crashes"). `append()` queues an accepted event; one
 * synchronous write per event-loop turn (scheduled with process.nextTick) puts the whole group in the
 * current segment, so an event is in the page cache before the turn that recorded it ends. `settle()`
 * counts events off their segment; a closed segment with nothing unsettled is deleted. `replay()`
 * claims dead owners' segments in the background. Any disk error is logged once and turns the spool
 * memory-only: never an exception into the caller.
 */
export class Spool {
  readonly #options: SpoolOptions;
  readonly #fs: SpoolFs;
  readonly #owner: Ownership;
  readonly #writer: SegmentWriter;
  readonly #segments = new Set<Segment>();
  #pending: SpoolEntry[] = [];
  #pendingBytes = 0;
  #isScheduled = false;
  #isDisk = true;
  /** The lock file was created (released on close even after a disk error, so what is left gets replayed). */
  #isOwner = false;
  #isClosed = false;
  #bytes = 0;
  #replayed = 0;
  #corruptRecords = 0;
  #skippedSegments = 0;
  #diskErrors = 0;
  #replay: Promise<void> | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #replayAdmit: ReplayAdmit | undefined;
  #forgetOnExit: (() => void) | undefined;
  readonly #writeGroup = (): void => this.#write();

  constructor(options: SpoolOptions) {
    this.#options = options;
    this.#fs = options.fs ?? nodeSpoolFs;
    this.#owner = new Ownership(this.#fs, options.dir, options.now);
    this.#writer = new SegmentWriter({
      fs: this.#fs,
      nextPath: () => this.#owner.nextSegmentPath(),
      segmentBytes: options.segmentBytes ?? SEGMENT_BYTES,
      sync: options.sync,
      onOpened: (segment) => {
        this.#segments.add(segment);
        this.#bytes += segment.bytes;
      },
      onRolled: (segment) => {
        if (segment.isDone) this.#delete(segment);
      },
    });
    try {
      this.#fs.mkdir(options.dir);
      this.#owner.acquire();
      this.#isOwner = true;
    } catch (error) {
      this.#fail(error, 'cannot use the spool directory');
      return;
    }
    // Through a WeakRef, so the timer does not keep a client the app dropped without shutdown().
    const self = new WeakRef(this);
    const heartbeat = setInterval(() => {
      const spool = self.deref();
      if (spool === undefined) clearInterval(heartbeat);
      else spool.#tick();
    }, HEARTBEAT_MS);
    heartbeat.unref();
    this.#heartbeat = heartbeat;
    this.#forgetOnExit = closeOnExit(this);
  }

  /** Queues an accepted event for this turn's group write. */
  append(entry: SpoolEntry): void {
    this.#pending.push(entry);
    this.#pendingBytes += entry.bytes + RECORD_HEADER_BYTES;
    if (!this.#isScheduled) {
      this.#isScheduled = true;
      process.nextTick(this.#writeGroup);
    }
  }

  /** Counts a settled event off its segment, deleting the segment when nothing in it is left to deliver. */
  settle(entry: SpoolEntry): void {
    const segment = entry.segment;
    if (segment === undefined) return;
    segment.settled += 1;
    if (segment.isDone) this.#delete(segment);
  }

  /** Keeps the segments of events handed back unacknowledged (shutdown deadline): the next client replays them. */
  retain(entries: readonly SpoolEntry[]): void {
    for (const entry of entries) if (entry.segment !== undefined) entry.segment.keep = true;
  }

  /**
   * Whether an event of `bytes` (estimated) more fits under `maxSpoolBytes` (always true once
   * memory-only). Counts its frame and a segment header to spare; the estimate itself may be a little
   * short for non-ASCII text, so the files can pass the bound by that much.
   */
  hasRoom(bytes: number): boolean {
    return !this.#isDisk || this.#bytes + this.#pendingBytes + bytes + RECORD_HEADER_BYTES + HEADER_BYTES <= this.#options.maxBytes;
  }

  /** Starts replaying dead owners' segments in the background (never awaited by the caller). */
  replay(admit: ReplayAdmit): void {
    this.#replayAdmit = admit;
    if (!this.#isDisk || this.#replay !== undefined) return;
    this.#replay = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.#runReplay(admit))
      .catch((error: unknown) => this.#fail(error, 'replay failed'))
      .finally(() => {
        this.#replay = undefined;
      });
  }

  stats(): SpoolStats {
    return {
      mode: this.#isDisk ? 'disk' : 'memory-only',
      bytes: this.#bytes,
      segments: this.#segments.size,
      replayed: this.#replayed,
      replaying: this.#replay !== undefined,
      corruptRecords: this.#corruptRecords,
      skippedSegments: this.#skippedSegments,
      diskErrors: this.#diskErrors,
    };
  }

  /** Writes what is pending, closes the file, deletes settled segments and releases ownership: what is left is the next client's to replay. */
  close(): void {
    if (this.#isClosed) return;
    this.#write();
    this.#isClosed = true;
    this.#forgetOnExit?.();
    clearInterval(this.#heartbeat);
    const active = this.#writer.active;
    this.#closeWriter();
    if (active?.isDone === true) this.#delete(active);
    for (const segment of this.#segments) segment.isReplaying = false;
    for (const segment of [...this.#segments]) if (segment.isDone) this.#delete(segment);
    if (this.#isOwner) this.#owner.release();
  }

  /** The group write: every event queued in this turn, encoded once, in one write (per GROUP_EVENTS for a very large turn). */
  #write(): void {
    this.#isScheduled = false;
    const group = this.#pending;
    if (group.length === 0) return;
    this.#pending = [];
    this.#pendingBytes = 0;
    for (let start = 0; start < group.length; start += GROUP_EVENTS) this.#writeSlice(group.slice(start, start + GROUP_EVENTS));
  }

  #writeSlice(group: SpoolEntry[]): void {
    const jsons: string[] = [];
    const written: SpoolEntry[] = [];
    for (const entry of group) {
      if (entry.isSettled) continue;
      const json = JSON.stringify(entry.event);
      entry.json = json;
      jsons.push(json);
      written.push(entry);
    }
    if (!this.#isDisk || this.#isClosed || written.length === 0) return;
    try {
      const data = encodeRecords(jsons);
      const segment = this.#writer.append(data);
      this.#bytes += data.length;
      segment.events += written.length;
      for (const entry of written) entry.segment = segment;
    } catch (error) {
      this.#fail(error, 'writing to the spool failed');
    }
  }

  #closeWriter(): void {
    if (!this.#writer.close()) this.#diskErrors += 1;
  }

  #delete(segment: Segment): void {
    if (!this.#segments.delete(segment)) return;
    this.#bytes -= segment.bytes;
    try {
      this.#fs.unlink(segment.path);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') this.#diskErrors += 1;
    }
    this.#options.onRoom();
  }

  async #runReplay(admit: ReplayAdmit): Promise<void> {
    if (this.#isClosed || !this.#isDisk) return;
    const claimed = this.#owner.claimOrphans();
    for (const path of claimed) {
      if (this.#isClosed) return;
      const read = readSegment(this.#fs, path);
      if (read.kind !== 'events') {
        this.#skippedSegments += 1;
        const why = read.kind === 'newer' ? `written by a newer SDK (format ${read.version})` : 'not a spool segment';
        this.#options.logger.warn({ path }, `spool segment left alone: ${why}`);
        continue;
      }
      const segment = new Segment(path, read.bytes, false);
      segment.events = read.events.length;
      segment.isReplaying = true;
      this.#segments.add(segment);
      this.#bytes += read.bytes;
      if (read.corruptRecords > 0) {
        this.#corruptRecords += read.corruptRecords;
        this.#options.logger.warn({ path, corruptRecords: read.corruptRecords, intact: read.events.length }, 'spool segment had torn or corrupt records; they were skipped');
      }
      const isComplete = await this.#admitAll(read.events, segment, admit);
      segment.isReplaying = false;
      if (segment.isDone) this.#delete(segment);
      if (!isComplete) return;
    }
  }

  async #admitAll(events: UsageEventInput[], segment: Segment, admit: ReplayAdmit): Promise<boolean> {
    for (let i = 0; i < events.length; i++) {
      if (i > 0 && i % REPLAY_SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.#isClosed) return false;
      let admitted = admit(events[i] as UsageEventInput, segment);
      if (typeof admitted !== 'boolean') admitted = await admitted;
      if (!admitted) return false;
      this.#replayed += 1;
    }
    return true;
  }

  #tick(): void {
    if (!this.#isDisk || this.#isClosed) return;
    try {
      this.#owner.heartbeat();
    } catch (error) {
      this.#fail(error, 'refreshing the spool lock failed');
      return;
    }
    // Pick up segments of processes that died since (a sibling worker on the same directory).
    if (this.#replayAdmit !== undefined) this.replay(this.#replayAdmit);
  }

  /** Logs the first disk failure and continues memory-only: events stay deliverable, no longer crash-safe. */
  #fail(error: unknown, what: string): void {
    this.#diskErrors += 1;
    if (!this.#isDisk) return;
    this.#isDisk = false;
    clearInterval(this.#heartbeat);
    this.#options.logger.error({ dir: this.#options.dir, code: errorCode(error) }, `${what} (${errorCode(error)}); usage events are kept in memory only from now on and are not crash-safe`);
    this.#closeWriter();
    this.#options.onRoom();
  }
}
