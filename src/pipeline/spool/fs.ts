import * as fs from 'node:fs';

/**
 * The file-system calls the spool makes, and nothing else: a seam so tests inject ENOSPC, EACCES or
 * EIO without a special file system. Synchronous on purpose: the contract is that an event's bytes
 * reach the page cache before the event-loop turn that recorded it ends, which an asynchronous write
 * (queued to libuv's thread pool) cannot promise.
 */
export interface SpoolFs {
  mkdir(path: string): void;
  readdir(path: string): string[];
  /** Opens for appending, creating the file only if it does not exist (`'ax'`). */
  openAppend(path: string): number;
  /** Writes the whole buffer at the end of the file (loops over short writes). */
  write(fd: number, data: Uint8Array): void;
  fdatasync(fd: number): void;
  close(fd: number): void;
  readFile(path: string): Buffer;
  /** Creates `path` with `data`; fails with EEXIST if it exists. */
  createFile(path: string, data: string): void;
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** Sets the modification time to now (the owner heartbeat). */
  touch(path: string): void;
  /** Modification time in ms since the epoch. */
  mtimeMs(path: string): number;
}

/** The real file system. */
export const nodeSpoolFs: SpoolFs = {
  mkdir: (path) => {
    fs.mkdirSync(path, { recursive: true });
  },
  readdir: (path) => fs.readdirSync(path),
  openAppend: (path) => fs.openSync(path, 'ax'),
  write: (fd, data) => {
    let offset = 0;
    while (offset < data.length) offset += fs.writeSync(fd, data, offset, data.length - offset);
  },
  fdatasync: (fd) => fs.fdatasyncSync(fd),
  close: (fd) => fs.closeSync(fd),
  readFile: (path) => fs.readFileSync(path),
  createFile: (path, data) => fs.writeFileSync(path, data, { flag: 'wx' }),
  rename: (from, to) => fs.renameSync(from, to),
  unlink: (path) => fs.unlinkSync(path),
  touch: (path) => {
    const now = new Date();
    fs.utimesSync(path, now, now);
  },
  mtimeMs: (path) => fs.statSync(path).mtimeMs,
};

/** The `code` of a Node system error (`ENOENT`, `ENOSPC`, …), or `'unknown'`. */
export function errorCode(error: unknown): string {
  const code: unknown = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown';
}
