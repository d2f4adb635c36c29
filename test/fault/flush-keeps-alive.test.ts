/**
 * An awaited flush() is not cut off by the exit hook: a worker finishes its loop during an outage and
 * awaits flush(); the server comes back (well after the child's 200 ms exit deadline, well before its
 * 60 s retry budget) and every event is delivered, none dropped (docs/pipeline.md "Deadlines").
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineStats } from '@bearlumen/node-sdk';
import { startRestartableServer, type RestartableServer } from '../helpers/restartable-server';
import { readStoredEvents, tenantIdOf } from '../helpers/stored-events';

const FIXTURE = fileURLToPath(new URL('../fixtures/flush-through-outage.ts', import.meta.url));
const EVENTS = 300;
/** How long the server stays down after the worker starts flushing: five times the child's exit deadline. */
const OUTAGE_MS = 1000;

let server: RestartableServer;
beforeAll(async () => {
  server = await startRestartableServer();
});
afterAll(async () => {
  await server?.close();
});

describe('fault: an awaited flush() outlives the exit hook', () => {
  it('keeps the worker alive through an outage and delivers every event once the server is back', async () => {
    await server.stop();
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, BL_URL: server.url, BL_KEY: server.apiKey, BL_EVENTS: String(EVENTS), BEARLUMEN_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let restarted: Promise<void> | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (restarted === undefined && stdout.includes('flushing\n')) {
        restarted = new Promise((resolve) => setTimeout(resolve, OUTAGE_MS)).then(() => server.start());
      }
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(killer);
    await restarted;

    expect(code).toBe(0);
    const line = stdout.split('\n').find((l) => l.startsWith('flushed '));
    expect(line, stdout).toBeDefined();
    const stats = JSON.parse((line as string).slice('flushed '.length)) as PipelineStats;
    expect(stats).toMatchObject({ delivered: EVENTS, dropped: 0 });
    const store = server.store;
    if (store === null) throw new Error('server is not running');
    expect(await readStoredEvents(store, await tenantIdOf(store, server.apiKey))).toHaveLength(EVENTS);
  });
});
