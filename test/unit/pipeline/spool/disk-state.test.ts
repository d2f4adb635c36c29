import { describe, expect, it } from 'vitest';
import { DiskState, RESUME_MAX_MS } from '../../../../src/pipeline/spool/disk-state';

const FIRST_MS = 10_000;

function clocked(): { disk: DiskState; advance: (ms: number) => void } {
  let now = 1_000_000;
  return { disk: new DiskState(() => now, FIRST_MS), advance: (ms) => (now += ms) };
}

/** The wait after a failure until a try is due, found by stepping a second at a time. */
function waitUntilDue(disk: DiskState, advance: (ms: number) => void): number {
  let waited = 0;
  while (!disk.isResumeDue) {
    advance(1000);
    waited += 1000;
    if (waited > 2 * RESUME_MAX_MS) throw new Error('never due');
  }
  return waited;
}

describe('DiskState: when a memory-only spool tries the disk again', () => {
  it('the first failure switches to memory-only and a try is due after one heartbeat; later errors only count', () => {
    const { disk, advance } = clocked();
    expect(disk.isDisk).toBe(true);
    expect(disk.isResumeDue).toBe(false);
    const error = Object.assign(new Error('full'), { code: 'ENOSPC' });
    expect(disk.fail(error)).toBe(true);
    expect(disk.fail(new Error('again'))).toBe(false);
    disk.count();
    expect({ isDisk: disk.isDisk, errors: disk.errors, failure: disk.failure }).toEqual({ isDisk: false, errors: 3, failure: error });
    expect(waitUntilDue(disk, advance)).toBe(FIRST_MS);
    disk.resumed();
    expect({ isDisk: disk.isDisk, failure: disk.failure, isResumeDue: disk.isResumeDue }).toEqual({ isDisk: true, failure: undefined, isResumeDue: false });
  });

  it('a disk that fails again after each resume is tried half as often each time, down to once per RESUME_MAX_MS', () => {
    const { disk, advance } = clocked();
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      disk.fail(new Error('EIO'));
      waits.push(waitUntilDue(disk, advance));
      disk.resumed();
    }
    expect(waits).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 600_000, 600_000]);
  });

  it('a resumed disk that stays healthy for RESUME_MAX_MS starts again from one heartbeat', () => {
    const { disk, advance } = clocked();
    for (let i = 0; i < 4; i++) {
      disk.fail(new Error('EIO'));
      waitUntilDue(disk, advance);
      disk.resumed();
    }
    advance(RESUME_MAX_MS - 1000);
    disk.fail(new Error('EIO'));
    expect(waitUntilDue(disk, advance)).toBe(160_000);
    disk.resumed();
    advance(RESUME_MAX_MS);
    disk.fail(new Error('EIO'));
    expect(waitUntilDue(disk, advance)).toBe(FIRST_MS);
  });
});
