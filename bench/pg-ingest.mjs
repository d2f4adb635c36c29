// Ingest throughput of the two store engines side by side, same machine, same run, same events:
//   1. store:  Store.insertUsageEvents directly, batches of 1000 (the engine's own cost, no HTTP);
//   2. server: `POST /v1/usage/events/batch` against server processes (built dist/), batches of 1000,
//      `concurrency` in flight — SQLite with one process, PostgreSQL with 1 and `replicas` processes
//      sharing one database (round-robin). Each phase posts N new events, then replays the same
//      batches (duplicates). Every answer is checked (all recorded, then all skipped) and the stored
//      count is verified, so a fast wrong answer cannot pass as a figure.
//
//   npm run build && eval "$(bash scripts/pg-start.sh)"
//   node bench/pg-ingest.mjs '{"n":100000,"concurrency":4,"replicas":2}'
//   bash scripts/pg-stop.sh
//
// Without DATABASE_URL only SQLite is measured. Results: one markdown table on stdout and a
// `RESULT {json}` line (bench/run.mjs convention).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import pg from 'pg';
import { wireEvent } from './lib/sdks.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SERVER = ROOT + 'dist/server/index.js';
const BATCH = 1000;
const WARMUP = 10 * BATCH;

if (process.argv[2] === '--serve') await serve();
else await main(JSON.parse(process.argv[2] ?? '{}'));

/** Child mode: one server process on the store named by the environment; reports its URL over IPC. */
async function serve() {
  const { createServer, createStore, createApiKey } = await import(SERVER);
  const store = await createStore({ databaseUrl: process.env.BENCH_DATABASE_URL, dbPath: process.env.BENCH_DB_PATH });
  const apiKey = process.env.BENCH_API_KEY || (await createApiKey(store, 'bench'));
  const app = await createServer({ store, prices: '' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.on('message', (msg) => {
    if (msg?.cmd === 'close') void app.close().then(() => process.exit(0));
  });
  process.on('disconnect', () => void app.close().then(() => process.exit(0)));
  process.send?.({ url: `http://127.0.0.1:${app.server.address().port}`, apiKey });
}

function startServerProcess(env) {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start within 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`server exited early (${code})`)));
    child.once('message', (msg) => {
      clearTimeout(timer);
      resolve({
        ...msg,
        close: () => new Promise((done) => (child.exitCode !== null ? done() : (child.once('exit', done), child.send({ cmd: 'close' })))),
      });
    });
  });
}

/** Engines to measure; each gives a fresh empty database and a way to delete it. */
async function engines() {
  const list = [];
  const dir = mkdtempSync(join(tmpdir(), 'bearlumen-pg-ingest-'));
  let n = 0;
  list.push({ name: 'SQLite', fresh: async () => ({ env: { BENCH_DB_PATH: join(dir, `bench-${(n += 1)}.db`) }, drop: async () => {} }) });
  const url = process.env.BEARLUMEN_TEST_DATABASE_URL || process.env.DATABASE_URL;
  if (url) {
    list.push({
      name: 'PostgreSQL',
      fresh: async () => {
        const schema = `bl_bench_${process.pid}_${(n += 1)}`;
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        await admin.query(`CREATE SCHEMA ${schema}`);
        await admin.end();
        const scoped = new URL(url);
        scoped.searchParams.set('options', `-c search_path=${schema}`);
        return {
          env: { BENCH_DATABASE_URL: scoped.toString() },
          drop: async () => {
            const c = new pg.Client({ connectionString: url });
            await c.connect();
            await c.query(`DROP SCHEMA ${schema} CASCADE`);
            await c.end();
          },
        };
      },
    });
  } else {
    console.error('pg-ingest: DATABASE_URL is not set; measuring SQLite only (see README "Running the PostgreSQL tests locally")');
  }
  return { list, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Store level: the engine's own insert cost, one batch at a time (as one server request does). */
async function storeLevel(db, events, warmup) {
  const { createStore } = await import(SERVER);
  const store = await createStore({ databaseUrl: db.env.BENCH_DATABASE_URL, dbPath: db.env.BENCH_DB_PATH });
  const tenant = (await store.ensureTenant('bench')).id;
  const run = async (list) => {
    let recorded = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < list.length; i += BATCH) {
      const result = await store.insertUsageEvents(tenant, list.slice(i, i + BATCH));
      if (!result.ok) throw new Error('unexpected conflict');
      recorded += result.recordedCount;
    }
    return { perSec: list.length / (Number(process.hrtime.bigint() - t0) / 1e9), recorded };
  };
  // Warm-up (JIT, connections, plans) on other keys, not timed.
  await run(warmup);
  await run(warmup);
  const first = await run(events);
  const replay = await run(events);
  await store.close();
  return { newPerSec: first.perSec, dupPerSec: replay.perSec, ok: first.recorded === events.length && replay.recorded === 0 };
}

/** Server level: N events posted to `servers` processes round-robin, `concurrency` requests in flight. */
async function serverLevel(servers, bodies, n, concurrency, warmupBodies) {
  const pools = servers.map((s) => new Pool(s.url, { connections: concurrency, pipelining: 1 }));
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${servers[0].apiKey}` };
  const phase = async (list = bodies) => {
    let next = 0;
    let recorded = 0;
    let skipped = 0;
    const worker = async () => {
      while (next < list.length) {
        const i = next++;
        const res = await pools[i % pools.length].request({ method: 'POST', path: '/v1/usage/events/batch', headers, body: list[i] });
        const out = await res.body.json();
        if (res.statusCode !== 200) throw new Error(`server answered ${res.statusCode}: ${JSON.stringify(out).slice(0, 300)}`);
        recorded += out.recordedCount;
        skipped += out.skippedCount;
      }
    };
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { perSec: n / (Number(process.hrtime.bigint() - t0) / 1e9), recorded, skipped };
  };
  // Warm-up on other keys (every server process gets some), not timed; the stored count includes it.
  await phase(warmupBodies);
  await phase(warmupBodies);
  const first = await phase();
  const replay = await phase();
  const summary = await pools[0].request({ method: 'GET', path: '/v1/usage/summary?startDate=2000-01-01', headers });
  const stored = (await summary.body.json()).totalEvents;
  await Promise.all(pools.map((p) => p.close()));
  const ok = first.recorded === n && replay.skipped === n && stored === n + warmupBodies.length * BATCH;
  return { newPerSec: first.perSec, dupPerSec: replay.perSec, stored: stored - warmupBodies.length * BATCH, ok };
}

async function main({ n = 100_000, concurrency = 4, replicas = 2 }) {
  const ts = new Date().toISOString();
  const prefix = `${Date.now().toString(36)}-pgbench-`;
  const wire = Array.from({ length: n }, (_, i) => wireEvent(i, prefix, ts));
  const bodies = [];
  for (let i = 0; i < n; i += BATCH) bodies.push(JSON.stringify({ events: wire.slice(i, i + BATCH) }));
  const warmWire = Array.from({ length: WARMUP }, (_, i) => wireEvent(i, `${prefix}warm-`, ts));
  const warmupBodies = [];
  for (let i = 0; i < WARMUP; i += BATCH) warmupBodies.push(JSON.stringify({ events: warmWire.slice(i, i + BATCH) }));
  // Store-level events carry what the route would have computed (ids, price, denormalised columns).
  const toStored = (e, i) => ({
    id: `evt_bench${i.toString(36).padStart(8, '0')}`,
    idempotencyKey: e.idempotencyKey,
    eventType: e.eventType,
    metricName: e.metricName,
    quantity: e.quantity,
    subscriptionId: null,
    timestampMs: Date.parse(ts),
    receivedAtMs: Date.now(),
    metadataJson: JSON.stringify(e.metadata),
    agentId: e.metadata.agent_id,
    workflowId: e.metadata.workflow_id,
    tokenKind: 'input',
    costNanoUsd: 1234 + i,
    priced: true,
    priceSource: 'bench',
    // As ingest keys the rollups (the store would otherwise parse them out of metadataJson per event).
    model: e.metadata.model,
    provider: e.metadata.provider.trim().toLowerCase(),
  });
  const stored = wire.map(toStored);
  const warmStored = warmWire.map((e, i) => ({ ...toStored(e, i), id: `evt_warm${i}` }));

  const { list, cleanup } = await engines();
  const rows = [];
  try {
    for (const engine of list) {
      const db = await engine.fresh();
      rows.push({ engine: engine.name, level: 'store (insertUsageEvents)', processes: 0, ...(await storeLevel(db, stored, warmStored)) });
      await db.drop();
      const counts = engine.name === 'PostgreSQL' && replicas > 1 ? [1, replicas] : [1];
      for (const count of counts) {
        const fresh = await engine.fresh();
        const first = await startServerProcess(fresh.env);
        const others = await Promise.all(Array.from({ length: count - 1 }, () => startServerProcess({ ...fresh.env, BENCH_API_KEY: first.apiKey })));
        const servers = [first, ...others];
        try {
          rows.push({ engine: engine.name, level: `server (HTTP, c=${concurrency})`, processes: count, ...(await serverLevel(servers, bodies, n, concurrency, warmupBodies)) });
        } finally {
          await Promise.all(servers.map((s) => s.close()));
          await fresh.drop();
        }
      }
    }
  } finally {
    cleanup();
  }

  const fmt = (x) => Math.round(x).toLocaleString('en-US');
  console.log(`\nIngest, ${n.toLocaleString('en-US')} events in batches of ${BATCH} (new, then the same batches replayed)\n`);
  console.log('| engine | level | server processes | new events/s | duplicate events/s | verified |');
  console.log('|---|---|---:|---:|---:|---|');
  for (const r of rows) console.log(`| ${r.engine} | ${r.level} | ${r.processes || '—'} | ${fmt(r.newPerSec)} | ${fmt(r.dupPerSec)} | ${r.ok ? 'yes' : 'NO'} |`);
  process.stdout.write('RESULT ' + JSON.stringify({ n, concurrency, replicas, rows }) + '\n');
  if (rows.some((r) => !r.ok)) process.exitCode = 1;
}
