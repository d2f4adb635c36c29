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
  ])('rejects %j naming the option, the rule and the value', (input, message) => {
    expect(() => resolveBatchingOptions(input as never)).toThrow(BearLumenValidationError);
    expect(() => resolveBatchingOptions(input as never)).toThrow(message);
  });

  it('rejects unknown keys such as a misspelt option', () => {
    expect(() => resolveBatchingOptions({ maxBatchsize: 5 } as never)).toThrow(/batching\.maxBatchsize is not a known option/);
  });
});
