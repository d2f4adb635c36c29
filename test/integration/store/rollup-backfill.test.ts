/**
 * Migration 3 builds the rollups of a database that already holds events: a store opened on a
 * version-1 database whose events were written before rollups existed must answer every aggregate
 * read exactly as a store that ingested the same events with rollups from the start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createStore, type NewUsageEvent, type Store, type UsageFilter } from '@bearlumen/node-sdk/server';
import { POSTGRES_MIGRATIONS } from '../../../src/server/store/migrations/postgres';
import { SQLITE_MIGRATIONS } from '../../../src/server/store/migrations/sqlite';
import { HOUR, POSTGRES, SQLITE, T0, usageEvent } from './engines';

const DAY = 24 * HOUR;
const RANGES: UsageFilter[] = [
  { startMs: T0 - DAY, endMs: T0 + 3 * DAY },
  { startMs: T0 + 7 * 60_000, endMs: T0 + DAY + 5 * HOUR + 1 },
  { startMs: T0, endMs: T0 + 2 * DAY, agentId: 'a1' },
];

/** 3,000 events over two days; more than one backfill chunk is not needed to exercise the code, but several tenants are. */
function workload(): NewUsageEvent[] {
  return Array.from({ length: 3000 }, (_, i) =>
    usageEvent({
      timestampMs: T0 + Math.floor((i / 3000) * 2 * DAY) + (i % 7),
      metricName: i % 3 === 0 ? 'llm_tokens_output' : 'llm_tokens_input',
      tokenKind: i % 3 === 0 ? 'output' : 'input',
      quantity: 10 + (i % 500),
      agentId: `a${i % 4}`,
      workflowId: i % 5 === 0 ? null : `w${i % 9}`,
      costNanoUsd: 1000 * i,
      priced: i % 11 !== 0,
      metadataJson: `{"model":"m${i % 3}","agent_id":"a${i % 4}"}`,
    }),
  );
}

const COLUMNS = 'id, tenant_id, idempotency_key, event_type, metric_name, quantity, subscription_id, ts, received_at, metadata, agent_id, workflow_id, token_kind, cost_nano, priced, price_source';
const row = (tenantId: string, e: NewUsageEvent, bool: (b: boolean) => unknown): unknown[] => [
  e.id, tenantId, e.idempotencyKey, e.eventType, e.metricName, e.quantity, e.subscriptionId, e.timestampMs, e.receivedAtMs,
  e.metadataJson, e.agentId, e.workflowId, e.tokenKind, e.costNanoUsd, bool(e.priced), e.priceSource,
];

async function answers(store: Store, tenantId: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const f of RANGES) {
    out.push(await store.summarizeUsage(tenantId, f));
    out.push(await store.aggregateUsage(tenantId, f, 'HOUR'));
    out.push(await store.aggregateUsage(tenantId, f, 'DAY'));
    out.push((await store.costBreakdown(tenantId, 'workflow_id', f)).sort((a, b) => String(a.value).localeCompare(String(b.value))));
    out.push(await store.attributionValues(tenantId, 'agent_id', f));
  }
  return out;
}

/** The answers of a store that ingested the workload normally (rollups from the start). */
async function reference(events: NewUsageEvent[]): Promise<unknown[]> {
  const opened = await SQLITE.open('backfill-reference');
  try {
    const tenant = (await opened.store.ensureTenant('legacy')).id;
    await opened.store.insertUsageEvents(tenant, events);
    return await answers(opened.store, tenant);
  } finally {
    await opened.dispose();
  }
}

describe('store [sqlite]: migration 3 backfills the rollups', () => {
  it('a version-1 database with events answers like one that had rollups from the start', async () => {
    const events = workload();
    const dir = mkdtempSync(join(tmpdir(), 'bl-backfill-'));
    const path = join(dir, 'legacy.db');
    try {
      const db = new Database(path);
      db.exec((SQLITE_MIGRATIONS[0] as { sql: string }).sql);
      db.pragma('user_version = 1');
      db.prepare("INSERT INTO tenants (id, name, created_at) VALUES ('ten_legacy', 'legacy', '2026-01-01T00:00:00.000Z')").run();
      const insert = db.prepare(`INSERT INTO usage_events (${COLUMNS}) VALUES (${new Array(16).fill('?').join(',')})`);
      db.transaction(() => events.forEach((e) => insert.run(...row('ten_legacy', e, (b) => (b ? 1 : 0)))))();
      db.close();
      const store = await createStore({ dbPath: path });
      try {
        expect(await answers(store, 'ten_legacy')).toEqual(await reference(events));
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe.skipIf(!POSTGRES.available())('store [postgres]: migration 3 backfills the rollups', () => {
  it('a version-1 schema with events answers like a store that had rollups from the start', async () => {
    const events = workload();
    // Open (fully migrated) only to get a private schema, then rebuild it at version 1.
    const opened = await POSTGRES.open('backfill');
    await opened.store.close();
    const admin = new pg.Client({ connectionString: opened.url as string });
    await admin.connect();
    try {
      await admin.query('DROP TABLE usage_rollups, usage_dims, store_state, usage_events, request_keys, api_keys, subscriptions, end_users, tenants, bearlumen_migrations CASCADE');
      await admin.query('DROP AGGREGATE bearlumen_total(DOUBLE PRECISION); DROP FUNCTION bearlumen_kbn_step, bearlumen_kbn_final, bearlumen_stored_events');
      await admin.query((POSTGRES_MIGRATIONS[0] as { sql: string }).sql);
      await admin.query(`CREATE TABLE bearlumen_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
        INSERT INTO bearlumen_migrations (version, name) VALUES (1, 'initial')`);
      await admin.query("INSERT INTO tenants (id, name, created_at) VALUES ('ten_legacy', 'legacy', '2026-01-01T00:00:00.000Z')");
      for (const e of events) {
        await admin.query(`INSERT INTO usage_events (${COLUMNS}) VALUES (${Array.from({ length: 16 }, (_, i) => `$${i + 1}`).join(',')})`, row('ten_legacy', e, (b) => b));
      }
      const store = await createStore({ databaseUrl: opened.url as string, poolSize: 2 });
      try {
        expect(await answers(store, 'ten_legacy')).toEqual(await reference(events));
      } finally {
        await store.close();
      }
    } finally {
      await admin.end();
      await opened.dispose();
    }
  }, 120_000);
});
