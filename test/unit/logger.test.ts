import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createSdkLogger } from '../../src/internal/logger';

const SDK_ENTRY = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

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

  it('uses the default level for a value that is not a level name, instead of throwing', () => {
    expect(createSdkLogger(undefined, { BEARLUMEN_LOG_LEVEL: 'verbose' }).level).toBe('warn');
  });

  it('a typo such as WARNING: new BearLumen() still works, and one warning (not one per client) names the variable', () => {
    // The default logger writes to fd 2 directly, so this runs in a child process and reads its stderr.
    const script = [
      `const { BearLumen } = await import(${JSON.stringify(SDK_ENTRY)});`,
      `for (let i = 0; i < 3; i++) new BearLumen({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', handleExit: false });`,
      `process.stdout.write('constructed');`,
    ].join('\n');
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, BEARLUMEN_LOG_LEVEL: 'WARNING' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.stdout).toBe('constructed');
    expect(child.status).toBe(0);
    const warnings = child.stderr.split('\n').filter((line) => line.includes('BEARLUMEN_LOG_LEVEL'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0] ?? '{}')).toMatchObject({ level: 40, BEARLUMEN_LOG_LEVEL: 'WARNING' });
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
