import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DIST, ensureBuilt, ROOT } from './ensure-built';

const SERVER_DEPS = ['fastify', 'better-sqlite3', 'pg', 'pg-copy-streams', 'typebox', '@fastify/type-provider-typebox', '@pydantic/genai-prices'];
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']([^"']+)["']/g;

/** Bundle text without comments (bundled libraries quote `import x from 'p-queue'` in their docs). */
function codeOf(file: string): string {
  return readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/**
 * The package imports of `file` and of every shared chunk it pulls in: the SDK and integration entries
 * build together with code splitting, so common code sits in `dist/chunk-*.{js,cjs}`.
 */
function importsOf(file: string, seen = new Set<string>()): string[] {
  seen.add(file);
  const specifiers: string[] = [];
  for (const match of codeOf(file).matchAll(IMPORT)) {
    const spec = match[1] as string;
    if (!spec.startsWith('.')) {
      specifiers.push(spec);
      continue;
    }
    const local = resolve(dirname(file), spec);
    if (!seen.has(local) && !file.endsWith('.d.ts') && !file.endsWith('.d.cts')) specifiers.push(...importsOf(local, seen));
    else if (file.endsWith('.d.ts') || file.endsWith('.d.cts')) specifiers.push(spec);
  }
  return specifiers;
}

/** A bundle's text with the text of every chunk it loads. */
function bundleText(file: string, seen = new Set<string>()): string {
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  let all = text;
  for (const match of codeOf(file).matchAll(IMPORT)) {
    const spec = match[1] as string;
    if (!spec.startsWith('.')) continue;
    const local = resolve(dirname(file), spec);
    if (!seen.has(local)) all += bundleText(local, seen);
  }
  return all;
}

const PROVIDER_SDKS = ['openai', '@anthropic-ai/sdk', '@google/genai', 'ai', '@ai-sdk/provider', '@ai-sdk/anthropic', '@opentelemetry/api', '@opentelemetry/sdk-trace-base'];
const INTEGRATIONS = ['openai', 'anthropic', 'google', 'ai-sdk', 'otel'];

beforeAll(ensureBuilt, 180_000);

describe('the SDK bundle stays on its side of the boundary', () => {
  it.each(['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts'])('%s imports no server dependency and no server code', (file) => {
    const specifiers = importsOf(DIST + file);
    expect(specifiers.length).toBeGreaterThan(0);
    for (const spec of specifiers) {
      expect(SERVER_DEPS.some((dep) => spec === dep || spec.startsWith(`${dep}/`))).toBe(false);
      expect(spec).not.toMatch(/server/);
    }
    const text = file.endsWith('.d.ts') || file.endsWith('.d.cts') ? readFileSync(DIST + file, 'utf8') : bundleText(DIST + file);
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
      for (const dep of [...SERVER_DEPS, ...PROVIDER_SDKS]) expect(loaded.filter((path) => path.includes(`/node_modules/${dep}/`))).toEqual([]);
      expect(loaded.filter((path) => path.includes('/dist/integrations/'))).toEqual([]);
      expect(loaded.filter((path) => path.includes('/dist/server/'))).toEqual([]);
    }
  });

  it.each(INTEGRATIONS)('the %s integration loads no provider SDK and no server dependency (it patches the client you pass)', (name) => {
    const check = (code: string, args: string[]) =>
      JSON.parse(execFileSync(process.execPath, [...args, '-e', code], { cwd: ROOT, encoding: 'utf8' })) as string[];
    const esm = check(
      `import { createRequire } from 'node:module'; const m = await import('@bearlumen/node-sdk/${name}'); if (typeof m.integrationStats !== 'function') throw new Error('no integrationStats'); console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`,
      ['--input-type=module'],
    );
    const cjs = check(`const m = require('@bearlumen/node-sdk/${name}'); if (typeof m.integrationStats !== 'function') throw new Error('no integrationStats'); console.log(JSON.stringify(Object.keys(require.cache)));`, []);
    for (const loaded of [esm, cjs]) {
      for (const dep of [...SERVER_DEPS, ...PROVIDER_SDKS]) expect(loaded.filter((path) => path.includes(`/node_modules/${dep}/`))).toEqual([]);
      expect(loaded.filter((path) => path.includes('/dist/server/'))).toEqual([]);
    }
    for (const file of [`integrations/${name}.js`, `integrations/${name}.cjs`]) {
      for (const spec of importsOf(DIST + file)) expect([...SERVER_DEPS, ...PROVIDER_SDKS].some((dep) => spec === dep || spec.startsWith(`${dep}/`))).toBe(false);
    }
  });

  it('importing the server entry loads no database driver: each loads only when its store is opened', () => {
    // A PostgreSQL-only install has no (or a mismatched) better-sqlite3: importing the server must not need it.
    const loadedAfter = (step: string): string[] =>
      JSON.parse(
        execFileSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `import { createRequire } from 'node:module'; const server = await import('@bearlumen/node-sdk/server'); ${step} console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`,
          ],
          { cwd: ROOT, encoding: 'utf8' },
        ),
      ) as string[];
    const driversIn = (loaded: string[]) => ['better-sqlite3', 'pg'].filter((dep) => loaded.some((path) => path.includes(`/node_modules/${dep}/`)));

    const imported = loadedAfter('');
    expect(imported.some((path) => path.includes('/node_modules/fastify/'))).toBe(true);
    expect(driversIn(imported)).toEqual([]);
    expect(driversIn(loadedAfter(`const store = await server.createStore({ dbPath: ':memory:' }); await store.close();`))).toEqual(['better-sqlite3']);
    expect(driversIn(loadedAfter(`const store = server.SqliteStore.open(':memory:'); await store.close();`))).toEqual(['better-sqlite3']);
  });

  it('without better-sqlite3 the server entry still imports, and opening SQLite names the package to install', () => {
    // Simulates a PostgreSQL-only install: resolving better-sqlite3 fails as it does when it is absent.
    const hideDriver = `const Module = require('node:module'); const resolve = Module._resolveFilename; Module._resolveFilename = function (request, ...rest) { if (request === 'better-sqlite3') { const error = new Error("Cannot find module 'better-sqlite3'"); error.code = 'MODULE_NOT_FOUND'; throw error; } return resolve.call(this, request, ...rest); };`;
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url); ${hideDriver}
         const server = await import('@bearlumen/node-sdk/server');
         const outcome = await server.createStore({ dbPath: ':memory:' }).then(() => 'opened', (error) => ({ name: error.name, isDriverError: error instanceof server.StoreDriverMissingError, message: error.message }));
         console.log(JSON.stringify({ exports: typeof server.createServer, outcome }));`,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    const { exports, outcome } = JSON.parse(out) as { exports: string; outcome: { name: string; isDriverError: boolean; message: string } | string };
    expect(exports).toBe('function');
    expect(outcome).toMatchObject({ name: 'StoreDriverMissingError', isDriverError: true });
    expect((outcome as { message: string }).message).toMatch(/npm install better-sqlite3/);
  });
});
