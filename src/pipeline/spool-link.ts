import type { Logger } from 'pino';
import { BearLumenBufferFullError } from '../errors';
import type { UsageEventInput, UsageRecordResponse } from '../protocol/types';
import { estimateEventBytes } from './event-stamp';
import type { Ledger } from './ledger';
import type { ResolvedBatchingOptions } from './options';
import { PendingEvent } from './pending-event';
import { errorCode, type SpoolFs } from './spool/fs';
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
  /** The events accepted and not yet settled, batch by batch in the order they were cut, the buffer last. */
  unsettled: () => ReadonlyArray<readonly PendingEvent[]>;
  fs?: SpoolFs | undefined;
  /** The spool's heartbeat (tests shorten it to see a resume after a disk error). */
  heartbeatMs?: number | undefined;
}

/**
 * The pipeline's side of the durable spool (docs/pipeline.md "Surviving crashes"): accepted events go
 * to the spool, settled ones are counted off it, and events read back from it (dead owners' segments,
 * this client's spill segments) come in from it. Reading back takes at most half of the memory bound,
 * so live `record()` calls keep room while a backlog drains. With the memory bound full, `spill()`
 * sends an event to disk only (docs/pipeline.md "Spilling to disk").
 */
export class SpoolLink {
  readonly #spool: Spool<PendingEvent>;
  readonly #deps: SpoolLinkDeps;
  /** The read-back waiting for room (one at a time): `bytes` it needs, and how to go on. */
  #waiting: { bytes: number; resume: (hasRoom: boolean) => void } | undefined;

  constructor(deps: SpoolLinkDeps) {
    this.#deps = deps;
    const { spoolDir: dir, spoolSync: sync, maxSpoolBytes: maxBytes } = deps.options;
    const onSpilled = (entries: readonly PendingEvent[], error: unknown): void => this.#spilled(entries, error);
    const seams = { ...(deps.fs === undefined ? {} : { fs: deps.fs }), ...(deps.heartbeatMs === undefined ? {} : { heartbeatMs: deps.heartbeatMs }) };
    const onResumed = (): number => this.#catchUp();
    this.#spool = new Spool<PendingEvent>({ dir, sync, maxBytes, logger: deps.logger, onRoom: deps.onRoom, onSpilled, onResumed, ...seams });
    this.#spool.replay({ room: () => this.#room(), admit: (event, segment) => this.#readBack(event, segment) });
  }

  /** Whether the disk bound has room for an event of `bytes`. */
  hasRoom(bytes: number): boolean {
    return this.#spool.hasRoom(bytes);
  }

  /**
   * Takes an event the memory bound has no room for onto disk only: its promise resolves
   * `{ eventId: '', recorded: true, spooled: true }` once this turn's group write put it in a spill
   * segment. Undefined when the spool cannot take it (memory-only, `maxSpoolBytes` full, or an event
   * that could never fit in memory): the overflow policy decides then.
   */
  spill(event: UsageEventInput, bytes: number): Promise<UsageRecordResponse> | undefined {
    if (bytes > this.#deps.options.maxBufferedBytes || !this.#spool.canSpill(bytes)) return undefined;
    const entry = new PendingEvent(event, bytes);
    this.#spool.spill(entry);
    return entry.promise;
  }

  /** An event was admitted (`startsBatch`: as the first of a new batch): written in this turn's group unless it came from the spool. */
  admitted(entry: PendingEvent, startsBatch: boolean): void {
    if (entry.segment === undefined) this.#spool.append(entry, startsBatch);
  }

  /** An event settled (any outcome): frees its place in its segment. */
  settled(entry: PendingEvent): void {
    this.#spool.settle(entry);
  }

  /** Room was freed in memory: lets a waiting read-back go on. */
  wake(): void {
    const waiting = this.#waiting;
    if (waiting === undefined || !this.#hasReplayRoom(waiting.bytes)) return;
    this.#waiting = undefined;
    waiting.resume(true);
  }

  /** Shutdown began: replay of dead owners' segments stops (what it did not feed in stays on disk for the next client); spilled events are still read back. */
  stop(): void {
    this.#spool.stopReplay();
  }

  /** Resolves once the events spilled so far have been read back into memory (or the spool closed). */
  whenSpillFed(): Promise<void> {
    return this.#spool.whenSpillFed();
  }

  /** Spilled events still on disk only. */
  get spilledWaiting(): number {
    return this.#spool.spilledWaiting;
  }

  /** Events handed back unacknowledged at shutdown stay in the spool. */
  retain(entries: readonly PendingEvent[]): void {
    this.#spool.retain(entries);
  }

  /** Closes the spool (see Spool.close): reading back stops; what is on disk stays for the next client. */
  close(): void {
    this.#spool.close();
    this.#waiting?.resume(false);
    this.#waiting = undefined;
  }

  /** The spool's counters. */
  stats(): SpoolStats {
    return this.#spool.stats();
  }

  #spilled(entries: readonly PendingEvent[], error: unknown): void {
    if (error === undefined) {
      for (const entry of entries) entry.resolve({ eventId: '', recorded: true, spooled: true });
      return;
    }
    // The spool failed (and is memory-only now) before these reached the disk: refused like any overflow.
    const refusal = new BearLumenBufferFullError(`The event buffer was full and writing the event to the spool failed (${errorCode(error)}); it was not kept`);
    for (const entry of entries) {
      this.#deps.ledger.refuse('buffer_full');
      entry.reject(refusal);
    }
  }

  /**
   * After a resume: appends every unsettled event that has no segment (accepted while memory-only) to
   * this turn's group write, as far as the disk bound allows. Each batch starts a run, so a run never
   * crosses a batch (batch-body.ts reuses whole runs, and encodes the events of any other).
   */
  #catchUp(): number {
    let appended = 0;
    for (const batch of this.#deps.unsettled()) {
      let startsBatch = true;
      for (const entry of batch) {
        if (entry.isSettled || entry.segment !== undefined) continue;
        if (!this.#spool.hasRoom(entry.bytes)) return appended;
        this.#spool.append(entry, startsBatch);
        startsBatch = false;
        appended += 1;
      }
    }
    return appended;
  }

  #room(): boolean | Promise<boolean> {
    if (this.#hasReplayRoom(0)) return true;
    return new Promise<boolean>((resume) => {
      this.#waiting = { bytes: 0, resume };
    });
  }

  #readBack(event: UsageEventInput, segment: Segment): boolean | Promise<boolean> {
    const entry = new PendingEvent(event, estimateEventBytes(event));
    entry.segment = segment;
    if (this.#hasReplayRoom(entry.bytes)) {
      this.#deps.admit(entry);
      return true;
    }
    return new Promise<boolean>((admitted) => {
      const resume = (hasRoom: boolean): void => {
        if (hasRoom) this.#deps.admit(entry);
        admitted(hasRoom);
      };
      this.#waiting = { bytes: entry.bytes, resume };
    });
  }

  #hasReplayRoom(bytes: number): boolean {
    const { unacked, unackedBytes } = this.#deps.ledger;
    const { maxBufferedEvents, maxBufferedBytes } = this.#deps.options;
    return unacked < maxBufferedEvents / 2 && (unackedBytes + bytes <= maxBufferedBytes / 2 || unacked === 0);
  }
}
