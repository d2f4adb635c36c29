/**
 * The Node binaries of the runtime matrix: the machine's own (`current`), or a major version from
 * the npm registry (`npx -y node@N`; npx caches it). Resolved once per call site.
 */
import { spawnSync } from 'node:child_process';
import { ROOT } from './ensure-built';

/** Set BEARLUMEN_SKIP_NODE_MATRIX=1 to run only the machine's Node (e.g. offline); the skip is reported. */
export const SKIP_NODE_MATRIX = process.env['BEARLUMEN_SKIP_NODE_MATRIX'] === '1';

/** The path of the Node binary for `runtime` ('current' or a major version such as '24'). */
export function nodeBinary(runtime: string): string {
  if (runtime === 'current') return process.execPath;
  const result = spawnSync('npx', ['-y', `node@${runtime}`, '-p', 'process.execPath'], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
  const path = result.stdout.trim();
  if (result.status !== 0 || path === '') throw new Error(`could not get Node ${runtime} from the npm registry (npx -y node@${runtime}): ${result.stderr}`);
  return path;
}
