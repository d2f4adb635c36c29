/**
 * The built `bearlumen serve` on every runtime the server promises (Node 20, 22, 24): start, answer
 * an authenticated write and read, close on SIGTERM with exit code 0. On the machine's Node it runs on
 * SQLite; on every version it runs on PostgreSQL when a test database is configured (better-sqlite3 is
 * a native addon built for the Node that installed it, so the other versions cannot load this
 * checkout's copy; a user's own `npm install` fetches the one for their Node).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestSchema, hasPostgres } from '../helpers/postgres-database';
import { DIST, ensureBuilt } from './ensure-built';
import { nodeBinary, SKIP_NODE_MATRIX } from './node-binary';

const RUNTIMES = SKIP_NODE_MATRIX ? ['current'] : ['current', '22', '24'];

beforeAll(async () => {
  await ensureBuilt();
}, 180_000);

/** Start the built CLI's `serve` on `binary`, check one round trip, stop it; resolves with the exit code. */
async function serveRoundTrip(binary: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; node: string }> {
  const child = spawn(binary, [`${DIST}server/cli.js`, 'serve', '--port', '0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const { url, key } = await new Promise<{ url: string; key: string }>((resolve, reject) => {
      let out = '';
      const onData = (chunk: Buffer): void => {
        out += chunk.toString();
        const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
        const key = /BEARLUMEN_API_KEY=(\S+)\n/.exec(out)?.[1];
        if (url !== undefined && key !== undefined) resolve({ url, key });
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exited.then((code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    });
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const recorded = await fetch(`${url}/v1/usage/events`, { method: 'POST', headers, body: JSON.stringify({ eventType: 'llm', metricName: 'requests', quantity: 2 }) });
    expect(recorded.status).toBe(200);
    const summary = (await (await fetch(`${url}/v1/usage/summary`, { headers })).json()) as { totalEvents: number };
    expect(summary.totalEvents).toBe(1);
  } finally {
    child.kill('SIGTERM');
  }
  const version = await new Promise<string>((resolve) => {
    const probe = spawn(binary, ['-p', 'process.versions.node'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    probe.stdout.on('data', (c: Buffer) => (out += c.toString()));
    probe.once('exit', () => resolve(out.trim()));
  });
  return { code: await exited, node: version };
}

describe.each(RUNTIMES)('the built bearlumen serve on Node %s', (runtime) => {
  let binary = '';
  beforeAll(() => {
    binary = nodeBinary(runtime);
  }, 180_000);
  const major = runtime === 'current' ? process.versions.node.split('.')[0] : runtime;

  it.runIf(runtime === 'current')('on SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bearlumen-serve-rt-'));
    try {
      const result = await serveRoundTrip(binary, ['--db', join(dir, 'rt.db')], { DATABASE_URL: '', BEARLUMEN_LOG_LEVEL: 'error' });
      expect(result).toEqual({ code: 0, node: expect.stringMatching(new RegExp(`^${major}\\.`)) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!hasPostgres())('on PostgreSQL', async () => {
    const schema = await createTestSchema(`serve_node${major}`);
    try {
      const result = await serveRoundTrip(binary, [], { DATABASE_URL: schema.url, BEARLUMEN_LOG_LEVEL: 'error' });
      expect(result).toEqual({ code: 0, node: expect.stringMatching(new RegExp(`^${major}\\.`)) });
    } finally {
      await schema.drop();
    }
  });
});
