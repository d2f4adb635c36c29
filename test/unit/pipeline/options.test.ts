import { describe, expect, it } from 'vitest';
import { BearLumenValidationError } from '@bearlumen/node-sdk';
import { BATCHING_DEFAULTS, resolveBatchingOptions, type BatchingOptions } from '../../../src/pipeline/options';

describe('resolveBatchingOptions', () => {
  it('fills every default when batching is not given', () => {
    expect(resolveBatchingOptions(undefined)).toEqual(BATCHING_DEFAULTS);
    expect(BATCHING_DEFAULTS).toMatchObject({ enabled: true, maxBatchSize: 1000, flushIntervalMs: 1000, overflow: 'reject' });
  });

  it('keeps the defaults but disables buffering for batching: false', () => {
    expect(resolveBatchingOptions(false)).toEqual({ ...BATCHING_DEFAULTS, enabled: false });
  });

  it('merges given options over the defaults and ignores undefined values', () => {
    // JavaScript callers (and spread configs) pass undefined for "not set".
    const input = { maxBatchSize: 10, overflow: 'block', concurrency: undefined } as unknown as BatchingOptions;
    const resolved = resolveBatchingOptions(input);
    expect(resolved).toMatchObject({ maxBatchSize: 10, overflow: 'block', concurrency: BATCHING_DEFAULTS.concurrency, enabled: true });
  });

  it.each([
    [{ maxBatchSize: 1001 }, 'batching.maxBatchSize must be an integer between 1 and 1000 (got 1001)'],
    [{ maxBatchSize: 0 }, 'batching.maxBatchSize must be an integer between 1 and 1000 (got 0)'],
    [{ flushIntervalMs: 1.5 }, 'batching.flushIntervalMs must be an integer between 1 and 600000 (got 1.5)'],
    [{ concurrency: '4' }, 'batching.concurrency must be an integer between 1 and 64 (got "4")'],
    [{ overflow: 'drop' }, "batching.overflow must be one of 'reject', 'block' (got \"drop\")"],
    [{ retryBaseMs: 100, retryMaxMs: 50 }, 'batching.retryMaxMs must be >= batching.retryBaseMs (100) (got 50)'],
    [{ spoolDir: '' }, 'batching.spoolDir must be a non-empty directory path without NUL bytes (got "")'],
    [{ spoolDir: 42 }, 'batching.spoolDir must be a non-empty directory path without NUL bytes (got 42)'],
    [{ spoolSync: 'yes' }, 'batching.spoolSync must be a boolean (got "yes")'],
    [{ maxSpoolBytes: 1024 }, 'batching.maxSpoolBytes must be an integer between 1048576 and 9007199254740991 (got 1024)'],
    [{ lingerMs: -1 }, 'batching.lingerMs must be an integer between 0 and 60000 (got -1)'],
    [{ lingerMs: 2.5 }, 'batching.lingerMs must be an integer between 0 and 60000 (got 2.5)'],
  ])('rejects %j naming the option, the rule and the value', (input, message) => {
    expect(() => resolveBatchingOptions(input as never)).toThrow(BearLumenValidationError);
    expect(() => resolveBatchingOptions(input as never)).toThrow(message);
  });

  it.each([
    [{ maxBatchSize: 500, maxBufferedEvents: 100 }, 'batching.maxBatchSize must be <= batching.maxBufferedEvents (100): a batch could never fill (got 500)'],
    [{ maxBatchBytes: 8192, maxBufferedBytes: 4096 }, 'batching.maxBatchBytes must be <= batching.maxBufferedBytes (4096): a batch could never fill (got 8192)'],
    [{ enabled: false, flushIntervalMs: 50 }, 'batching.flushIntervalMs has no effect when batching.enabled is false'],
    [{ enabled: false, maxBatchSize: 10 }, 'batching.maxBatchSize has no effect when batching.enabled is false'],
    [{ enabled: false, lingerMs: 0 }, 'batching.lingerMs has no effect when batching.enabled is false'],
    [{ flushIntervalMs: 50, lingerMs: 100 }, 'batching.lingerMs must be <= batching.flushIntervalMs (50): no event waits longer than that (got 100)'],
    [{ blockTimeoutMs: 100 }, "batching.blockTimeoutMs has no effect unless batching.overflow is 'block'"],
    [{ overflow: 'reject', maxBlockedRecords: 5 }, "batching.maxBlockedRecords has no effect unless batching.overflow is 'block'"],
    [{ enabled: 'no' }, 'batching.enabled must be a boolean'],
    [{ overflow: 'block', blockTimeoutMs: 0 }, 'batching.blockTimeoutMs must be an integer between 1 and 3600000 (got 0)'],
  ])('checks options against each other: refuses %j', (input, message) => {
    expect(() => resolveBatchingOptions(input as never)).toThrow(BearLumenValidationError);
    expect(() => resolveBatchingOptions(input as never)).toThrow(message);
  });

  it('lowers a default batch bound to a smaller buffer bound given alone', () => {
    expect(resolveBatchingOptions({ maxBufferedEvents: 50 })).toMatchObject({ maxBatchSize: 50, maxBufferedEvents: 50 });
    // The same for the linger under a shorter flush interval.
    expect(resolveBatchingOptions({ flushIntervalMs: 2 })).toMatchObject({ flushIntervalMs: 2, lingerMs: 2 });
    expect(resolveBatchingOptions({})).toMatchObject({ flushIntervalMs: 1000, lingerMs: 5 });
    expect(resolveBatchingOptions({ lingerMs: 0 })).toMatchObject({ lingerMs: 0 });
    expect(resolveBatchingOptions({ maxBufferedBytes: 100_000 })).toMatchObject({ maxBatchBytes: 100_000 });
  });

  it('enabled: false keeps the retry budget, exit timeout and other delivery options', () => {
    const resolved = resolveBatchingOptions({ enabled: false, maxRetryDurationMs: 1234, exitTimeoutMs: 321, concurrency: 2, overflow: 'block', blockTimeoutMs: 99 });
    expect(resolved).toMatchObject({ enabled: false, maxRetryDurationMs: 1234, exitTimeoutMs: 321, concurrency: 2, blockTimeoutMs: 99 });
  });

  it('the spool is off by default, on with spoolDir (made absolute) or BEARLUMEN_SPOOL_DIR; the option wins', () => {
    expect(resolveBatchingOptions(undefined, {}).spoolDir).toBeUndefined();
    expect(resolveBatchingOptions({ spoolDir: 'spool' }).spoolDir).toBe(`${process.cwd()}/spool`);
    expect(resolveBatchingOptions(undefined, { BEARLUMEN_SPOOL_DIR: '/var/spool/a' })).toMatchObject({ spoolDir: '/var/spool/a', spoolSync: false, maxSpoolBytes: 1024 ** 3 });
    expect(resolveBatchingOptions(false, { BEARLUMEN_SPOOL_DIR: '/var/spool/a' }).spoolDir).toBe('/var/spool/a');
    expect(resolveBatchingOptions({ spoolDir: '/b', spoolSync: true }, { BEARLUMEN_SPOOL_DIR: '/var/spool/a' })).toMatchObject({ spoolDir: '/b', spoolSync: true });
    expect(resolveBatchingOptions(undefined, { BEARLUMEN_SPOOL_DIR: '' }).spoolDir).toBeUndefined();
  });

  it('rejects unknown keys such as a misspelt option', () => {
    expect(() => resolveBatchingOptions({ maxBatchsize: 5 } as never)).toThrow(/batching\.maxBatchsize is not a known option/);
  });
});
