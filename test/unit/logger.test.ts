import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { BearLumenValidationError } from '@bearlumen/node-sdk';
import { createSdkLogger } from '../../src/internal/logger';

function capture(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, stream };
}

describe('createSdkLogger', () => {
  it('defaults to warn', () => {
    expect(createSdkLogger(undefined, {}).level).toBe('warn');
  });

  it('takes its level from BEARLUMEN_LOG_LEVEL, case-insensitively', () => {
    expect(createSdkLogger(undefined, { BEARLUMEN_LOG_LEVEL: 'DEBUG' }).level).toBe('debug');
    expect(createSdkLogger(undefined, { BEARLUMEN_LOG_LEVEL: 'silent' }).level).toBe('silent');
  });

  it('rejects an unknown level naming the variable', () => {
    expect(() => createSdkLogger(undefined, { BEARLUMEN_LOG_LEVEL: 'verbose' })).toThrow(BearLumenValidationError);
    expect(() => createSdkLogger(undefined, { BEARLUMEN_LOG_LEVEL: 'verbose' })).toThrow(/^BEARLUMEN_LOG_LEVEL must be one of/);
  });

  it("derives a { component: 'bearlumen' } child of the user's logger and leaves the root untouched", () => {
    const { lines, stream } = capture();
    const root = pino({ level: 'info' }, stream);
    const child = createSdkLogger(root, { BEARLUMEN_LOG_LEVEL: 'trace' });
    child.info('hello');
    root.info('app line');
    expect(root.level).toBe('info');
    expect(lines[0]).toMatchObject({ component: 'bearlumen', msg: 'hello' });
    expect(lines[1]).not.toHaveProperty('component');
  });
});
