import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { errorCode, type SpoolFs } from './fs';

/** How often a live owner touches its lock file. */
export const HEARTBEAT_MS = 10_000;
/** A lock not touched for this long belongs to a dead owner, when its process cannot be checked directly (another host). */
export const STALE_AFTER_MS = 60_000;

const SEGMENT_NAME = /^([0-9a-f]{16})-(\d{8})\.seg$/;
const LOCK_SUFFIX = '.owner';

/** What an owner writes into its lock file, so others can tell whether it still runs. */
interface LockInfo {
  ownerId: string;
  pid: number;
  /** Boot id and the process's start time (Linux), so a reused pid (pid 1 in a restarted container) is not taken for the old owner. */
  identity: string | null;
  hostname: string;
}

/** Owners (clients) alive in this process: another client here must not take their segments. */
const liveOwners = new Set<string>();

/** Segment file name of an owner's `seq`-th segment. */
export function segmentName(ownerId: string, seq: number): string {
  return `${ownerId}-${String(seq).padStart(8, '0')}.seg`;
}

/** The owner id of a segment file name, or undefined for any other file. */
export function segmentOwner(name: string): string | undefined {
  return SEGMENT_NAME.exec(name)?.[1];
}

/**
 * Identity of a running process beyond its pid: the kernel boot id plus the process start time from
 * /proc (Linux). Null where /proc is missing; liveness then falls back to the lock's heartbeat.
 */
function processIdentity(fs: SpoolFs, pid: number): string | null {
  try {
    const bootId = fs.readFile('/proc/sys/kernel/random/boot_id').toString('latin1').trim();
    const stat = fs.readFile(`/proc/${pid}/stat`).toString('latin1');
    // Fields after the command name (which may hold spaces and parentheses); starttime is field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTime = fields[19];
    return startTime === undefined ? null : `${bootId}:${startTime}`;
  } catch {
    return null;
  }
}

function isPidRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

/**
 * One client's ownership of its segments in a spool directory: a lock file `<ownerId>.owner` created
 * before any segment, touched every HEARTBEAT_MS, removed on close. Segments are `<ownerId>-<seq>.seg`.
 * An orphan (a segment whose owner is dead or has no lock) is claimed by renaming it to the claimer's
 * own name: rename is atomic, so exactly one live process wins each segment, and a live owner's
 * segments are never touched.
 */
export class Ownership {
  readonly ownerId = randomBytes(8).toString('hex');
  readonly #fs: SpoolFs;
  readonly #dir: string;
  readonly #now: () => number;
  readonly #hostname = hostname();
  #identity: string | null = null;
  #nextSeq = 1;

  constructor(fs: SpoolFs, dir: string, now: () => number = Date.now) {
    this.#fs = fs;
    this.#dir = dir;
    this.#now = now;
  }

  /** Creates the lock file. @throws the file system's error (the caller falls back to memory-only). */
  acquire(): void {
    this.#identity = processIdentity(this.#fs, process.pid);
    const info: LockInfo = { ownerId: this.ownerId, pid: process.pid, identity: this.#identity, hostname: this.#hostname };
    this.#fs.createFile(this.#lockPath(this.ownerId), JSON.stringify(info));
    liveOwners.add(this.ownerId);
  }

  /** Touches the lock file; errors are the caller's to count. */
  heartbeat(): void {
    this.#fs.touch(this.#lockPath(this.ownerId));
  }

  /** Touches the lock file, creating it if it was never created or is gone (a spool resuming after a disk error). @throws the file system's error. */
  renew(): void {
    try {
      this.heartbeat();
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
      this.acquire();
    }
  }

  /** Removes the lock (if there is one): whatever segments remain become orphans for the next client on this directory. */
  release(): void {
    liveOwners.delete(this.ownerId);
    try {
      this.#fs.unlink(this.#lockPath(this.ownerId));
    } catch {
      // Already gone or the disk failed: either way nobody can mistake us for alive for long.
    }
  }

  /** The path of this owner's next segment. */
  nextSegmentPath(): string {
    return join(this.#dir, segmentName(this.ownerId, this.#nextSeq++));
  }

  /** Takes over every segment whose owner is dead; returns their new paths. Segments lost to a faster claimer are skipped. */
  claimOrphans(): string[] {
    const names = this.#fs.readdir(this.#dir);
    const verdicts = new Map<string, boolean>();
    const claimed: string[] = [];
    for (const name of names.sort()) {
      const owner = segmentOwner(name);
      if (owner === undefined || owner === this.ownerId) continue;
      let isAlive = verdicts.get(owner);
      if (isAlive === undefined) verdicts.set(owner, (isAlive = this.isAlive(owner)));
      if (isAlive) continue;
      const target = this.nextSegmentPath();
      try {
        this.#fs.rename(join(this.#dir, name), target);
        claimed.push(target);
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') throw error;
      }
    }
    for (const name of names) {
      if (!name.endsWith(LOCK_SUFFIX)) continue;
      const owner = name.slice(0, -LOCK_SUFFIX.length);
      if (owner === this.ownerId || (verdicts.get(owner) ?? this.isAlive(owner))) continue;
      try {
        this.#fs.unlink(join(this.#dir, name));
      } catch {
        // Another claimer removed it first.
      }
    }
    return claimed;
  }

  /** Whether the owner's process still runs (see the class comment). */
  isAlive(ownerId: string): boolean {
    const path = this.#lockPath(ownerId);
    let info: LockInfo;
    try {
      info = JSON.parse(this.#fs.readFile(path).toString('utf8')) as LockInfo;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      return this.#isFresh(path);
    }
    if (info.hostname !== this.#hostname) return this.#isFresh(path);
    if (info.pid === process.pid && info.identity === this.#identity) return liveOwners.has(ownerId);
    if (!isPidRunning(info.pid)) return false;
    if (info.identity !== null && this.#identity !== null) return processIdentity(this.#fs, info.pid) === info.identity;
    return this.#isFresh(path);
  }

  #isFresh(path: string): boolean {
    try {
      return this.#now() - this.#fs.mtimeMs(path) < STALE_AFTER_MS;
    } catch {
      return false;
    }
  }

  #lockPath(ownerId: string): string {
    return join(this.#dir, `${ownerId}${LOCK_SUFFIX}`);
  }
}
