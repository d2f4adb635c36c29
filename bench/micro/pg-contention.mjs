// PostgreSQL under write contention: two stores (own pools, like two replicas) insert the same batches
// at once, one in order and the other with batches and rows reversed (keys met in opposite orders:
// deadlocks), while the first store also replays the first half. Reports deadlocks and rollbacks
// (pg_stat_database), calls that failed even after the store's own retries (retried here, printed as
// "retry"), and checks every key is stored once and the hour rollups count every event once.
//
//   npm run build && eval "$(bash scripts/pg-start.sh)"
//   node bench/micro/pg-contention.mjs [metadataBytes=8000] [batches=20]
//
// Figures: docs/benchmarks.md, "PostgreSQL ingest at 10M events".
import pg from 'pg';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
const SERVER = fileURLToPath(new URL('../../dist/server/index.js', import.meta.url));
let uncaught = 0;
process.on('uncaughtException', (e) => { uncaught++; console.log('UNCAUGHT', e.message); });
process.on('unhandledRejection', (e) => { uncaught++; console.log('UNHANDLED', e?.message); });
const admin = new pg.Client({ connectionString: process.env.DATABASE_URL }); await admin.connect();
await admin.query('DROP SCHEMA IF EXISTS bl_contention CASCADE; CREATE SCHEMA bl_contention');
const url = new URL(process.env.DATABASE_URL); url.searchParams.set('options', '-c search_path=bl_contention');
const { createStore } = await import(SERVER);
const a = await createStore({ databaseUrl: url.toString(), poolSize: 3 });
const b = await createStore({ databaseUrl: url.toString(), poolSize: 3 });
const tenant = (await a.ensureTenant('contention')).id;
const meta = JSON.stringify({ note: 'y'.repeat(Number(process.argv[2] ?? 8000)) });
const T = Date.now();
const ev = (i) => ({ id: `evt_${i}`, idempotencyKey: `k-${i}`, eventType: 'e', metricName: 'm', quantity: 1 + (i % 7), subscriptionId: null, timestampMs: T - (i % 3600) * 1000, receivedAtMs: T,
  metadataJson: meta, agentId: `a${i % 13}`, workflowId: `w${i % 5}`, tokenKind: null, costNanoUsd: 1, priced: true, priceSource: null, model: null, provider: null });
const N = Number(process.argv[3] ?? 20);
const batches = Array.from({ length: N }, (_, k) => Array.from({ length: 1000 }, (_, j) => ev(k * 1000 + j)));
const run = async (store, list) => { let rec = 0; for (const bt of list) { for (let t = 0; ; t++) { try { const r = await store.insertUsageEvents(tenant, bt); rec += r.recordedCount; break; } catch (e) { if (t > 5) throw e; console.log('retry', e.message.slice(0, 80)); } } } return rec; };
const dl = async () => (await admin.query('SELECT deadlocks::int AS d, xact_rollback::int AS r FROM pg_stat_database WHERE datname = current_database()')).rows[0];
const d0 = await dl();
const t0 = Date.now();
const [ra, rb, rc] = await Promise.all([run(a, batches), run(b, [...batches].reverse().map((x) => [...x].reverse())), run(a, batches.slice(0, N / 2))]);
const { rows } = await admin.query('SELECT (SELECT count(*)::int FROM bl_contention.usage_events) AS events, (SELECT count(DISTINCT idempotency_key)::int FROM bl_contention.usage_events) AS keys, (SELECT sum(event_count)::int FROM bl_contention.usage_rollups WHERE grain = 3600000) AS rolled');
const d1 = await dl();
console.log({ deadlocks: d1.d - d0.d, rollbacks: d1.r - d0.r, recorded: ra + rb + rc, ...rows[0], expected: N * 1000, uncaught, seconds: (Date.now() - t0) / 1000 });
await a.close(); await b.close(); await admin.query('DROP SCHEMA bl_contention CASCADE'); await admin.end();
