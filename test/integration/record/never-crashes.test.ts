/**
 * `usage.record()` never takes the host process down: each ordinary production mistake, fired and
 * forgotten, runs in a child process with Node's default unhandled-rejection behaviour (exit code 1).
 * The child must exit 0, the event must be counted as dropped (`invalid`) in stats() and the shutdown
 * report, a `drop` observer event must fire, and the warn log must name the field but not the payload.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type StartedServer } from '../../helpers/start-server';

const FIXTURE = fileURLToPath(new URL('../../fixtures/record-misuse.ts', import.meta.url));
/** A child that has not exited by then is hung: the test fails instead of waiting forever. */
const KILL_AFTER_MS = 20_000;

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

let server: StartedServer;

function runTrigger(trigger: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      env: { ...process.env, BL_URL: server.url, BL_KEY: server.apiKey, BL_TRIGGER: trigger, BEARLUMEN_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server.close();
});

describe('a fire-and-forget record() that fails never crashes the process', () => {
  it.each([
    ['no-usage', 'quantity'],
    ['fractional', 'quantity'],
    ['metadata-over-10kb', 'metadata'],
    ['clock-5-minutes-off', 'timestamp'],
    ['throwing-getter', undefined],
    ['not-an-object', 'event'],
  ])('%s: exit 0, counted as invalid in stats() and the report, one drop event, logged without the payload', async (trigger, field) => {
    const { code, stdout, stderr } = await runTrigger(trigger);
    expect(stderr).not.toMatch(/unhandled|Error:.*\n\s+at /i);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { drops: unknown[]; stats: { dropped: number; droppedByReason: object }; report: { dropped: number; droppedByReason: object } };
    expect(result.drops).toEqual([{ reason: 'invalid', count: 1, events: [] }]);
    expect(result.stats).toMatchObject({ dropped: 1, droppedByReason: { invalid: 1 } });
    expect(result.report).toMatchObject({ dropped: 1, droppedByReason: { invalid: 1 }, delivered: 0 });
    const warnings = stderr.split('\n').filter((line) => line.includes('refused an invalid event'));
    expect(warnings).toHaveLength(1);
    if (field !== undefined) expect(warnings[0]).toContain(`"field":"${field}`);
    expect(stderr).not.toContain('do-not-log-this-payload');
  });

  it('an async drop listener whose promise rejects: exit 0, logged as a failed listener, the drop still counted', async () => {
    const { code, stdout, stderr } = await runTrigger('async-listener-rejects');
    expect(stderr).not.toMatch(/unhandled|Error:.*\n\s+at /i);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { drops: unknown[]; stats: { droppedByReason: object } };
    expect(result.drops).toEqual([{ reason: 'invalid', count: 1, events: [] }]);
    expect(result.stats.droppedByReason).toEqual({ invalid: 1 });
    const failures = stderr.split('\n').filter((line) => line.includes("a 'drop' listener threw (or its promise rejected)"));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain('alerting webhook failed');
  });

  it.each([
    ['after-shutdown', 'closed'],
    ['buffer-full', 'buffer_full'],
  ])('%s: exit 0, counted as %s, one drop event', async (trigger, reason) => {
    const { code, stdout, stderr } = await runTrigger(trigger);
    expect(stderr).not.toMatch(/unhandled|Error:.*\n\s+at /i);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { drops: unknown[]; stats: { droppedByReason: object } };
    expect(result.drops).toEqual([{ reason, count: 1, events: [] }]);
    expect(result.stats.droppedByReason).toEqual({ [reason]: 1 });
  });
});
