import { frameInto, segmentHeader } from './framing';
import type { SpoolFs } from './fs';
import { keepRuns, type EncodedGroup } from './runs';
import { Segment, type SpoolEntry } from './segment';

/** What the segment writer needs: the file system, segment naming and size, and the spool's callbacks. */
export interface SegmentWriterOptions {
  fs: SpoolFs;
  /** Path of the next segment file (the owner's name and sequence). */
  nextPath: () => string;
  /** Size at which a segment is closed and the next one started. */
  segmentBytes: number;
  /** fdatasync after every append. */
  sync: boolean;
  /** A new segment file exists (its header written). */
  onOpened: (segment: Segment) => void;
  /** The previous segment was closed because it was full. */
  onRolled: (segment: Segment) => void;
}

/**
 * Appends framed records to this client's active segment: one `write` per call, never spanning two
 * files (a full segment is closed first and a new one started, header included). Errors are thrown to
 * the spool, which turns memory-only.
 */
export class SegmentWriter {
  readonly #options: SegmentWriterOptions;
  #active: Segment | undefined;
  #fd: number | undefined;

  constructor(options: SegmentWriterOptions) {
    this.#options = options;
  }

  /** The segment being appended to, if any. */
  get active(): Segment | undefined {
    return this.#active;
  }

  /** Appends `data` (whole records) and returns the segment that holds it. @throws the file system's error. */
  append(data: Buffer): Segment {
    const { fs, sync } = this.#options;
    const segment = this.#segmentFor(data.length);
    fs.write(this.#fd as number, data);
    if (sync) fs.fdatasync(this.#fd as number);
    segment.bytes += data.length;
    return segment;
  }

  /**
   * Frames encoded runs into `scratch` (one record each) and appends them, a scratch-full per write;
   * `onWritten` gets the bytes of each write as it lands. Held events (`keep`) get their run (the batch
   * body reuses it) and segment; spilled ones neither: nothing of them stays in memory. If a write
   * fails, a spill group's pieces already on disk are uncounted (the whole group is refused, so they
   * must not be read back: feeder.ts takes only counted records) and the error is thrown.
   */
  appendRuns(group: EncodedGroup<SpoolEntry>, scratch: Buffer, keep: boolean, onWritten: (bytes: number) => void): void {
    const { jsons, ends } = group;
    const placed: Array<{ segment: Segment; count: number }> = [];
    try {
      for (let from = 0; from < jsons.length; ) {
        const { data, next } = frameInto(scratch, jsons, from);
        const segment = this.append(data);
        onWritten(data.length);
        const count = (ends[next - 1] as number) - (from === 0 ? 0 : (ends[from - 1] as number));
        // Counted at once: a segment rolled away by the next write must not look empty (it would be deleted).
        segment.events += count;
        placed.push({ segment, count });
        if (keep) keepRuns(group, from, next, segment);
        from = next;
      }
    } catch (error) {
      if (!keep) for (const { segment, count } of placed) segment.events -= count;
      throw error;
    }
  }

  /**
   * Makes sure a segment is open for appending (its header written, and flushed with `sync`): the check
   * that the disk takes writes again. @throws the file system's error.
   */
  open(): void {
    this.#segmentFor(0);
    if (this.#options.sync) this.#options.fs.fdatasync(this.#fd as number);
  }

  /** Closes the active file. @returns false when closing failed (a disk error to count). */
  close(): boolean {
    if (this.#active !== undefined) this.#active.isActive = false;
    this.#active = undefined;
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd === undefined) return true;
    try {
      this.#options.fs.close(fd);
      return true;
    } catch {
      return false;
    }
  }

  #segmentFor(bytes: number): Segment {
    const active = this.#active;
    if (active !== undefined && active.bytes + bytes <= this.#options.segmentBytes) return active;
    if (active !== undefined) {
      this.close();
      this.#options.onRolled(active);
    }
    const path = this.#options.nextPath();
    const { fs } = this.#options;
    const fd = fs.openAppend(path);
    const header = segmentHeader();
    try {
      fs.write(fd, header);
    } catch (error) {
      // A file holding no record is nobody's to replay: closed and removed, not left behind (best
      // effort: the disk failed anyway, and the spool turns memory-only and counts that error).
      for (const cleanUp of [() => fs.close(fd), () => fs.unlink(path)]) {
        try {
          cleanUp();
        } catch {
          // Ignored, see above.
        }
      }
      throw error;
    }
    const segment = new Segment(path, header.length, true);
    this.#fd = fd;
    this.#active = segment;
    this.#options.onOpened(segment);
    return segment;
  }
}
