import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyId, createServer, SqliteStore } from '@bearlumen/node-sdk/server';
import { DIST, ensureBuilt } from '../../package/ensure-built';

// The CLI runs from source through tsx, as `npx tsx src/server/cli.ts` would.
const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const CLI = join(process.cwd(), 'src', 'server', 'cli.ts');
// A developer's or CI's DATABASE_URL must not redirect these runs to PostgreSQL.
const env = { ...process.env, DATABASE_URL: '', BEARLUMEN_PRICES: '' };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bearlumen-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run the CLI to completion (from source, or the built `dist/server/cli.js` with `built`). */
function run(args: string[], options: { built?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const [command, first] = options.built === true ? [process.execPath, `${DIST}server/cli.js`] : [TSX, CLI];
    const child = spawn(command, [first, ...args], { env: { ...env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Start `serve`, resolve once its stdout has printed the URL (and, on a fresh database, the key). */
function startServe(args: string[]): Promise<{ child: ChildProcess; url: string; key: string | undefined; output: () => string; exited: Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    // Node itself with tsx's loader, not the tsx binary: the binary relays signals to a second process
    // and, under load, answered a SIGTERM with its own exit 143 before the server's handler could run.
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}`)), 20_000);
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      const fresh = out.includes('Created a development API key');
      const key = /BEARLUMEN_API_KEY=(\S+)/.exec(out)?.[1];
      if (url !== undefined && (!fresh || key !== undefined) && out.includes('\n', out.indexOf(url))) {
        clearTimeout(timer);
        resolve({ child, url, key, output: () => out, exited });
      }
    });
    child.on('error', reject);
  });
}

describe('bearlumen keys create', () => {
  it('prints only the new key on stdout, and the key works against a server on that database', async () => {
    const db = join(dir, 'keys.db');
    const res = await run(['keys', 'create', '--db', db, '--tenant', 'acme']);
    expect(res.code).toBe(0);
    const key = res.stdout.trim();
    expect(res.stdout).toBe(`${key}\n`);
    expect(key).toMatch(/^bl_test_[A-Za-z0-9_-]{16,}$/);
    // The key id (never the key) goes to stderr, for the operator's records.
    expect(res.stderr).toBe(`created ${apiKeyId(key)} for tenant "acme"\n`);
    expect(apiKeyId(key)).toMatch(/^key_[0-9a-f]{12}$/);

    const app = await createServer({ store: SqliteStore.open(db), prices: '' });
    try {
      const ok = await app.inject({ method: 'GET', url: '/v1/end-users', headers: { authorization: `Bearer ${key}` } });
      expect(ok.statusCode).toBe(200);
      const wrong = await app.inject({ method: 'GET', url: '/v1/end-users', headers: { authorization: `Bearer ${key}x` } });
      expect(wrong.statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('exits 2 with the usage for a missing --tenant or an unknown flag', async () => {
    const noTenant = await run(['keys', 'create', '--db', join(dir, 'x.db')]);
    expect(noTenant.code).toBe(2);
    expect(noTenant.stderr).toContain('--tenant NAME is required');
    expect(noTenant.stdout).toBe('');
    const unknown = await run(['serve', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Usage:');
    const badPort = await run(['serve', '--port', 'eighty']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('--port must be an integer');
  });
});

describe('every command takes --help (built CLI)', () => {
  beforeAll(async () => {
    await ensureBuilt();
  }, 180_000);

  it.each([
    [['--help'], 'bearlumen serve'],
    [['-h'], 'bearlumen keys create'],
    [['serve', '--help'], '--request-timeout MS'],
    [['serve', '--port', '1', '-h'], '--keep-alive-timeout MS'],
    [['keys', '--help'], 'bearlumen keys revoke'],
    [['keys', 'create', '--help'], 'Usage: bearlumen keys create'],
    [['keys', 'revoke', '--help'], 'Usage: bearlumen keys revoke'],
    [['demo', '--help'], 'Usage: bearlumen demo'],
    [['prices', '--help'], 'Usage: bearlumen prices MODEL'],
    [['prices', 'gpt-4o', '-h'], '--prices-data FILE'],
    [['serve', '--help'], '--prices-data FILE'],
  ])('bearlumen %j prints its usage on stdout and exits 0', async (args, expected) => {
    // An unreachable database proves that --help opens nothing.
    const res = await run(args, { built: true, env: { DATABASE_URL: 'postgres://127.0.0.1:1/none' } });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(expected);
  });

  it('prices without a MODEL or with a bad --at exits 2 with the prices usage', async () => {
    const missing = await run(['prices'], { built: true });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('prices needs exactly one MODEL');
    expect(missing.stderr).toContain('Usage: bearlumen prices MODEL');
    const badAt = await run(['prices', 'gpt-4o', '--at', 'yesterday'], { built: true });
    expect(badAt.code).toBe(2);
    expect(badAt.stderr).toContain('--at must be an ISO 8601 date-time (got "yesterday")');
  });

  it('serve refuses a malformed timeout, naming the flag or variable, with exit 2', async () => {
    const flag = await run(['serve', '--request-timeout', 'soon'], { built: true });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--request-timeout must be an integer number of milliseconds >= 0 (got "soon")');
    const variable = await run(['serve'], { built: true, env: { BEARLUMEN_HEADERS_TIMEOUT_MS: '-5' } });
    expect(variable.code).toBe(2);
    expect(variable.stderr).toContain('BEARLUMEN_HEADERS_TIMEOUT_MS must be an integer');
    const inconsistent = await run(['serve', '--port', '0', '--db', ':memory:', '--request-timeout', '1000', '--headers-timeout', '2000'], { built: true });
    expect(inconsistent.code).toBe(2);
    expect(inconsistent.stderr).toContain('timeouts.headersMs must be > 0 and <= timeouts.requestMs (1000)');
  });
});

describe('bearlumen serve', () => {
  it('on port 0 prints the URL and a development key, answers /healthz, closes on SIGTERM', async () => {
    const db = join(dir, 'serve.db');
    const first = await startServe(['--port', '0', '--db', db]);
    try {
      expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(first.key).toMatch(/^bl_test_/);
      const health = await fetch(`${first.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', store: 'sqlite' });
      const users = await fetch(`${first.url}/v1/end-users`, { headers: { authorization: `Bearer ${first.key ?? ''}` } });
      expect(users.status).toBe(200);
      expect(users.headers.get('x-request-id')).toMatch(/^req_/);
    } finally {
      first.child.kill('SIGTERM');
    }
    expect(await first.exited).toBe(0);

    // A second start on the same database keeps the existing key and prints none.
    const second = await startServe(['--port', '0', '--db', db]);
    try {
      expect(second.key).toBeUndefined();
      const users = await fetch(`${second.url}/v1/end-users`, { headers: { authorization: `Bearer ${first.key ?? ''}` } });
      expect(users.status).toBe(200);
    } finally {
      second.child.kill('SIGINT');
    }
    expect(await second.exited).toBe(0);
  });
});

describe('bearlumen serve on a taken port', () => {
  it('exits 1 and creates no key, so the next start still shows the development key', async () => {
    const blocker = createNetServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    const db = join(dir, 'taken.db');
    try {
      const res = await run(['serve', '--port', String(port), '--db', db]);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('EADDRINUSE');
      expect(res.stdout).not.toContain('BEARLUMEN_API_KEY');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    const next = await startServe(['--port', '0', '--db', db]);
    try {
      expect(next.key).toMatch(/^bl_test_/);
    } finally {
      next.child.kill('SIGTERM');
    }
    expect(await next.exited).toBe(0);
  });
});

describe('bearlumen serve without the server dependencies', () => {
  it('says exactly what to npm install', async () => {
    // A copy of the sources outside the project, where no node_modules can be found.
    const isolated = mkdtempSync(join(tmpdir(), 'bearlumen-nodeps-'));
    try {
      // Only the server and the protocol it imports: the CLI must not need anything else.
      for (const part of ['server', 'protocol']) cpSync(join(process.cwd(), 'src', part), join(isolated, 'src', part), { recursive: true });
      writeFileSync(join(isolated, 'package.json'), '{"type":"module"}');
      const res = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(TSX, [join(isolated, 'src', 'server', 'cli.ts'), 'serve', '--port', '0'], { env, cwd: isolated, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stderr }));
      });
      expect(res.code, res.stderr).toBe(1);
      expect(res.stderr).toContain('npm install fastify typebox @fastify/type-provider-typebox better-sqlite3 @pydantic/genai-prices');
      // Which missing package is met first depends on module loading order; any of them is named.
      expect(res.stderr).toMatch(/missing: (fastify|typebox|@fastify\/type-provider-typebox|better-sqlite3|@pydantic\/genai-prices)\)/);
    } finally {
      rmSync(isolated, { recursive: true, force: true });
    }
  });
});
