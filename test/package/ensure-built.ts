/**
 * Package tests run against dist/. `npm test` builds first; when dist is missing (running this project
 * alone), the first test file builds it under a lock directory so parallel files don't race tsup's clean.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DIST = `${ROOT}dist/`;
const OUTPUTS = ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts', 'dashboard/index.html', 'dashboard/app.js'].map((f) => DIST + f);
const LOCK = `${ROOT}node_modules/.bearlumen-build.lock`;

const built = (): boolean => OUTPUTS.every((f) => existsSync(f));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Builds dist/ with tsup unless it is already there. */
export async function ensureBuilt(): Promise<void> {
  for (let waited = 0; !built(); waited += 250) {
    try {
      mkdirSync(LOCK);
    } catch {
      // Another file holds the lock and is building: wait for it (bounded).
      if (waited > 150_000) throw new Error('timed out waiting for another test file to build dist/');
      await sleep(250);
      continue;
    }
    try {
      if (!built()) {
        const result = spawnSync('npx', ['tsup'], { cwd: ROOT, encoding: 'utf8', timeout: 150_000 });
        if (!built()) throw new Error(`npx tsup did not produce dist/: ${result.stderr}`);
      }
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}
