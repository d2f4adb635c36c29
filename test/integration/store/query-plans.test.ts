/**
 * usage.query with an equality filter reads its first page from that column's index, in index
 * order (no sort of the matching events), on both engines: the first page costs the same at any
 * table size. Checked on the engines' own plans (EXPLAIN) of the statement the store runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createStore, type Store, type UsageFilter } from '@bearlumen/node-sdk/server';
import { POSTGRES_DIALECT, SQLITE_DIALECT } from '../../../src/server/store/dialect';
import { usageReads } from '../../../src/server/store/usage-sql';
import { HOUR, POSTGRES, T0, usageEvent } from './engines';

const FILTERS: [index: string, filter: Partial<UsageFilter>][] = [
  ['usage_events_subscription', { subscriptionId: 'sub_7' }],
  ['usage_events_agent', { agentId: 'agent-7' }],
  ['usage_events_workflow', { workflowId: 'wf-7' }],
  ['usage_events_metric', { metricName: 'metric-3' }],
  ['usage_events_type', { eventType: 'type-3' }],
];

/** 24,000 events over 30 days: 40 agents, 120 workflows, 50 subscriptions, 10 metrics and event types. */
async function load(store: Store, tenant: string): Promise<void> {
  for (let b = 0; b < 24; b++) {
    const batch = Array.from({ length: 1000 }, (_, i) => {
      const n = b * 1000 + i;
      return usageEvent({
        timestampMs: T0 + Math.floor((n / 24_000) * 30 * 24 * HOUR),
        subscriptionId: `sub_${n % 50}`,
        agentId: `agent-${n % 40}`,
        workflowId: `wf-${n % 120}`,
        metricName: `metric-${n % 10}`,
        eventType: `type-${n % 10}`,
      });
    });
    expect(await store.insertUsageEvents(tenant, batch)).toMatchObject({ ok: true, recordedCount: 1000 });
  }
}

const range = (f: Partial<UsageFilter>): UsageFilter => ({ startMs: T0, endMs: T0 + 31 * 24 * HOUR, ...f });

describe('store [sqlite]: usage.query plans', () => {
  it('each filter reads its index in order (no sort, no scan of the whole range)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bl-plans-'));
    const path = join(dir, 'plans.db');
    const store = await createStore({ dbPath: path });
    try {
      const tenant = (await store.ensureTenant('plans')).id;
      await load(store, tenant);
      const db = new Database(path, { readonly: true });
      try {
        for (const [index, filter] of FILTERS) {
          const page = usageReads(SQLITE_DIALECT).page(tenant, range(filter), 100, 0);
          const plan = (db.prepare(`EXPLAIN QUERY PLAN ${page.sql}`).all(...page.params) as { detail: string }[]).map((r) => r.detail).join(' | ');
          expect(plan, `${JSON.stringify(filter)}: ${plan}`).toContain(`USING INDEX ${index}`);
          expect(plan, `${JSON.stringify(filter)}: ${plan}`).not.toContain('TEMP B-TREE');
          // And the page itself is the newest matching events.
          const got = await store.queryUsageEvents(tenant, range(filter), 5, 0);
          expect(got.events).toHaveLength(5);
          expect(got.total).toBe(24_000 / (index.endsWith('subscription') ? 50 : index.endsWith('agent') ? 40 : index.endsWith('workflow') ? 120 : 10));
        }
      } finally {
        db.close();
      }
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe.skipIf(!POSTGRES.available())('store [postgres]: usage.query plans', () => {
  it('each filter reads its index in order (no sort, no sequential scan)', async () => {
    const opened = await POSTGRES.open('query-plans');
    const admin = new pg.Client({ connectionString: opened.url as string });
    await admin.connect();
    try {
      const tenant = (await opened.store.ensureTenant('plans')).id;
      await load(opened.store, tenant);
      await admin.query('ANALYZE usage_events');
      for (const [index, filter] of FILTERS) {
        const page = usageReads(POSTGRES_DIALECT).page(tenant, range(filter), 100, 0);
        const { rows } = await admin.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${page.sql}`, page.params);
        const plan = rows.map((r) => r['QUERY PLAN']).join(' | ');
        expect(plan, JSON.stringify(filter)).toContain(`using ${index}`);
        expect(plan, JSON.stringify(filter)).not.toMatch(/Seq Scan|Sort/);
      }
    } finally {
      await admin.end();
      await opened.dispose();
    }
  }, 60_000);
});
