/**
 * Claims of the exit hook that need a real process: a second SIGTERM/SIGINT while the first one's
 * drain is still waiting ends the process at once (an impatient Ctrl-C still works), and the
 * process listeners are removed when the last client shuts down.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('../../fixtures/exit-signals.ts', import.meta.url));
/**
 * The fixture's drain would wait 60 s for its stalled batch. A child still alive by this bound did not
 * exit on the second signal: it is killed and the test fails (wasKilled), whatever the machine's speed.
 */
const KILL_AFTER_MS = 30_000;

/** A server that accepts connections and reads requests but never answers; counts bytes received. */
let stalled: Server;
let stalledUrl = '';
const sockets = new Set<Socket>();
let onRequestBytes: (() => void) | undefined;

beforeAll(async () => {
  stalled = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => onRequestBytes?.());
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
  const address = stalled.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  stalledUrl = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => stalled.close(resolve));
});

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wasKilled: boolean;
}

/**
 * Run the fixture. With `signal`: send it once the child is ready, and again once its drain has
 * reached the stalled server (so the second one arrives while the first one's drain is waiting).
 */
function runFixture(mode: string, signal?: NodeJS.Signals): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      env: { ...process.env, BL_URL: stalledUrl, BL_KEY: 'bl_test_exitsignalsexitsignals', BL_MODE: mode, BEARLUMEN_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let wasKilled = false;
    let secondSent = false;
    const killer = setTimeout(() => {
      wasKilled = true;
      child.kill('SIGKILL');
    }, KILL_AFTER_MS);
    onRequestBytes = () => {
      if (signal === undefined || secondSent) return;
      secondSent = true;
      child.kill(signal);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      const wasReady = stdout.includes('ready\n');
      stdout += chunk.toString();
      if (signal !== undefined && !wasReady && stdout.includes('ready\n')) child.kill(signal);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, exitSignal) => {
      clearTimeout(killer);
      onRequestBytes = undefined;
      resolve({ code, signal: exitSignal, stdout, stderr, wasKilled });
    });
  });
}

describe('exit hook: signals and listeners (child processes)', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('a second %s while the first one drains ends the process at once, with that signal', async (signal) => {
    const result = await runFixture('stalled', signal);
    expect(result.stdout).toContain('ready');
    expect(result).toMatchObject({ code: null, signal, wasKilled: false });
  });

  it('removes its process listeners when the last client shuts down, not before', async () => {
    const result = await runFixture('listeners');
    expect(result).toMatchObject({ code: 0, signal: null, wasKilled: false });
    const counts = JSON.parse(result.stdout) as Record<'before' | 'withClients' | 'afterFirst' | 'afterLast', Record<string, number>>;
    for (const event of ['SIGTERM', 'SIGINT', 'beforeExit']) {
      // One shared listener per event for all clients, kept while any client is open.
      expect(counts.withClients[event], event).toBe((counts.before[event] ?? 0) + 1);
      expect(counts.afterFirst[event], event).toBe(counts.withClients[event]);
      expect(counts.afterLast[event], event).toBe(counts.before[event]);
    }
  });
});
