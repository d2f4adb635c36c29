import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeSpoolFs } from '../../../../src/pipeline/spool/fs';
import { Ownership, segmentName, STALE_AFTER_MS } from '../../../../src/pipeline/spool/owner';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bearlumen-owner-'));
  dirs.push(dir);
  return dir;
}

/** A lock file as another owner would have written it, and one segment of its. */
function plant(dir: string, ownerId: string, lock: Record<string, unknown> | undefined, ageMs = 0): void {
  if (lock !== undefined) {
    const path = join(dir, `${ownerId}.owner`);
    writeFileSync(path, JSON.stringify({ ownerId, ...lock }));
    const at = new Date(Date.now() - ageMs);
    utimesSync(path, at, at);
  }
  writeFileSync(join(dir, segmentName(ownerId, 1)), 'BLSP\x01\0\0\0');
}

function claimAll(dir: string): { owner: Ownership; claimed: string[] } {
  const owner = new Ownership(nodeSpoolFs, dir);
  owner.acquire();
  const claimed = owner.claimOrphans();
  owner.release();
  return { owner, claimed };
}

describe('spool ownership', () => {
  it('never claims the segments of a live owner in this process, claims them once it released its lock', () => {
    const dir = tempDir();
    const live = new Ownership(nodeSpoolFs, dir);
    live.acquire();
    writeFileSync(live.nextSegmentPath(), 'BLSP\x01\0\0\0');
    expect(claimAll(dir).claimed).toEqual([]);
    live.release();
    expect(claimAll(dir).claimed).toHaveLength(1);
  });

  it('a reused pid (pid 1 in a restarted container) is not the old owner: the start identity differs', () => {
    const dir = tempDir();
    plant(dir, 'aaaaaaaaaaaaaaa1', { pid: process.pid, identity: 'another-boot:12345', hostname: hostname() });
    expect(claimAll(dir).claimed).toHaveLength(1);
  });

  it('a dead pid on this host is dead; a segment without any lock is an orphan', () => {
    const dir = tempDir();
    plant(dir, 'aaaaaaaaaaaaaaa2', { pid: 2 ** 22 + 7, identity: null, hostname: hostname() });
    plant(dir, 'aaaaaaaaaaaaaaa3', undefined);
    const { claimed } = claimAll(dir);
    expect(claimed).toHaveLength(2);
    expect(readdirSync(dir).filter((name) => name.endsWith('.owner'))).toEqual([]);
  });

  it('an owner on another host is alive while its heartbeat is fresh, dead once it is stale', () => {
    const dir = tempDir();
    plant(dir, 'aaaaaaaaaaaaaaa4', { pid: 1, identity: 'x:1', hostname: 'some-other-pod' }, 1000);
    plant(dir, 'aaaaaaaaaaaaaaa5', { pid: 1, identity: 'x:1', hostname: 'some-other-pod' }, STALE_AFTER_MS + 5000);
    const { claimed, owner } = claimAll(dir);
    expect(claimed).toHaveLength(1);
    expect(owner.isAlive('aaaaaaaaaaaaaaa4')).toBe(true);
    expect(readdirSync(dir)).toContain(segmentName('aaaaaaaaaaaaaaa4', 1));
  });

  it('an orphan claimed by one live owner is not claimed again by another', () => {
    const dir = tempDir();
    plant(dir, 'aaaaaaaaaaaaaaa6', undefined);
    const first = new Ownership(nodeSpoolFs, dir);
    const second = new Ownership(nodeSpoolFs, dir);
    first.acquire();
    second.acquire();
    const claims = [first.claimOrphans(), second.claimOrphans()];
    expect(claims.flat()).toHaveLength(1);
    first.release();
    second.release();
  });

  it('renew() recreates a lock that is gone (a spool resuming after a disk error): its segments are not orphans again', () => {
    const dir = tempDir();
    const owner = new Ownership(nodeSpoolFs, dir);
    owner.acquire();
    writeFileSync(owner.nextSegmentPath(), 'BLSP\x01\0\0\0');
    rmSync(join(dir, `${owner.ownerId}.owner`));
    owner.renew();
    expect(readdirSync(dir)).toContain(`${owner.ownerId}.owner`);
    expect(claimAll(dir).claimed).toEqual([]);
    owner.release();
  });

  it('renew() creates the lock an owner never got; release() before any lock removes nothing', () => {
    const dir = tempDir();
    const owner = new Ownership(nodeSpoolFs, dir);
    owner.release();
    owner.renew();
    expect(readdirSync(dir)).toEqual([`${owner.ownerId}.owner`]);
    owner.release();
    expect(readdirSync(dir)).toEqual([]);
  });
});
