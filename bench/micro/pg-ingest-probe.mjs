// PostgreSQL ingest into a table that already holds many events: `fresh` new events (the scale
// workload's shape, timestamps in the last hour) stored one 1000-event batch at a time through
// Store.insertUsageEvents, into a schema that `server-scale.mjs` loaded and kept. Reports events/s, the
// batch latency percentiles, WAL bytes per batch, checkpoints during the run, and this process's CPU
// per batch. Alternate two builds (each from its own checkout) on one kept schema to compare them.
//
//   npm run build && eval "$(bash scripts/pg-start.sh)"
//   node bench/cases/server-scale.mjs '{"n":10000000,"sqlite":false,"keep":"bl_keep"}'   # once, ~2 min
//   node bench/micro/pg-ingest-probe.mjs '{"schema":"bl_keep","fresh":1000000}'
//
// Figures: docs/benchmarks.md, "PostgreSQL ingest at 10M events".
import pg from 'pg';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
const SERVER = fileURLToPath(new URL('../../dist/server/index.js', import.meta.url));
const args = { schema: 'bl_keep', fresh: 100000, prefix: `p${Date.now().toString(36)}${process.pid}`, ...JSON.parse(process.argv[2] ?? '{}') };
const url = new URL(process.env.DATABASE_URL);
url.searchParams.set('options', `-c search_path=${args.schema}`);
const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
await admin.connect();
const { createStore } = await import(SERVER);
const store = await createStore({ databaseUrl: url.toString(), poolSize: 4 });
const tenant = (await store.ensureTenant('scale')).id;
const HOUR = 3_600_000;
const endMs = Math.floor(Date.now() / HOUR) * HOUR - 17 * 60_000;
function ev(i) {
  const workflow = (i * 7919) % 120, agent = workflow % 40, model = `model-${(i * 31) % 4}`, output = i % 2 === 1;
  return { id: `evt_${args.prefix}${i.toString(36)}`, idempotencyKey: `${args.prefix}-${i}`, eventType: 'token_usage',
    metricName: output ? 'llm_tokens_output' : 'llm_tokens_input', quantity: 50 + ((i * 13) % 2000), subscriptionId: `sub_${workflow % 25}`,
    timestampMs: endMs - HOUR + Math.floor((i / args.fresh) * HOUR), receivedAtMs: endMs,
    metadataJson: `{"model":"${model}","provider":"openai","agent_id":"agent-${agent}","workflow_id":"workflow-${workflow}"}`,
    agentId: `agent-${agent}`, workflowId: `workflow-${workflow}`, tokenKind: output ? 'output' : 'input', costNanoUsd: 1000 + ((i * 104729) % 5_000_000),
    priced: true, priceSource: 'bench', model, provider: 'openai' };
}
const q1 = async (sql) => (await admin.query(sql)).rows[0];
const lsn0 = (await q1('SELECT pg_current_wal_lsn() AS l')).l;
const bg0 = await q1('SELECT checkpoints_timed + checkpoints_req AS c, buffers_checkpoint, buffers_backend FROM pg_stat_bgwriter');
const lat = [];
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
for (let s = 0; s < args.fresh; s += 1000) {
  const b = []; for (let i = s; i < s + 1000; i++) b.push(ev(i));
  const t = process.hrtime.bigint();
  const r = await store.insertUsageEvents(tenant, b);
  lat.push(Number(process.hrtime.bigint() - t) / 1e6);
  if (r.recordedCount !== 1000) throw new Error('dup?');
}
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const wal = (await q1(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${lsn0}')::bigint AS d`)).d;
const bg1 = await q1('SELECT checkpoints_timed + checkpoints_req AS c, buffers_checkpoint, buffers_backend FROM pg_stat_bgwriter');
lat.sort((a, b) => a - b);
const p = (x) => lat[Math.floor(x * (lat.length - 1))].toFixed(1);
console.log(JSON.stringify({ rate: Math.round(args.fresh / secs), p10: p(0.1), p50: p(0.5), p90: p(0.9), max: p(1), walPerBatchKB: Math.round(Number(wal) / (args.fresh / 1000) / 1024),
  checkpoints: bg1.c - bg0.c, bufCkpt: bg1.buffers_checkpoint - bg0.buffers_checkpoint, bufBackend: bg1.buffers_backend - bg0.buffers_backend, nodeCpuMsPerBatch: ((cpu.user + cpu.system) / 1000 / (args.fresh / 1000)).toFixed(2) }));
await store.close(); await admin.end();
