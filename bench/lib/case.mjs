// Shared plumbing of a measurement process: its arguments arrive as one JSON argv, its result
// leaves as one `RESULT {json}` line on stdout, read by bench/run.mjs.
import process from 'node:process';
import { setImmediate as tick } from 'node:timers/promises';

// A rejection nobody handled would end the process (Node >= 15); count it instead, and report it,
// because a fire-and-forget `record()` must never cause one (docs/pipeline.md).
let unhandled = 0;
let firstUnhandled = null;
process.on('unhandledRejection', (reason) => {
  unhandled++;
  firstUnhandled ??= String(reason?.code ?? reason?.name ?? reason);
});

/** The case's parameters (JSON in argv[2]). */
export function caseArgs() {
  return JSON.parse(process.argv[2] ?? '{}');
}

/** Prints the result line and ends the process (sinks and servers die with their parent's IPC). */
export function emit(result) {
  const line = JSON.stringify({ ...result, unhandledRejections: unhandled, firstUnhandled });
  process.stdout.write('RESULT ' + line + '\n', () => process.exit(0));
}

/** Nanoseconds since an arbitrary origin, as a Number. */
export const nowNs = () => Number(process.hrtime.bigint());

/** Lets pending I/O callbacks, timers and microtasks run a few times. */
export async function settle(rounds = 3) {
  for (let i = 0; i < rounds; i++) await tick();
}

/** Heap + external bytes after two full collections (needs --expose-gc). */
export function memoryAfterGc() {
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, total: m.heapUsed + m.external, rss: m.rss };
}
