import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { DIST, ensureBuilt, ROOT } from './ensure-built';

const EXPECTED = ['BearLumen', 'BearLumenApiError', 'BearLumenAuthenticationError', 'BearLumenValidationError', 'BearLumenClosedError', 'BearLumenTimeoutError', 'BearLumenUserAbortError', 'MAX_BATCH_SIZE'];

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, BEARLUMEN_API_KEY: '' } });
}

beforeAll(ensureBuilt, 180_000);

describe('the built SDK entry', () => {
  it('imports as ESM from dist/index.js and through the exports map', () => {
    const script = `const direct = await import(${JSON.stringify(`${DIST}index.js`)}); const named = await import('@bearlumen/node-sdk');
      const c = new named.BearLumen({ apiKey: 'bl_test_packagepackage00001', handleExit: false });
      await c.shutdown();
      console.log(JSON.stringify({ keys: Object.keys(named), same: direct.BearLumen === named.BearLumen }));`;
    const out = JSON.parse(node(['--input-type=module', '-e', script])) as { keys: string[]; same: boolean };
    expect(out.keys).toEqual(expect.arrayContaining(EXPECTED));
    expect(out.same).toBe(true);
  });

  it('requires as CJS from dist/index.cjs and through the exports map', () => {
    const script = `const direct = require(${JSON.stringify(`${DIST}index.cjs`)}); const named = require('@bearlumen/node-sdk');
      const c = new named.BearLumen({ apiKey: 'bl_test_packagepackage00001', handleExit: false });
      c.shutdown().then(() => console.log(JSON.stringify({ keys: Object.keys(named), same: direct.BearLumen === named.BearLumen, isError: new named.BearLumenValidationError('f', 'r') instanceof Error })));`;
    const out = JSON.parse(node(['-e', script])) as { keys: string[]; same: boolean; isError: boolean };
    expect(out.keys).toEqual(expect.arrayContaining(EXPECTED));
    expect(out).toMatchObject({ same: true, isError: true });
  });

  it('a missing key fails at construction with a validation error, in both formats', () => {
    const esm = node(['--input-type=module', '-e', `import { BearLumen } from '@bearlumen/node-sdk'; try { new BearLumen(); } catch (e) { console.log(e.name, e.field); }`]);
    const cjs = node(['-e', `const { BearLumen } = require('@bearlumen/node-sdk'); try { new BearLumen(); } catch (e) { console.log(e.name, e.field); }`]);
    expect(esm.trim()).toBe('BearLumenValidationError apiKey');
    expect(cjs.trim()).toBe('BearLumenValidationError apiKey');
  });
});
