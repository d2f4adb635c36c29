import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen } from '@bearlumen/node-sdk';
import { startServer, type StartedServer } from '../../helpers/start-server';
import { deadUrl } from '../../helpers/dead-url';

const FIXTURE = fileURLToPath(new URL('../../fixtures/pipeline-exit.ts', import.meta.url));
/** A child that has not exited by then is hung: the test fails instead of waiting forever. */
const KILL_AFTER_MS = 20_000;

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Whether we had to SIGKILL it at KILL_AFTER_MS. */
  wasKilled: boolean;
}

let server: StartedServer;
let reader: BearLumen;
let run = 0;

function runFixture(env: Record<string, string>, sendSignal?: NodeJS.Signals, killAfterMs = KILL_AFTER_MS): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      env: { ...process.env, BL_URL: server.url, BL_KEY: server.apiKey, BEARLUMEN_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let wasKilled = false;
    const killer = setTimeout(() => {
      wasKilled = true;
      child.kill('SIGKILL');
    }, killAfterMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (sendSignal !== undefined && stdout.includes('ready\n') && !stdout.includes('ready\nsignalled')) {
        stdout += 'signalled\n';
        child.kill(sendSignal);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, wasKilled });
    });
  });
}

async function stored(agent: string): Promise<number> {
  return (await reader.usage.query({ agent_id: agent, limit: 1 })).total;
}

beforeAll(async () => {
  server = await startServer();
  reader = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false });
});

afterAll(async () => {
  await reader?.shutdown();
  await server?.close();
});

describe('exit hook (child processes)', () => {
  it('delivers every buffered event when the script simply ends, from each of several clients', async () => {
    const agent = `end-${++run}`;
    const result = await runFixture({ BL_MODE: 'end', BL_EVENTS: '1500', BL_CLIENTS: '2', BL_AGENT: agent });
    expect(result).toMatchObject({ code: 0, signal: null, wasKilled: false });
    expect(await stored(agent)).toBe(3000);
  });

  it('delivers every buffered event on SIGTERM, then ends with SIGTERM as it would have without the SDK', async () => {
    const agent = `term-${++run}`;
    const result = await runFixture({ BL_MODE: 'wait', BL_EVENTS: '1200', BL_AGENT: agent }, 'SIGTERM');
    expect(result).toMatchObject({ code: null, signal: 'SIGTERM', wasKilled: false });
    expect(await stored(agent)).toBe(1200);
  });

  it('delivers every buffered event on SIGINT, then ends with SIGINT', async () => {
    const agent = `int-${++run}`;
    const result = await runFixture({ BL_MODE: 'wait', BL_EVENTS: '300', BL_AGENT: agent }, 'SIGINT');
    expect(result).toMatchObject({ code: null, signal: 'SIGINT', wasKilled: false });
    expect(await stored(agent)).toBe(300);
  });

  it("leaves SIGTERM to the app's own handler, which still runs, and still delivers the events", async () => {
    const agent = `app-${++run}`;
    const result = await runFixture({ BL_MODE: 'wait', BL_EVENTS: '500', BL_AGENT: agent, BL_APP_HANDLER: '1' }, 'SIGTERM');
    expect(result.stdout).toContain('app handler ran');
    // The app's handler decided not to exit by force: the process ends normally once the work is done.
    expect(result).toMatchObject({ code: 0, signal: null, wasKilled: false });
    expect(await stored(agent)).toBe(500);
  });

  it('fire-and-forget records against a dead server cause no unhandled rejection, and the process still exits', async () => {
    const result = await runFixture({ BL_MODE: 'end', BL_EVENTS: '50', BL_URL: await deadUrl(), BL_EXIT_TIMEOUT_MS: '500' });
    expect(result).toMatchObject({ code: 0, signal: null, wasKilled: false });
    expect(result.stderr).not.toMatch(/unhandled/i);
    // The loss is not silent: the drop is logged.
    expect(result.stderr).toMatch(/shutdown_timeout/);
  });

  it('an idle client lets the process exit at once', async () => {
    const result = await runFixture({ BL_MODE: 'idle' });
    expect(result).toMatchObject({ code: 0, signal: null, wasKilled: false });
  });

  it('a client whose events were all delivered lets the process exit (keep-alive sockets do not hold it)', async () => {
    const agent = `sent-${++run}`;
    // Below the transport's 10 s keep-alive timeout: a ref'd idle socket would hold the process past it.
    const result = await runFixture({ BL_MODE: 'sent', BL_AGENT: agent }, undefined, 8000);
    expect(result).toMatchObject({ code: 0, signal: null, wasKilled: false });
    expect(result.stdout).toContain('"recorded":true');
    expect(await stored(agent)).toBe(1);
  });

  it('with handleExit: false, an awaited record() still settles: buffered events keep the process alive until their batch is sent', async () => {
    const agent = `awaited-${++run}`;
    const result = await runFixture({ BL_MODE: 'awaited', BL_AGENT: agent });
    expect(result).toMatchObject({ code: 0, signal: null, wasKilled: false });
    expect(result.stdout).toContain('"recorded":true');
    expect(await stored(agent)).toBe(1);
  });
});
