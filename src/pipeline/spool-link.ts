import type { Logger } from 'pino';
import type { UsageEventInput } from '../protocol/types';
import { estimateEventBytes } from './event-stamp';
import type { Ledger } from './ledger';
import type { ResolvedBatchingOptions } from './options';
import { PendingEvent } from './pending-event';
import type { SpoolFs } from './spool/fs';
import type { Segment } from './spool/segment';
import { Spool, type SpoolStats } from './spool/spool';

/** What the spool link needs from the pipeline. */
export interface SpoolLinkDeps {
  options: ResolvedBatchingOptions & { spoolDir: string };
  logger: Logger;
  ledger: Ledger;
  /** Admits an event into the pipeline (a replayed one keeps its segment and is not written again). */
  admit: (entry: PendingEvent) => void;
  /** Called when the spool freed room (wakes blocked records). */
  onRoom: () => void;
  /** Whether the pipeline stopped taking events. */
  isClosed: () => boolean;
  fs?: SpoolFs | undefined;
}

/**
 * The pipeline's side of the durable spool (docs/pipeline.md "Surviving crashes"): accepted events go
 * to the spool, settled ones are counted off it, and replayed events come in from it. Replay takes at
 * most half of the memory bound, so live `record()` calls keep room while a backlog drains.
 */
export class SpoolLink {
  readonly #spool: Spool;
  readonly #deps: SpoolLinkDeps;
  /** The replayed event waiting for room (replay feeds one at a time). */
  #waiting: { entry: PendingEvent; admitted: (isAdmitted: boolean) => void } | undefined;

  constructor(deps: SpoolLinkDeps) {
    this.#deps = deps;
    const { spoolDir: dir, spoolSync: sync, maxSpoolBytes: maxBytes } = deps.options;
    this.#spool = new Spool({ dir, sync, maxBytes, logger: deps.logger, onRoom: deps.onRoom, ...(deps.fs === undefined ? {} : { fs: deps.fs }) });
    this.#spool.replay((event, segment) => this.#replayed(event, segment));
  }

  /** Whether the disk bound has room for an event of `bytes`. */
  hasRoom(bytes: number): boolean {
    return this.#spool.hasRoom(bytes);
  }

  /** An event was admitted: written in this turn's group unless it came from the spool. */
  admitted(entry: PendingEvent): void {
    if (entry.segment === undefined) this.#spool.append(entry);
  }

  /** An event settled (any outcome): frees its place in its segment. */
  settled(entry: PendingEvent): void {
    this.#spool.settle(entry);
  }

  /** Room was freed in memory: lets a waiting replayed event in. */
  wake(): void {
    const waiting = this.#waiting;
    if (waiting === undefined || !this.#hasReplayRoom(waiting.entry.bytes)) return;
    this.#waiting = undefined;
    this.#deps.admit(waiting.entry);
    waiting.admitted(true);
  }

  /** Shutdown began: replay stops; what it did not feed in stays on disk for the next client. */
  stop(): void {
    this.#waiting?.admitted(false);
    this.#waiting = undefined;
  }

  /** Events handed back unacknowledged at shutdown stay in the spool. */
  retain(entries: readonly PendingEvent[]): void {
    this.#spool.retain(entries);
  }

  /** Closes the spool (see Spool.close). */
  close(): void {
    this.#spool.close();
  }

  /** The spool's counters. */
  stats(): SpoolStats {
    return this.#spool.stats();
  }

  #replayed(event: UsageEventInput, segment: Segment): boolean | Promise<boolean> {
    if (this.#deps.isClosed()) return false;
    const entry = new PendingEvent(event, estimateEventBytes(event));
    entry.segment = segment;
    if (this.#hasReplayRoom(entry.bytes)) {
      this.#deps.admit(entry);
      return true;
    }
    return new Promise<boolean>((admitted) => {
      this.#waiting = { entry, admitted };
    });
  }

  #hasReplayRoom(bytes: number): boolean {
    const { unacked, unackedBytes } = this.#deps.ledger;
    const { maxBufferedEvents, maxBufferedBytes } = this.#deps.options;
    return unacked < maxBufferedEvents / 2 && (unackedBytes + bytes <= maxBufferedBytes / 2 || unacked === 0);
  }
}
