// Microbenchmark behind the metadata copy in record() (src/internal/validate-usage.ts, docs/benchmarks.md):
// copying the caller's metadata key by key into `{}` (4 in-object slots, the rest in an out-of-object
// property array) vs into `new MetadataObject()` whose prototype is Object.prototype (plain to every
// observer, but V8's slack tracking sizes its objects to the keys they receive). Each variant runs in a
// fresh process, 200,000 copies held, then the retained bytes per copy after full GCs:
//   node --expose-gc bench/micro/metadata-copy.mjs
import { execFileSync } from 'node:child_process';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const N = 200_000;
const hasOwn = Object.prototype.hasOwnProperty;
function MetadataObject() {}
MetadataObject.prototype = Object.prototype;

const VARIANTS = {
  literal: () => ({}),
  constructed: () => new MetadataObject(),
};

function copy(make, source, agentId, workflowId) {
  const c = make();
  for (const key in source) {
    if (hasOwn.call(source, key)) c[key] = source[key];
  }
  c.agent_id = agentId;
  c.workflow_id = workflowId;
  return c;
}

const variant = process.argv[2];
if (variant === undefined) {
  // Parent: each variant 3 times in fresh processes, interleaved.
  for (let round = 0; round < 3; round++) {
    for (const name of Object.keys(VARIANTS)) {
      const out = execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), name], { encoding: 'utf8' });
      process.stdout.write(out);
    }
  }
} else {
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
  const make = VARIANTS[variant];
  const sources = [0, 1, 2, 3].map((i) => ({ model: `model-${i}`, provider: 'anthropic', input_tokens: 1000 + i, output_tokens: 300 + i }));
  for (let i = 0; i < 20_000; i++) copy(make, sources[i & 3], 'agent', 'workflow');
  globalThis.gc();
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  const held = new Array(N);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) held[i] = copy(make, sources[i & 3], 'agent', 'workflow');
  const t1 = process.hrtime.bigint();
  globalThis.gc();
  globalThis.gc();
  const after = process.memoryUsage().heapUsed;
  const plain = Object.getPrototypeOf(held[7]) === Object.prototype && held[7].constructor === Object;
  console.log(`${variant.padEnd(12)} ${(Number(t1 - t0) / N).toFixed(0).padStart(5)} ns/copy ${((after - before) / N).toFixed(0).padStart(4)} B/copy  plain object: ${plain}`);
}
