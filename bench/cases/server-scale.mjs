// The server's store at a gateway's volume (issue 13): N events over `days` days (default 10M over
// 30 days, 40 agents, 120 workflows each owned by one agent, 4 models, input and output tokens)
// loaded in time order straight through Store.insertUsageEvents (no HTTP), on SQLite and, when
// DATABASE_URL is set, PostgreSQL. Reported per engine: load time and rate, database bytes per event,
// the median of `runs` (≥ 5) warm runs of each read over the last 30 days and the last day (ranges
// end mid-hour, so rollups and raw edges both take part) — the dashboard's breakdown and time series
// included — the first page of usage.query filtered by a busy agent, by a rare one (one event a day)
// and by one with no events, the ingest rate of `fresh` new events afterwards and, on PostgreSQL, of two replica
// processes inserting at once. Store-level figures: routes add JSON shaping on top. On PostgreSQL
// the loaded tables are vacuumed and analysed before the reads (see `settle`). `fresh` defaults to
// 500,000 (~4 s): a one-second phase after a load that wrote gigabytes of WAL measured whether a
// checkpoint fell inside it as much as the store (docs/benchmarks.md, "PostgreSQL ingest at 10M events").
//
//   npm run build && node bench/run.mjs --only server:scale --runs 1
//   node bench/cases/server-scale.mjs '{"n":200000}'        (a quick look; DATABASE_URL for PostgreSQL)
//   node bench/cases/server-scale.mjs '{"postgres":false}'  (SQLite only, even with DATABASE_URL set)
//   node bench/cases/server-scale.mjs '{"sqlite":false,"keep":"bl_keep"}'  (keeps the loaded PostgreSQL schema)
//   node bench/cases/server-scale.mjs '{"sqlite":false}'    (PostgreSQL only)
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { caseArgs, emit } from '../lib/case.mjs';

const SERVER = fileURLToPath(new URL('../../dist/server/index.js', import.meta.url));
const BATCH = 1000;
const DAY = 86_400_000;
const HOUR = 3_600_000;


/** The workload's i-th event (deterministic), timestamps spread evenly over [startMs, startMs + span). */
function makeEvent(i, { n, startMs, spanMs, agents, workflows, models, prefix }) {
  const workflow = (i * 7919) % workflows;
  const agent = workflow % agents;
  const model = `model-${(i * 31) % models}`;
  const output = i % 2 === 1;
  const agentId = `agent-${agent}`;
  const workflowId = `workflow-${workflow}`;
  return {
    id: `evt_${prefix}${i.toString(36)}`,
    idempotencyKey: `${prefix}-${i}`,
    eventType: 'token_usage',
    metricName: output ? 'llm_tokens_output' : 'llm_tokens_input',
    quantity: 50 + ((i * 13) % 2000),
    subscriptionId: `sub_${workflow % 25}`,
    timestampMs: startMs + Math.floor((i / n) * spanMs),
    receivedAtMs: startMs + Math.floor((i / n) * spanMs),
    metadataJson: `{"model":"${model}","provider":"openai","agent_id":"${agentId}","workflow_id":"${workflowId}"}`,
    agentId,
    workflowId,
    tokenKind: output ? 'output' : 'input',
    costNanoUsd: 1000 + ((i * 104729) % 5_000_000),
    priced: true,
    priceSource: 'bench',
    model,
    provider: 'openai',
  };
}

async function insertRange(store, tenant, from, to, shape) {
  for (let start = from; start < to; start += BATCH) {
    const batch = [];
    for (let i = start; i < Math.min(to, start + BATCH); i++) batch.push(makeEvent(i, shape));
    const result = await store.insertUsageEvents(tenant, batch);
    if (!result.ok || result.recordedCount !== batch.length) throw new Error(`batch at ${start}: ${JSON.stringify(result).slice(0, 200)}`);
  }
}

/** Child mode: one replica inserting its share of new events; reports its own elapsed time. */
async function replica({ url, tenant, from, to, shape }) {
  const { createStore } = await import(SERVER);
  const store = await createStore({ databaseUrl: url, poolSize: 2 });
  process.send({ ready: true });
  await new Promise((resolve) => process.once('message', resolve));
  const t0 = process.hrtime.bigint();
  await insertRange(store, tenant, from, to, shape);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await store.close();
  process.send({ seconds });
}

function startReplica(args) {
  const child = fork(fileURLToPath(import.meta.url), ['--replica', JSON.stringify(args)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`replica exited (${code})`)));
  });
  const done = new Promise((resolve) => child.on('message', (m) => m.seconds !== undefined && resolve(m.seconds)));
  return { ready, go: () => child.send('go'), done };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function timeQuery(fn, runs) {
  await fn(); // warm: statement preparation, page cache
  const times = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(times);
}

async function measure(engine, args) {
  const { createStore } = await import(SERVER);
  const { n, days, runs, fresh } = args;
  // Load ends mid-hour at "now", so "last 30 days" and "last day" have ragged edges like a dashboard's.
  const endMs = Math.floor(Date.now() / HOUR) * HOUR - 17 * 60_000;
  const shape = { n, startMs: endMs - days * DAY, spanMs: days * DAY, agents: args.agents, workflows: args.workflows, models: args.models, prefix: 'l' };
  const store = await createStore(engine.options);
  const tenant = (await store.ensureTenant('scale')).id;

  const t0 = process.hrtime.bigint();
  await insertRange(store, tenant, 0, n, shape);
  const loadSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const bytes = await engine.size();
  // PostgreSQL: autovacuum starts on the freshly loaded tables within a minute and then competes for
  // the 2 cores with the reads measured below (PostgreSQL figures varied by up to 1.8x between runs).
  // A database that reached 10M events over weeks has been vacuumed and analysed long since.
  if (engine.settle !== undefined) await engine.settle();
  // A sparse agent for the event list: one event a day, at a different hour and minute each day.
  const rare = Array.from({ length: days }, (_, d) => ({ ...makeEvent(d, shape), id: `evt_rare${d}`, idempotencyKey: `rare-${d}`, agentId: 'agent-rare', timestampMs: endMs - d * DAY - ((d * 7) % 24) * HOUR - ((d * 13) % 60) * 60_000 - 1000 }));
  await store.insertUsageEvents(tenant, rare);

  const queries = {};
  for (const [label, span] of [['30d', 30 * DAY], ['1d', DAY]]) {
    const f = { startMs: endMs + 5 * 60_000 - span, endMs: endMs + 5 * 60_000 };
    queries[`byAgent ${label}`] = await timeQuery(() => store.costBreakdown(tenant, 'agent_id', f), runs);
    queries[`byWorkflow ${label}`] = await timeQuery(() => store.costBreakdown(tenant, 'workflow_id', f), runs);
    queries[`listAgents ${label}`] = await timeQuery(() => store.attributionValues(tenant, 'agent_id', f), runs);
    queries[`listWorkflows ${label}`] = await timeQuery(() => store.attributionValues(tenant, 'workflow_id', f), runs);
    queries[`summary ${label}`] = await timeQuery(() => store.summarizeUsage(tenant, f), runs);
    queries[`aggregation DAY ${label}`] = await timeQuery(() => store.aggregateUsage(tenant, f, 'DAY'), runs);
    queries[`aggregation HOUR ${label}`] = await timeQuery(() => store.aggregateUsage(tenant, f, 'HOUR'), runs);
    queries[`query agent page ${label}`] = await timeQuery(() => store.queryUsageEvents(tenant, { ...f, agentId: 'agent-7' }, 100, 0), runs);
    // Filters that match little: an agent with one event a day, one with none (a typo, a retired agent).
    queries[`query rare agent page ${label}`] = await timeQuery(() => store.queryUsageEvents(tenant, { ...f, agentId: 'agent-rare' }, 100, 0), runs);
    queries[`query absent agent page ${label}`] = await timeQuery(() => store.queryUsageEvents(tenant, { ...f, agentId: 'agent-none' }, 100, 0), runs);
    // The dashboard's reads (cost-report routes): a breakdown by a column and by a metadata field,
    // and cost per bucket, daily and hourly.
    queries[`breakdown agent ${label}`] = await timeQuery(() => store.dimensionCosts(tenant, 'agent_id', f), runs);
    queries[`breakdown provider ${label}`] = await timeQuery(() => store.dimensionCosts(tenant, 'provider', f), runs);
    queries[`timeseries model DAY ${label}`] = await timeQuery(() => store.costSeries(tenant, 'model', 'DAY', f), runs);
    queries[`timeseries agent HOUR ${label}`] = await timeQuery(() => store.costSeries(tenant, 'agent_id', 'HOUR', f), runs);
  }

  // New events after the load, timestamped in the last hour (as a live gateway sends them).
  const liveShape = { ...shape, n: fresh, startMs: endMs - HOUR, spanMs: HOUR, prefix: 'f' };
  const t1 = process.hrtime.bigint();
  await insertRange(store, tenant, 0, fresh, liveShape);
  const freshPerSec = fresh / (Number(process.hrtime.bigint() - t1) / 1e9);
  await store.close();

  const result = { engine: engine.name, n, loadSeconds, loadPerSec: n / loadSeconds, bytesPerEvent: bytes / n, queries, freshPerSec };
  if (engine.url !== undefined) {
    const perReplica = async (count, prefix) => {
      const share = Math.floor(fresh / count);
      const children = Array.from({ length: count }, (_, k) =>
        startReplica({ url: engine.url, tenant, from: k * share, to: (k + 1) * share, shape: { ...liveShape, prefix } }),
      );
      await Promise.all(children.map((c) => c.ready));
      const t = process.hrtime.bigint();
      children.forEach((c) => c.go());
      await Promise.all(children.map((c) => c.done));
      return (share * count) / (Number(process.hrtime.bigint() - t) / 1e9);
    };
    result.oneReplicaPerSec = await perReplica(1, 'r1');
    result.twoReplicasPerSec = await perReplica(2, 'r2');
  }
  return result;
}

async function main() {
  const args = { n: 10_000_000, days: 30, agents: 40, workflows: 120, models: 4, runs: 5, fresh: 500_000, ...caseArgs() };
  const dir = mkdtempSync(join(tmpdir(), 'bearlumen-scale-'));
  const results = [];
  try {
    const file = join(dir, 'scale.db');
    const sqliteSize = () => ['', '-wal'].reduce((s, suffix) => s + (existsSync(file + suffix) ? statSync(file + suffix).size : 0), 0);
    if (args.sqlite !== false) results.push(await measure({ name: 'SQLite', options: { dbPath: file }, size: async () => sqliteSize() }, args));
    rmSync(dir, { recursive: true, force: true });
    const url = args.postgres === false ? undefined : process.env.BEARLUMEN_TEST_DATABASE_URL || process.env.DATABASE_URL;
    if (url) {
      // `{"keep":"name"}` loads into schema `name` and keeps it, for bench/micro/pg-ingest-probe.mjs.
      const schema = typeof args.keep === 'string' ? args.keep : `bl_scale_${process.pid}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      const scoped = new URL(url);
      scoped.searchParams.set('options', `-c search_path=${schema}`);
      try {
        const size = async () => {
          const { rows } = await admin.query(
            `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint AS bytes FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
             WHERE s.nspname = $1 AND c.relkind = 'r'`,
            [schema],
          );
          return Number(rows[0].bytes);
        };
        const settle = async () => {
          await admin.query(`SET search_path = ${schema}`);
          await admin.query('VACUUM (ANALYZE) usage_events, usage_rollups, usage_dims');
          await admin.query('RESET search_path');
        };
        results.push(await measure({ name: 'PostgreSQL', options: { databaseUrl: scoped.toString(), poolSize: 4 }, url: scoped.toString(), size, settle }, args));
      } finally {
        if (typeof args.keep !== 'string') await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.end();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(results, args);
  emit({ ...args, results });
}

function printTable(results, args) {
  const fmt = (x, d = 1) => (x === undefined ? '—' : x.toLocaleString('en-US', { maximumFractionDigits: d }));
  const lines = [`Scale: ${fmt(args.n, 0)} events over ${args.days} days; query times are medians of ${args.runs} warm runs (ms)`, ''];
  lines.push(`| figure | ${results.map((r) => r.engine).join(' | ')} |`, `|---|${results.map(() => '---:|').join('')}`);
  const row = (label, pick, d) => lines.push(`| ${label} | ${results.map((r) => fmt(pick(r), d)).join(' | ')} |`);
  row('load, s', (r) => r.loadSeconds, 1);
  row('load, events/s', (r) => r.loadPerSec, 0);
  row('database bytes per event', (r) => r.bytesPerEvent, 0);
  for (const q of Object.keys(results[0]?.queries ?? {})) row(`${q}, ms`, (r) => r.queries[q], 1);
  row(`new events/s (${fmt(args.fresh, 0)}, after the load)`, (r) => r.freshPerSec, 0);
  row('new events/s, one replica process', (r) => r.oneReplicaPerSec, 0);
  row('new events/s, two replica processes', (r) => r.twoReplicasPerSec, 0);
  console.log(lines.join('\n'));
}

if (process.argv[2] === '--replica') await replica(JSON.parse(process.argv[3]));
else await main();
