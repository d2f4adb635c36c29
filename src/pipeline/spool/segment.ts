import type { EncodedRun } from './runs';

/**
 * One segment file this client owns, written by it or claimed from a dead owner. It is deleted as a
 * whole once every event in it is settled (never truncated), unless `keep` says its unsettled events
 * must wait on disk for the next client (a shutdown deadline passed).
 */
export class Segment {
  readonly path: string;
  /** Bytes in the file (header included). */
  bytes: number;
  /** Events written to it (or, claimed, read back from it). */
  events = 0;
  /** Of those, events settled (delivered, duplicate, failed or dropped). */
  settled = 0;
  /** Still being appended to. */
  isActive: boolean;
  /** Not deleted, even when settled: set for events handed back unacknowledged at shutdown. */
  keep = false;
  /** Events of a claimed segment are still being read and admitted. */
  isReplaying = false;

  constructor(path: string, bytes: number, isActive: boolean) {
    this.path = path;
    this.bytes = bytes;
    this.isActive = isActive;
  }

  /** Whether the file can go: nothing in it still needs delivering. */
  get isDone(): boolean {
    return !this.isActive && !this.isReplaying && !this.keep && this.settled >= this.events;
  }
}

/** What the spool needs from an accepted event (the pipeline's PendingEvent). */
export interface SpoolEntry {
  readonly event: object;
  /** Estimated bytes (for the disk bound before the event is encoded). */
  readonly bytes: number;
  readonly isSettled: boolean;
  /** The run the spool's group write encoded the event in (runs.ts), reused for the batch body. */
  run: EncodedRun | undefined;
  /** The segment holding it, once written. */
  segment: Segment | undefined;
}
