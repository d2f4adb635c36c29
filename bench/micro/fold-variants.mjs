// Microbenchmark behind the record-path finding (docs/benchmarks.md): three ways to fold agent_id /
// workflow_id into a copy of the caller's metadata. On Node 18 and 20 an optimized object spread gives
// every copy its own hidden class (~1.3 µs, ~300 bytes); Node 22 does not. Run with --expose-gc:
//   node --expose-gc bench/micro/fold-variants.mjs
import process from 'node:process';

const hasOwn = Object.prototype.hasOwnProperty;
const VARIANTS = {
  spreadLiteral: (m, a, w) => ({ ...m, agent_id: a, workflow_id: w }),
  assignThenSet: (m, a, w) => {
    const f = Object.assign({}, m);
    f.agent_id = a;
    f.workflow_id = w;
    return f;
  },
  forInCopy: (m, a, w) => {
    const f = {};
    for (const k in m) {
      if (!hasOwn.call(m, k)) continue;
      if (k === '__proto__') Object.defineProperty(f, k, { value: m[k], enumerable: true, writable: true, configurable: true });
      else f[k] = m[k];
    }
    f.agent_id = a;
    f.workflow_id = w;
    return f;
  },
};

if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
const N = 200_000;
const AGENTS = Array.from({ length: 16 }, (_, i) => `agent-${i}`);
console.log(`node ${process.version}, ${N} warm calls each`);
let kept = null; // keeps each run's copies alive across the second measurement
for (const [name, fold] of Object.entries(VARIANTS)) {
  for (let i = 0; i < 20_000; i++) fold({ model: 'gpt-4o', provider: 'openai', output_tokens: i }, AGENTS[i & 15], 'wf');
  const out = new Array(N);
  globalThis.gc();
  const m0 = process.memoryUsage().heapUsed;
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) out[i] = fold({ model: 'gpt-4o', provider: 'openai', output_tokens: i }, AGENTS[i & 15], 'wf');
  const cpu = process.cpuUsage(c0);
  kept = out;
  globalThis.gc();
  const m1 = process.memoryUsage().heapUsed;
  const ns = Math.round(((cpu.user + cpu.system) * 1000) / N);
  console.log(`${name.padEnd(14)} ${String(ns).padStart(5)} ns CPU per call, ${Math.round((m1 - m0) / N)} bytes retained per copy, ${kept.length} kept`);
  kept = null;
}
