/**
 * Authentication and what the server exposes: 401 (in the protocol's error body, with a request id)
 * for a missing, malformed, unknown or revoked key on every /v1 route; keys stored only as SHA-256
 * digests (the raw database and WAL files never contain a key); 413 for an oversized body over a
 * real socket; and `bearlumen serve` listening on 127.0.0.1 unless told otherwise.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyId, createApiKey, hashApiKey, keyIdOfDigest } from '@bearlumen/node-sdk/server';
import { startRestartableServer, type RestartableServer } from '../helpers/restartable-server';

let server: RestartableServer;

beforeAll(async () => {
  server = await startRestartableServer();
});

afterAll(async () => {
  await server?.close();
});

/** One representative request per /v1 route (ids need not exist: auth runs first). */
const ROUTES: [string, string][] = [
  ['POST', '/v1/end-users'],
  ['GET', '/v1/end-users'],
  ['GET', '/v1/end-users/eu_x'],
  ['PATCH', '/v1/end-users/eu_x'],
  ['POST', '/v1/end-users/eu_x/deactivate'],
  ['POST', '/v1/end-users/eu_x/reactivate'],
  ['POST', '/v1/subscriptions'],
  ['GET', '/v1/subscriptions'],
  ['GET', '/v1/subscriptions/sub_x'],
  ['PATCH', '/v1/subscriptions/sub_x'],
  ['POST', '/v1/subscriptions/sub_x/cancel'],
  ['POST', '/v1/usage/events'],
  ['POST', '/v1/usage/events/batch'],
  ['GET', '/v1/usage/events'],
  ['GET', '/v1/usage/aggregation'],
  ['GET', '/v1/usage/summary'],
  ['GET', '/v1/cost-attribution/by-agent'],
  ['GET', '/v1/cost-attribution/by-workflow'],
  ['GET', '/v1/cost-attribution/agents'],
  ['GET', '/v1/cost-attribution/workflows'],
  ['GET', '/v1/no-such-route'],
];

async function call(method: string, path: string, authorization: string | undefined): Promise<{ status: number; code: string; requestId: string; header: unknown }> {
  const res = await request(server.url + path, {
    method: method as 'GET',
    headers: { ...(authorization === undefined ? {} : { authorization }), ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) },
    body: method === 'GET' ? null : '{"events":[{"eventType":"a","metricName":"b","quantity":1}],"externalId":"x"}',
  });
  const body = (await res.body.json()) as { error?: { code?: string }; requestId?: string };
  return { status: res.statusCode, code: body.error?.code ?? '', requestId: body.requestId ?? '', header: res.headers['x-request-id'] };
}

describe('security: authentication', () => {
  it('a missing, malformed or unknown key is a 401 with a request id on every /v1 route', async () => {
    const cases: [string | undefined, string][] = [
      [undefined, 'api_key_missing'],
      ['', 'api_key_missing'],
      ['Bearer', 'api_key_invalid'],
      [`Basic ${Buffer.from(`user:${server.apiKey}`).toString('base64')}`, 'api_key_invalid'],
      ['Bearer bl_test_short', 'api_key_invalid'],
      ['Bearer sk_live_0123456789abcdef0123', 'api_key_invalid'],
      [`Bearer ${server.apiKey} extra`, 'api_key_invalid'],
      [`Bearer ${server.apiKey.slice(0, -1)}X`, 'api_key_invalid'],
      ['Bearer bl_live_unknownunknownunknown000', 'api_key_invalid'],
    ];
    for (const [method, path] of ROUTES) {
      for (const [authorization, code] of cases) {
        const res = await call(method, path, authorization);
        expect([res.status, res.code], `${method} ${path} with ${JSON.stringify(authorization?.slice(0, 20))}`).toEqual([401, code]);
        expect(res.requestId).toMatch(/^req_/);
        expect(res.header).toBe(res.requestId);
      }
    }
  });

  it('a revoked key is refused (401) on every route; other keys of the tenant keep working', async () => {
    const store = server.store;
    if (store === null) throw new Error('server stopped');
    const doomed = await createApiKey(store, 'revocation');
    const kept = await createApiKey(store, 'revocation');
    // Used first, so any cache in the server has seen it as valid.
    expect((await call('GET', '/v1/end-users', `Bearer ${doomed}`)).status).toBe(200);
    expect(await store.revokeApiKey(hashApiKey(doomed))).toBe(true);
    expect(await store.revokeApiKey(hashApiKey(doomed))).toBe(false);
    // Revocation reaches a running server within its (short) key cache lifetime; bounded wait.
    let status = 200;
    for (let waited = 0; status === 200 && waited < 5000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await call('GET', '/v1/end-users', `Bearer ${doomed}`)).status;
    }
    for (const [method, path] of ROUTES) expect((await call(method, path, `Bearer ${doomed}`)).code, `${method} ${path}`).toBe('api_key_invalid');
    expect((await call('GET', '/v1/end-users', `Bearer ${kept}`)).status).toBe(200);
  });

  it('bearlumen keys revoke, from another process, stops a running server accepting the key', async () => {
    const store = server.store;
    if (store === null) throw new Error('server stopped');
    const doomed = await createApiKey(store, 'cli-revocation');
    expect((await call('GET', '/v1/end-users', `Bearer ${doomed}`)).status).toBe(200);
    const revoked = await runCli(['keys', 'revoke', '--db', server.dbPath, '--key', doomed]);
    expect(revoked.code).toBe(0);
    // Named by its key id, which shows nothing of the key.
    expect(revoked.stdout).toBe(`revoked: ${apiKeyId(doomed)}\n`);
    expect(revoked.stdout).not.toContain(doomed.slice(8, 16));
    let status = 200;
    for (let waited = 0; status === 200 && waited < 5000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await call('GET', '/v1/end-users', `Bearer ${doomed}`)).status;
    }
    expect(status).toBe(401);
    expect((await runCli(['keys', 'revoke', '--db', server.dbPath, '--key', doomed])).code).toBe(1);
  });

  it('keys are stored only as SHA-256 digests: the database and WAL files never contain a key', async () => {
    const store = server.store;
    if (store === null) throw new Error('server stopped');
    const keys = [server.apiKey, await createApiKey(store, 'hashing'), await createApiKey(store, 'hashing', 'live')];
    const reader = new Database(server.dbPath, { readonly: true });
    const rows = reader.prepare('SELECT * FROM api_keys').all() as { key_hash: string; key_id: string }[];
    reader.close();
    for (const key of keys) {
      const digest = createHash('sha256').update(key).digest('hex');
      const row = rows.find((r) => r.key_hash === digest);
      expect(row, 'digest stored').toBeDefined();
      expect(row?.key_id).toBe(keyIdOfDigest(digest));
      // No column holds any 6 consecutive characters of the key's secret part.
      const secret = key.replace(/^bl_(live|test)_/, '');
      const columns = Object.values(row ?? {}).map(String);
      for (let i = 0; i + 6 <= secret.length; i += 1) for (const c of columns) expect(c.includes(secret.slice(i, i + 6)), `a column holds ${i}..`).toBe(false);
    }
    const files = [server.dbPath, `${server.dbPath}-wal`, `${server.dbPath}-shm`].filter((f) => existsSync(f));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const key of keys) {
        const secret = key.replace(/^bl_(live|test)_/, '');
        expect(bytes.includes(Buffer.from(secret)), `${file} contains a key`).toBe(false);
        expect(bytes.includes(Buffer.from(secret.slice(8))), `${file} contains most of a key`).toBe(false);
      }
    }
  });
});

describe('security: request size and binding', () => {
  it('a body over 16 MiB is refused with 413 over a real socket, and nothing is stored', async () => {
    // A valid batch padded with JSON whitespace past the limit: a server without the limit would
    // store its event.
    const key = `oversize-${Date.now()}`;
    const batch = JSON.stringify({ events: [{ eventType: 'api_call', metricName: 'api_calls', quantity: 1, idempotencyKey: key }] });
    const big = Buffer.concat([Buffer.from(batch.slice(0, -1)), Buffer.alloc(16 * 1024 * 1024, 0x20), Buffer.from('}')]);
    const res = await request(`${server.url}/v1/usage/events/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
      body: big,
    });
    const body = (await res.body.json()) as { error: { code: string }; requestId: string };
    expect([res.statusCode, body.error.code]).toEqual([413, 'payload_too_large']);
    expect(body.requestId).toMatch(/^req_/);
    const reader = new Database(server.dbPath, { readonly: true });
    try {
      expect(reader.prepare('SELECT COUNT(*) AS n FROM usage_events WHERE idempotency_key = ?').get(key)).toEqual({ n: 0 });
    } finally {
      reader.close();
    }
  });

  it('bearlumen serve listens on 127.0.0.1 only, unless --host says otherwise', async (context) => {
    const { address: external, release } = nonLoopbackAddress();
    if (external === undefined) {
      // Never silently: the reason is printed and the test is reported as skipped.
      const reason = 'no non-loopback IPv4 address on this host, and none could be added (needs root and iproute2 with the dummy link type)';
      console.warn(`skipped "listens on 127.0.0.1 only": ${reason}`);
      context.skip(reason);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'bearlumen-bind-'));
    try {
      const loopback = await serve(['--port', '0', '--db', join(dir, 'a.db')]);
      try {
        expect(loopback.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(await reachable('127.0.0.1', loopback.port)).toBe(true);
        expect(await reachable(external, loopback.port)).toBe(false);
      } finally {
        await loopback.stop();
      }
      // Told otherwise, it does listen there: the check above can fail.
      const everywhere = await serve(['--host', '0.0.0.0', '--port', '0', '--db', join(dir, 'b.db')]);
      try {
        expect(await reachable(external, everywhere.port)).toBe(true);
      } finally {
        await everywhere.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      release();
    }
  });
});

const CLI = fileURLToPath(new URL('../../src/server/cli.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));

/**
 * A local IPv4 address that is not loopback: the host's own, else one on a dummy interface added for
 * the test (root and iproute2 only; `release` removes it). `address` is undefined when neither works.
 */
function nonLoopbackAddress(): { address: string | undefined; release(): void } {
  const own = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;
  if (own !== undefined) return { address: own, release: () => undefined };
  const link = `blbind${process.pid % 10000}`;
  const ip = (...args: string[]): boolean => spawnSync('ip', args, { stdio: 'ignore' }).status === 0;
  const release = (): void => void ip('link', 'del', link);
  // 198.18.0.0/15 is reserved for benchmarking: never routed, never someone else's address.
  if (process.getuid?.() === 0 && ip('link', 'add', link, 'type', 'dummy') && ip('addr', 'add', '198.18.7.1/32', 'dev', link) && ip('link', 'set', link, 'up')) {
    return { address: '198.18.7.1', release };
  }
  release();
  return { address: undefined, release: () => undefined };
}

/** Run `bearlumen serve` from source; resolves once it prints its URL. */
function serve(args: string[]): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const env = { ...process.env };
  delete env['BEARLUMEN_HOST'];
  delete env['BEARLUMEN_PORT'];
  const child = spawn(process.execPath, [TSX, CLI, 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`serve did not start: ${out}`));
    }, 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+:(\d+))/.exec(out);
      if (match?.[1] !== undefined && match[2] !== undefined) {
        clearTimeout(timer);
        resolve({ url: match[1], port: Number(match[2]), stop });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${out}`));
    });
  });
}

/** Run the CLI from source to completion. */
function runCli(args: string[]): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [TSX, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.resume();
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout })));
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
