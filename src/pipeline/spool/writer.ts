import { segmentHeader } from './framing';
import type { SpoolFs } from './fs';
import { Segment } from './segment';

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
    const fd = this.#options.fs.openAppend(path);
    const segment = new Segment(path, 0, true);
    this.#fd = fd;
    this.#active = segment;
    const header = segmentHeader();
    this.#options.fs.write(fd, header);
    segment.bytes = header.length;
    this.#options.onOpened(segment);
    return segment;
  }
}
