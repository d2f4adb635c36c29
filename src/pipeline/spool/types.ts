import type { Logger } from 'pino';
import type { UsageEventInput } from '../../protocol/types';
import type { SpoolFs } from './fs';
import type { Segment, SpoolEntry } from './segment';

/** What the spool is built with (from the resolved batching options). */
export interface SpoolOptions<E extends SpoolEntry = SpoolEntry> {
  dir: string;
  /** fdatasync after every group write. */
  sync: boolean;
  /** Most bytes of segments this client keeps (written and claimed). */
  maxBytes: number;
  logger: Logger;
  /** Called when segments were deleted (room for blocked records). */
  onRoom: () => void;
  /**
   * A group of spilled events was written (`error` undefined: they are on disk only now) or could not be
   * (`error`: the spool failed and is memory-only; they are not kept anywhere).
   */
  onSpilled: (entries: readonly E[], error: unknown) => void;
  /**
   * The spool resumed after a disk error: append() the events accepted while it was memory-only that
   * are still unsettled (they go out in this turn's group write). Returns how many were appended.
   */
  onResumed?: () => number;
  fs?: SpoolFs;
  segmentBytes?: number;
  now?: () => number;
  /** How often the lock is touched, orphans looked for and, when memory-only, the disk tried again (owner.ts HEARTBEAT_MS; shorter in tests). */
  heartbeatMs?: number;
}

/** The spool's counters, in `stats().spool`. */
export interface SpoolStats {
  /** `'disk'` while events are written; `'memory-only'` after a disk error, until the disk works again (events are then not crash-safe). */
  mode: 'disk' | 'memory-only';
  /** Bytes of segment files this client holds (its own and claimed ones). */
  bytes: number;
  /** Segment files this client holds. */
  segments: number;
  /** Events read back from segments of earlier (dead) processes and fed into the pipeline. */
  replayed: number;
  /** True while claimed segments are being replayed. */
  replaying: boolean;
  /** Records skipped on replay: torn, failing their checksum, or not an event. */
  corruptRecords: number;
  /** Segments left alone on replay: written by a newer SDK version, or without a segment header. */
  skippedSegments: number;
  /** File-system errors seen: each that switched to memory-only, and failures reading back, closing or deleting files (a failed try to resume is not counted). */
  diskErrors: number;
  /** Events accepted while the memory bound was full and written to disk only ("spilled"), since the client started. */
  spilled: number;
  /** Of those, events still on disk only, not yet read back into the pipeline. */
  spilledWaiting: number;
  /** Bytes of spill segment files not yet read back (or being read back). */
  spilledBytes: number;
}

/** Where events read back from segments go (claimed dead owners' segments and this client's spill segments). */
export interface ReplayTarget {
  /** Whether memory has room to read a segment back; resolves once it has (false: the pipeline no longer takes events). */
  room(): boolean | Promise<boolean>;
  /** Feeds one event into the pipeline; resolves false when the pipeline no longer takes events. */
  admit(event: UsageEventInput, segment: Segment): boolean | Promise<boolean>;
}

