// SQLite store ingest CPU per event (the price of what ingest maintains: events, their indexes,
// rollups): `process.cpuUsage` of the process while `Store.insertUsageEvents` stores `n` new events
// in batches of 1000, after `warm` events of the same shape were stored first. The workload has 960
// dimension sets (120 workflows, each with its agent and subscription, × 4 models × 2 metrics), each
// batch touches all 960, and its timestamps are random within the current hour, as a live gateway's
// are: ~1.9 rollup upserts per event (hour and day row per set), the worst case for rollups.
//
//   npm run build && node bench/micro/store-ingest-cpu.mjs                  (this build)
//   node bench/micro/store-ingest-cpu.mjs '{"server":"/other/worktree/dist/server/index.js"}'
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = { n: 50_000, warm: 50_000, runs: 5, seed: 7, server: fileURLToPath(new URL('../../dist/server/index.js', import.meta.url)), ...JSON.parse(process.argv[2] ?? '{}') };
const { createStore } = await import(pathToFileURL(args.server).href);

/** Deterministic pseudo-random integers (xorshift32). */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return (max) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % max;
  };
}

function batchOf(start, size, hourStart, next, prefix) {
  const batch = [];
  for (let i = start; i < start + size; i++) {
    const workflow = i % 120;
    const output = Math.floor(i / 480) % 2 === 1;
    const agentId = `agent-${workflow % 40}`;
    const workflowId = `workflow-${workflow}`;
    const model = `model-${Math.floor(i / 120) % 4}`;
    const t = hourStart + next(3_600_000);
    batch.push({
      id: `evt_${prefix}${i.toString(36)}`,
      idempotencyKey: `${prefix}-${i}`,
      eventType: 'token_usage',
      metricName: output ? 'llm_tokens_output' : 'llm_tokens_input',
      quantity: 50 + next(2000),
      subscriptionId: `sub_${workflow % 25}`,
      timestampMs: t,
      receivedAtMs: t,
      metadataJson: `{"model":"${model}","provider":"openai","agent_id":"${agentId}","workflow_id":"${workflowId}"}`,
      agentId,
      workflowId,
      tokenKind: output ? 'output' : 'input',
      costNanoUsd: 1000 + next(5_000_000),
      priced: true,
      priceSource: 'bench',
      model,
      provider: 'openai',
    });
  }
  return batch;
}

const perEvent = [];
for (let run = 0; run < args.runs; run++) {
  const dir = mkdtempSync(join(tmpdir(), 'bl-ingest-cpu-'));
  try {
    const store = await createStore({ dbPath: join(dir, 'ingest.db') });
    const tenant = (await store.ensureTenant('cpu')).id;
    const hourStart = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const next = rng(args.seed + run);
    for (let i = 0; i < args.warm; i += 1000) await store.insertUsageEvents(tenant, batchOf(i, 1000, hourStart, next, 'w'));
    const batches = [];
    for (let i = 0; i < args.n; i += 1000) batches.push(batchOf(i, 1000, hourStart, next, 'm'));
    const cpu0 = process.cpuUsage();
    for (const batch of batches) {
      const r = await store.insertUsageEvents(tenant, batch);
      if (r.recordedCount !== batch.length) throw new Error('not all stored');
    }
    const cpu = process.cpuUsage(cpu0);
    perEvent.push((cpu.user + cpu.system) / args.n);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const median = [...perEvent].sort((a, b) => a - b)[Math.floor(perEvent.length / 2)];
console.log(`SQLite store ingest CPU per event (µs), ${args.runs} runs of ${args.n} after ${args.warm}: ${perEvent.map((x) => x.toFixed(2)).join(' / ')}; median ${median.toFixed(2)}`);
