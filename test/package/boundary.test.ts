import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DIST, ensureBuilt, ROOT } from './ensure-built';

const SERVER_DEPS = ['fastify', 'better-sqlite3', 'pg', 'typebox', '@fastify/type-provider-typebox', '@pydantic/genai-prices'];
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']([^"']+)["']/g;

/** Bundle text without comments (bundled libraries quote `import x from 'p-queue'` in their docs). */
function codeOf(file: string): string {
  return readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

function importsOf(file: string): string[] {
  return [...codeOf(file).matchAll(IMPORT)].map((m) => m[1] as string);
}

beforeAll(ensureBuilt, 180_000);

describe('the SDK bundle stays on its side of the boundary', () => {
  it.each(['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts'])('%s imports no server dependency and no server code', (file) => {
    const specifiers = importsOf(DIST + file);
    expect(specifiers.length).toBeGreaterThan(0);
    for (const spec of specifiers) {
      expect(SERVER_DEPS.some((dep) => spec === dep || spec.startsWith(`${dep}/`))).toBe(false);
      expect(spec).not.toMatch(/server/);
    }
    const text = readFileSync(DIST + file, 'utf8');
    for (const name of ['fastify', 'better-sqlite3', 'typebox', '@pydantic', 'genai-prices']) expect(text).not.toContain(name);
  });

  it('ESM-only p-queue and p-retry are bundled, so Node 18 can require() the CJS build', () => {
    for (const file of ['index.js', 'index.cjs']) {
      const specifiers = importsOf(DIST + file);
      expect(specifiers).toContain('undici');
      expect(specifiers).not.toContain('p-retry');
      expect(specifiers).not.toContain('p-queue');
    }
  });

  it('loading the SDK in a fresh process loads no server dependency', () => {
    const check = (code: string, args: string[]) =>
      JSON.parse(execFileSync(process.execPath, [...args, '-e', code], { cwd: ROOT, encoding: 'utf8' })) as string[];
    const esm = check(
      `import { createRequire } from 'node:module'; await import('@bearlumen/node-sdk'); const require = createRequire(import.meta.url); console.log(JSON.stringify(Object.keys(require.cache)));`,
      ['--input-type=module'],
    );
    const cjs = check(`require('@bearlumen/node-sdk'); console.log(JSON.stringify(Object.keys(require.cache)));`, []);
    for (const loaded of [esm, cjs]) {
      expect(loaded.some((path) => path.includes('/node_modules/undici/'))).toBe(true);
      for (const dep of SERVER_DEPS) expect(loaded.filter((path) => path.includes(`/node_modules/${dep}/`))).toEqual([]);
      expect(loaded.filter((path) => path.includes('/dist/server/'))).toEqual([]);
    }
  });
});
