import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BackoffGate } from '../../../src/pipeline/backoff-gate';
import { MAX_RETRY_AFTER_MS } from '../../../src/transport/retry-policy';

describe('BackoffGate', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  // random() = 1 makes the jittered backoff its ceiling: base * 2^(failures-1), capped.
  const gate = (): BackoffGate => new BackoffGate({ baseMs: 100, maxMs: 1000, now: () => Date.now(), random: () => 1 });

  it('lets every sender through at once while the server answers', async () => {
    const g = gate();
    await expect(Promise.all([g.pass(), g.pass(), g.pass()])).resolves.toEqual([{ isProbe: false }, { isProbe: false }, { isProbe: false }]);
  });

  it('after a failure holds everyone back for the backoff, then lets exactly one probe through', async () => {
    const g = gate();
    const first = await g.pass();
    expect(g.fail(first)).toBe(100);
    const passes: Array<{ isProbe: boolean }> = [];
    for (let i = 0; i < 3; i++) void g.pass().then((pass) => passes.push(pass));
    await vi.advanceTimersByTimeAsync(99);
    expect(passes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(passes).toEqual([{ isProbe: true }]);
    g.succeed();
    await vi.advanceTimersByTimeAsync(0);
    expect(passes).toEqual([{ isProbe: true }, { isProbe: false }, { isProbe: false }]);
  });

  it('doubles the wait after each failed probe up to the cap, and resets on success', async () => {
    const g = gate();
    const delays: number[] = [];
    let pass = await g.pass();
    for (let i = 0; i < 6; i++) {
      delays.push(g.fail(pass));
      const next = g.pass();
      await vi.advanceTimersByTimeAsync(delays[i] as number);
      pass = await next;
      expect(pass.isProbe).toBe(true);
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    g.succeed();
    expect(g.isOpen).toBe(false);
    expect(g.fail(await g.pass())).toBe(100);
  });

  it('caps the wait before each probe at probeMaxMs, however long the outage, while a Retry-After still wins', async () => {
    const g = new BackoffGate({ baseMs: 100, maxMs: 10_000, probeMaxMs: 300, now: () => Date.now(), random: () => 1 });
    const delays: number[] = [];
    let pass = await g.pass();
    for (let i = 0; i < 5; i++) {
      delays.push(g.fail(pass));
      const next = g.pass();
      await vi.advanceTimersByTimeAsync(delays[i] as number);
      pass = await next;
      expect(pass.isProbe).toBe(true);
    }
    expect(delays).toEqual([100, 200, 300, 300, 300]);
    expect(g.failures).toBe(5);
    expect(g.fail(pass, 2000)).toBe(2000);
  });

  it('counts failures of requests already in flight as one outage step, honouring their Retry-After', async () => {
    const g = gate();
    const [a, b, c] = await Promise.all([g.pass(), g.pass(), g.pass()]);
    expect(g.fail(a as { isProbe: boolean })).toBe(100);
    expect(g.fail(b as { isProbe: boolean })).toBe(100);
    expect(g.fail(c as { isProbe: boolean }, 5000)).toBe(5000);
    expect(g.failures).toBe(1);
  });

  it('uses Retry-After as a floor, clamped to MAX_RETRY_AFTER_MS', async () => {
    const g = gate();
    expect(g.fail(await g.pass(), 10 * MAX_RETRY_AFTER_MS)).toBe(MAX_RETRY_AFTER_MS);
  });

  it('rejects a waiting sender when its signal aborts, and hands the probe on when a probe gives up', async () => {
    const g = gate();
    g.fail(await g.pass());
    const controller = new AbortController();
    const waiting = g.pass(controller.signal);
    controller.abort(new Error('deadline'));
    await expect(waiting).rejects.toThrow('deadline');
    await vi.advanceTimersByTimeAsync(100);
    const probe = await g.pass();
    expect(probe.isProbe).toBe(true);
    const next = g.pass();
    g.release(probe);
    await expect(next).resolves.toEqual({ isProbe: true });
  });
});
