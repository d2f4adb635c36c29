import { HEADER_BYTES, RECORD_HEADER_BYTES } from './framing';
import { encodeRuns, type EncodedGroup } from './runs';
import { TurnGroup } from './turn-group';
import { SegmentFeeder } from './feeder';
import { errorCode, nodeSpoolFs, type SpoolFs } from './fs';
import { HEARTBEAT_MS, Ownership } from './owner';
import { closeOnExit, weakInterval } from './lifetime';
import { DiskState } from './disk-state';
import type { Segment, SpoolEntry } from './segment';
import type { ReplayTarget, SpoolOptions, SpoolStats } from './types';
import { SegmentWriter } from './writer';

export type { ReplayTarget, SpoolOptions, SpoolStats } from './types';
export type { SpoolEntry } from './segment';

/** Size at which a segment is closed and a new one started: small enough to delete soon, large enough to be few. */
export const SEGMENT_BYTES = 8 * 1024 * 1024;
/** Spilled events per slice of a group write (a failed write refuses one slice). */
const SPILL_SLICE = 4096;
const NO_STARTS: readonly number[] = [];
/** The group write's reusable framing buffer (a group larger than this is written in several writes, in the same turn). */
const SCRATCH_BYTES = 4 * 1024 * 1024;

/**
 * The durable spool (docs/pipeline.md "Surviving crashes"). `append()` queues an accepted event; one
 * synchronous write per event-loop turn (scheduled with process.nextTick) puts the whole group in the
 * current segment, so an event is in the page cache before the turn that recorded it ends. `spill()`
 * queues an event accepted while memory is full: the same group write puts it in a spill segment, and
 * nothing of it stays in memory; the feeder reads spill segments back as memory frees up. `settle()`
 * counts events off their segment; a closed segment with nothing unsettled is deleted. `replay()`
 * claims dead owners' segments in the background. A disk error is logged and turns the spool
 * memory-only, never an exception into the caller, until a later heartbeat finds the disk working
 * again (disk-state.ts).
 */
export class Spool<E extends SpoolEntry = SpoolEntry> {
  readonly #options: SpoolOptions<E>;
  readonly #fs: SpoolFs;
  readonly #owner: Ownership;
  readonly #writer: SegmentWriter;
  readonly #spillWriter: SegmentWriter;
  readonly #feeder: SegmentFeeder;
  readonly #segments = new Set<Segment>();
  readonly #group = new TurnGroup<E>(() => this.#write());
  readonly #disk: DiskState;
  #isClosed = false;
  #bytes = 0;
  readonly #heartbeat: NodeJS.Timeout;
  /** Allocated on the first group write, so a client whose spool never writes holds none. */
  #scratch: Buffer | undefined;
  #forgetOnExit: (() => void) | undefined;

  constructor(options: SpoolOptions<E>) {
    this.#options = options;
    this.#fs = options.fs ?? nodeSpoolFs;
    this.#owner = new Ownership(this.#fs, options.dir, options.now);
    this.#disk = new DiskState(options.now ?? Date.now, options.heartbeatMs ?? HEARTBEAT_MS);
    this.#feeder = new SegmentFeeder({
      fs: this.#fs,
      logger: options.logger,
      adopt: (segment) => this.#adopt(segment),
      roll: (segment) => this.#roll(segment),
      release: (segment) => segment.isDone && this.#delete(segment),
      readFailed: (error) => this.#fail(error, 'reading the spool back failed'),
    });
    this.#writer = this.#segmentWriter(false);
    this.#spillWriter = this.#segmentWriter(true);
    // It runs in memory-only mode too: that is when the spool tries the disk again.
    this.#heartbeat = weakInterval(this, options.heartbeatMs ?? HEARTBEAT_MS, (spool) => spool.#tick());
    this.#forgetOnExit = closeOnExit(this);
    try {
      this.#fs.mkdir(options.dir);
      this.#owner.acquire();
    } catch (error) {
      this.#fail(error, 'cannot use the spool directory');
    }
  }

  /**
   * Queues an accepted event for this turn's group write; `startsBatch`: the pipeline began a new batch
   * with it (a run never crosses one, so batch bodies reuse whole runs). Nothing once memory-only: the
   * batch body then encodes the event itself.
   */
  append(entry: SpoolEntry, startsBatch: boolean): void {
    if (!this.#disk.isDisk || this.#isClosed) return;
    this.#group.addHeld(entry, startsBatch);
  }

  /** Whether an event of `bytes` can be spilled: the spool writes to disk and `maxSpoolBytes` has room. */
  canSpill(bytes: number): boolean {
    return this.#disk.isDisk && !this.#isClosed && this.hasRoom(bytes);
  }

  /** Queues an event accepted while memory is full for this turn's group write into a spill segment (see `onSpilled`). */
  spill(entry: E): void {
    this.#group.addSpilled(entry);
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
    return !this.#disk.isDisk || this.#bytes + this.#group.bytes + bytes + RECORD_HEADER_BYTES + HEADER_BYTES <= this.#options.maxBytes;
  }

  /** Starts reading segments back into `target` in the background (never awaited by the caller): dead owners' segments now, spill segments as they come. */
  replay(target: ReplayTarget): void {
    this.#feeder.setTarget(target);
    this.#claim();
  }

  /** Shutdown began: claimed segments are no longer replayed (they stay for the next client); spill segments still are. */
  stopReplay(): void {
    this.#feeder.stopReplay();
  }

  /** Resolves once every spill segment written so far has been read back (or the spool closed). */
  whenSpillFed(): Promise<void> {
    return this.#feeder.whenSpillFed();
  }

  /** Spilled events still on disk only. */
  get spilledWaiting(): number {
    return this.#feeder.spilledWaiting;
  }

  stats(): SpoolStats {
    return {
      mode: this.#disk.isDisk ? 'disk' : 'memory-only',
      bytes: this.#bytes,
      segments: this.#segments.size,
      diskErrors: this.#disk.errors,
      ...this.#feeder.stats,
    };
  }

  /** Writes what is pending, closes the files, deletes settled segments and releases ownership: what is left is the next client's to replay. */
  close(): void {
    if (this.#isClosed) return;
    this.#write();
    this.#isClosed = true;
    this.#feeder.stop();
    this.#forgetOnExit?.();
    clearInterval(this.#heartbeat);
    this.#closeWriter(this.#writer);
    this.#closeWriter(this.#spillWriter);
    for (const segment of this.#segments) segment.isReplaying = false;
    for (const segment of [...this.#segments]) if (segment.isDone) this.#delete(segment);
    // Released even after a disk error, so what is left gets replayed.
    this.#owner.release();
  }

  #segmentWriter(isSpill: boolean): SegmentWriter {
    return new SegmentWriter({
      fs: this.#fs,
      nextPath: () => this.#owner.nextSegmentPath(),
      segmentBytes: this.#options.segmentBytes ?? SEGMENT_BYTES,
      sync: this.#options.sync,
      onOpened: (segment) => {
        this.#adopt(segment);
        if (isSpill) this.#feeder.addSpill(segment);
      },
      onRolled: (segment) => {
        if (segment.isDone) this.#delete(segment);
      },
    });
  }

  /** Closes the active spill segment if it is `segment`, its pending group written first: it is read back whole. */
  #roll(segment: Segment): void {
    if (this.#spillWriter.active !== segment) return;
    this.#write();
    this.#closeWriter(this.#spillWriter);
  }

  /** The group write: every event queued in this turn, encoded once in runs (runs.ts), in one write per file (per scratch buffer for a very large turn). */
  #write(): void {
    const group = this.#group.take();
    if (group === undefined) return;
    const { held, starts, spilled } = group;
    if (held.length > 0) this.#writeRuns(encodeRuns(held, starts), this.#writer);
    // Spilled events in slices: a failed write refuses one slice, and onSpilled settles each slice as it is written.
    for (let start = 0; start < spilled.length; start += SPILL_SLICE) {
      const slice = spilled.slice(start, start + SPILL_SLICE);
      const isWritten = this.#disk.isDisk && !this.#isClosed && this.#writeRuns(encodeRuns(slice, NO_STARTS), this.#spillWriter);
      if (isWritten) this.#feeder.spilled(slice.length);
      this.#options.onSpilled(slice, isWritten ? undefined : (this.#disk.failure ?? new Error('the spool is closed')));
    }
  }

  /**
   * Writes encoded runs, one record each; true when all are on disk. Held events keep their run (the
   * batch body reuses it) and segment; a spilled entry keeps neither: nothing of it stays in memory.
   */
  #writeRuns(group: EncodedGroup<SpoolEntry>, writer: SegmentWriter): boolean {
    if (!this.#disk.isDisk || this.#isClosed || group.jsons.length === 0) return false;
    this.#scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES);
    try {
      writer.appendRuns(group, this.#scratch, writer === this.#writer, (bytes) => (this.#bytes += bytes));
      return true;
    } catch (error) {
      this.#fail(error, 'writing to the spool failed');
      return false;
    }
  }

  #adopt(segment: Segment): void {
    this.#segments.add(segment);
    this.#bytes += segment.bytes;
  }

  /** Closes the writer's file and deletes its segment if nothing in it is left; a failed close counts as a disk error unless `countsErrors` is false (a failed try to resume). */
  #closeWriter(writer: SegmentWriter, countsErrors = true): void {
    const active = writer.active;
    if (!writer.close() && countsErrors) this.#disk.count();
    if (active?.isDone === true) this.#delete(active);
  }

  #delete(segment: Segment): void {
    if (!this.#segments.delete(segment)) return;
    this.#bytes -= segment.bytes;
    try {
      this.#fs.unlink(segment.path);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') this.#disk.count();
    }
    this.#options.onRoom();
  }

  /** Claims dead owners' segments (in the background) and queues them for replay. */
  #claim(): void {
    if (!this.#disk.isDisk || this.#isClosed) return;
    this.#feeder.claiming(true);
    setImmediate(() => {
      try {
        if (this.#disk.isDisk && !this.#isClosed) this.#feeder.addClaimed(this.#owner.claimOrphans());
      } catch (error) {
        this.#fail(error, 'replay failed');
      } finally {
        this.#feeder.claiming(false);
      }
    });
  }

  #tick(): void {
    if (this.#isClosed) return;
    if (!this.#disk.isDisk) {
      if (this.#disk.isResumeDue) this.#resume();
      return;
    }
    try {
      this.#owner.heartbeat();
    } catch (error) {
      this.#fail(error, 'refreshing the spool lock failed');
      return;
    }
    // Pick up segments of processes that died since (a sibling worker on the same directory).
    this.#claim();
  }

  /**
   * Tries the disk again (memory-only, the wait over): the directory, this client's lock and a fresh
   * segment with its header must all work. Then the events accepted while memory-only and not yet
   * settled are written too (`onResumed`), so every unacknowledged event is crash-safe again. A try
   * that fails is neither logged nor counted: the next heartbeat tries again.
   */
  #resume(): void {
    try {
      this.#fs.mkdir(this.#options.dir);
      this.#owner.renew();
      this.#writer.open();
    } catch {
      // The try's segment, if it got that far, holds nothing: deleted, so failed tries leave no files.
      this.#closeWriter(this.#writer, false);
      return;
    }
    this.#disk.resumed();
    const caughtUp = this.#options.onResumed?.() ?? 0;
    this.#options.logger.warn({ dir: this.#options.dir, caughtUp }, `the spool directory takes writes again; usage events are crash-safe again (${caughtUp} held in memory meanwhile are written now)`);
    this.#claim();
  }

  /** Logs a disk failure and continues memory-only until the disk works again: events stay deliverable, no longer crash-safe. */
  #fail(error: unknown, what: string): void {
    if (!this.#disk.fail(error)) return;
    const code = errorCode(error);
    const retryInS = Math.round(this.#disk.resumeInMs / 1000);
    this.#options.logger.error({ dir: this.#options.dir, code }, `${what} (${code}); usage events are kept in memory only, not crash-safe, until the disk works again (next try in ${retryInS} s)`);
    this.#closeWriter(this.#writer);
    this.#closeWriter(this.#spillWriter);
    this.#options.onRoom();
  }
}
