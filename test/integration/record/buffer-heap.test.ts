/**
 * `maxBufferedBytes` bounds memory, measured on the heap (not with the SDK's own counter, which is what
 * enforces the cap): a child process with --expose-gc fills the buffer with multi-byte metadata near the
 * 10 KB limit while the server is unreachable, and its heap grows by less than the cap.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('../../fixtures/buffer-heap.ts', import.meta.url));
const CAP = 8 * 1024 * 1024;

interface HeapFigures {
  cap: number;
  heapGrowth: number;
  admitted: number;
  bufferedBytes: number;
  refused: number;
}

function runFixture(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', FIXTURE], {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      env: { ...process.env, BL_CAP: String(CAP) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('maxBufferedBytes', () => {
  it('keeps heap growth under the cap with multi-byte metadata near the 10 KB limit', async () => {
    const { code, stdout, stderr } = await runFixture();
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const figures = JSON.parse(stdout) as HeapFigures;
    // The buffer did fill up and refuse (otherwise the cap was never reached and nothing is shown).
    expect(figures.refused).toBeGreaterThanOrEqual(50);
    expect(figures.admitted).toBeGreaterThan(100);
    expect(figures.bufferedBytes).toBeLessThanOrEqual(CAP);
    expect(figures.heapGrowth).toBeLessThan(CAP);
  });
});
