/**
 * Runs test/fixtures/spool-recorder.ts (or another spool fixture, such as spill-heap.ts) as a plain Node
 * child process, for the spool crash tests. The fixture is bundled once with esbuild (the SDK from src/, dependencies left to node_modules) so each
 * child starts in a fraction of the time `--import tsx` takes: the crash property starts dozens.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Inside the repo, so the bundle's bare imports resolve from node_modules. */
const OUT_DIR = fileURLToPath(new URL('../../node_modules/.cache/bearlumen-tests/', import.meta.url));

/** Bundles the fixture `test/fixtures/<name>.ts`; returns the path of the script to run. */
export async function bundleSpoolRecorder(name = 'spool-recorder'): Promise<string> {
  mkdirSync(OUT_DIR, { recursive: true });
  const outfile = `${OUT_DIR}${name}-${process.pid}.mjs`;
  await build({
    entryPoints: [fileURLToPath(new URL(`../fixtures/${name}.ts`, import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    packages: 'external',
    alias: { '@bearlumen/node-sdk': fileURLToPath(new URL('../../src/index.ts', import.meta.url)) },
    logLevel: 'error',
  });
  return outfile;
}

/** A started recorder child. */
export interface SpoolChild {
  /** Resolves once the child printed `ready` (its client exists and it started recording). */
  readonly ready: Promise<void>;
  /** Resolves once the child printed `line` on a line of its own (or exited). */
  printed(line: string): Promise<void>;
  /** What the child printed on stdout so far. */
  output(): string;
  /** Resolves with stdout and stderr when the child has exited. */
  readonly exited: Promise<{ stdout: string; stderr: string; code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/** Longest any child may live: a hung child is killed and the test fails on what it then finds. */
const CHILD_LIMIT_MS = 90_000;

/** Starts the bundled recorder with `env` (see the fixture's header for the variables) and Node's `nodeArgs`. */
export function startSpoolChild(script: string, env: Record<string, string>, nodeArgs: readonly string[] = []): SpoolChild {
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd: ROOT,
    env: { ...process.env, BEARLUMEN_LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ line: string; resolve: () => void }> = [];
  let hasExited = false;
  const check = (): void => {
    for (const waiter of waiters.splice(0)) {
      if (hasExited || stdout.includes(`${waiter.line}\n`)) waiter.resolve();
      else waiters.push(waiter);
    }
  };
  const printed = (line: string): Promise<void> =>
    new Promise((resolve) => {
      waiters.push({ line, resolve });
      check();
    });
  const limit = setTimeout(() => child.kill('SIGKILL'), CHILD_LIMIT_MS);
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    check();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ stdout: string; stderr: string; code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(limit);
      hasExited = true;
      check();
      resolve({ stdout, stderr, code, signal });
    });
  });
  return { ready: printed('ready'), printed, output: () => stdout, exited, kill: (signal) => child.kill(signal) };
}
