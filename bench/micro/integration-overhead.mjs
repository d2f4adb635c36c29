// What the LLM integrations add per provider call beyond the record() calls themselves
// (docs/integrations.md "Cost", docs/benchmarks.md). A stand-in client shaped like openai's resolves a
// Chat Completions response with cached and output tokens at once (no network); the wrapped call
// records 3 events. Baseline: the same call unwrapped, then the same 3 record() calls made by hand
// with the same fields. The difference is the wrapper: usage mapping, keys, metadata, attribution.
// record() itself is replaced by a stub that returns a settled promise in both paths, so its cost
// (validation, buffering, batching: measured by `npm run bench`) cannot drown the difference.
//   node bench/micro/integration-overhead.mjs            (after npm run build)
import process from 'node:process';
import { BearLumen } from '../../dist/index.js';
import { instrumentOpenAI } from '../../dist/integrations/openai.js';

const N = Number(process.argv[2] ?? 100_000);
const ROUNDS = 7;
const response = (i) => ({
  id: `chatcmpl-${i}`,
  object: 'chat.completion',
  model: 'gpt-4o-2024-08-06',
  choices: [],
  usage: { prompt_tokens: 2006, completion_tokens: 300, total_tokens: 2306, prompt_tokens_details: { cached_tokens: 1920 }, completion_tokens_details: { reasoning_tokens: 0 } },
});
const fakeClient = () => ({
  chat: { completions: { create: (body) => Promise.resolve(response(body.i)) } },
  responses: { create: () => Promise.resolve({}) },
  embeddings: { create: () => Promise.resolve({}) },
});

const bearLumen = new BearLumen({ apiKey: 'bl_test_benchbenchbenchbench', baseUrl: 'http://127.0.0.1:9', handleExit: false });
const settled = Promise.resolve({ eventId: 'evt_bench', recorded: true });
let recorded = 0;
bearLumen.usage.record = (input) => {
  recorded += input.quantity > 0 ? 1 : 0;
  return settled;
};
const wrapped = instrumentOpenAI(fakeClient(), bearLumen);
const plain = fakeClient();
const meta = { provider: 'openai', operation: 'chat.completions.create', request_input_tokens: 2006, model: 'gpt-4o-2024-08-06' };

async function byHand(i) {
  const r = await plain.chat.completions.create({ i });
  const root = `openai:${r.id}:`;
  bearLumen.usage.record({ eventType: 'llm_usage', metricName: 'llm_tokens_input', quantity: 86, idempotencyKey: root + 'input', metadata: { ...meta, response_id: r.id } }).catch(() => {});
  bearLumen.usage.record({ eventType: 'llm_usage', metricName: 'llm_tokens_cache_read', quantity: 1920, idempotencyKey: root + 'cache_read', metadata: { ...meta, response_id: r.id } }).catch(() => {});
  bearLumen.usage.record({ eventType: 'llm_usage', metricName: 'llm_tokens_output', quantity: 300, idempotencyKey: root + 'output', metadata: { ...meta, response_id: r.id } }).catch(() => {});
}
const viaWrapper = (i) => wrapped.chat.completions.create({ i });

/** CPU ns per call (user + system): on a shared, loaded machine wall time mostly measures the neighbours. */
async function time(fn, offset) {
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) await fn(offset + i);
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / N;
}

// Warm up both paths, then alternate so machine load touches both alike.
await time(byHand, 10_000_000);
await time(viaWrapper, 20_000_000);
const hand = [];
const wrap = [];
for (let r = 0; r < ROUNDS; r++) {
  hand.push(await time(byHand, 100_000_000 + r * N));
  wrap.push(await time(viaWrapper, 200_000_000 + r * N));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const diffs = hand.map((h, i) => wrap[i] - h);
console.log(JSON.stringify({ node: process.version, n: N, rounds: ROUNDS, byHandNsPerCall: Math.round(median(hand)), wrappedNsPerCall: Math.round(median(wrap)), wrapperOverheadNsPerCall: Math.round(median(diffs)), diffsNs: diffs.map(Math.round), recorded }));
process.exit(0);
