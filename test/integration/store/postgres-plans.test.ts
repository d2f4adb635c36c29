/**
 * PostgreSQL only, checked through the server's own counters (pg_stat_user_tables), not timings:
 * - ingest must reach events through the unique index even on a fresh table that autovacuum has not
 *   analysed yet. Without statistics the planner takes `key = ANY(1000 keys)` for a match of most
 *   rows and scans the whole table on every batch;
 * - updates of rollup rows must mostly stay on their page (HOT): otherwise every batch leaves dead
 *   row versions and new index entries behind, and reads scan the bloat.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createStore } from '@bearlumen/node-sdk/server';
import { POSTGRES_DIALECT } from '../../../src/server/store/dialect';
import { usageReads } from '../../../src/server/store/usage-sql';
import { HOUR, POSTGRES, T0, usageEvent } from './engines';

describe.skipIf(!POSTGRES.available())('store [postgres]: ingest plans', () => {
  it('inserting and replaying batches on an unanalysed table never scans usage_events sequentially', async () => {
    const opened = await POSTGRES.open('plans');
    const url = opened.url as string;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const scans = async () => {
      const { rows } = await admin.query<{ seq_scan: string; idx_scan: string }>(
        "SELECT seq_scan, idx_scan FROM pg_stat_user_tables WHERE relid = 'usage_events'::regclass",
      );
      return { seq: Number(rows[0]?.seq_scan), idx: Number(rows[0]?.idx_scan) };
    };
    try {
      // Closing a store ends its server backends, which flushes their statistics: the baseline
      // holds the migration's index builds (heap scans), the second reading only the ingest.
      await opened.store.close();
      // Exiting backends flush their counters just after the disconnect: read until two readings agree.
      let before = await scans();
      for (let i = 0, next = before; i < 20; i++, before = next) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        next = await scans();
        if (next.seq === before.seq && next.idx === before.idx) break;
      }
      const store = await createStore({ databaseUrl: url });
      try {
        const tenant = (await store.ensureTenant('plans')).id;
        for (let b = 0; b < 5; b++) {
          const batch = Array.from({ length: 1000 }, () => usageEvent());
          expect(await store.insertUsageEvents(tenant, batch)).toMatchObject({ ok: true, recordedCount: 1000 });
          expect(await store.insertUsageEvents(tenant, batch)).toMatchObject({ ok: true, recordedCount: 0 });
        }
      } finally {
        await store.close();
      }
      // Same for the ingest backends: wait (bounded) until their index scans show up. Every batch but
      // the tenant's first (taken as all new, no read of its keys) reads its keys through the index.
      let after = await scans();
      for (let i = 0; i < 50 && after.idx - before.idx < 9; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        after = await scans();
      }
      expect(after.idx - before.idx).toBeGreaterThanOrEqual(9);
      expect(after.seq - before.seq).toBe(0);
    } finally {
      await admin.end();
      await opened.dispose();
    }
  });

  it('rollup rows updated batch after batch stay on their page (HOT updates)', async () => {
    const opened = await POSTGRES.open('hot');
    const url = opened.url as string;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const updates = async () => {
      const { rows } = await admin.query<{ upd: string; hot: string }>(
        "SELECT n_tup_upd AS upd, n_tup_hot_upd AS hot FROM pg_stat_user_tables WHERE relid = 'usage_rollups'::regclass",
      );
      return { all: Number(rows[0]?.upd), hot: Number(rows[0]?.hot) };
    };
    try {
      const tenant = (await opened.store.ensureTenant('hot')).id;
      // 500 dimension sets in one hour: 1000 rollup rows (hour and day), many pages of them; each
      // later batch updates every one of them.
      const batch = () => Array.from({ length: 500 }, (_, i) => usageEvent({ agentId: `agent-${i}` }));
      for (let b = 0; b < 4; b++) expect(await opened.store.insertUsageEvents(tenant, batch())).toMatchObject({ ok: true, recordedCount: 500 });
      // Closing the store ends its backends, which flushes their counters; read until they show up.
      await opened.store.close();
      let seen = await updates();
      for (let i = 0; i < 50 && seen.all < 3 * 1000; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        seen = await updates();
      }
      expect(seen.all).toBe(3 * 1000);
      expect(seen.hot / seen.all).toBeGreaterThan(0.9);
    } finally {
      await admin.end();
      await opened.dispose();
    }
  });

  it("a filter's hours are counted from its dimension sets through the rollup index, also before any ANALYZE", async () => {
    const opened = await POSTGRES.open('dim-plan');
    const admin = new pg.Client({ connectionString: opened.url as string });
    await admin.connect();
    try {
      const tenant = (await opened.store.ensureTenant('dims')).id;
      // 200 dimension sets in each of 24 hours, and one rare event: without statistics the planner
      // once walked every rollup row of the range, testing each against every dimension set.
      for (let h = 0; h < 24; h++) {
        const batch = Array.from({ length: 200 }, (_, i) => usageEvent({ timestampMs: T0 + h * HOUR + i, agentId: `agent-${i}` }));
        expect(await opened.store.insertUsageEvents(tenant, batch)).toMatchObject({ ok: true, recordedCount: 200 });
      }
      await opened.store.insertUsageEvents(tenant, [usageEvent({ timestampMs: T0 + 5 * HOUR, agentId: 'rare' })]);
      const q = usageReads(POSTGRES_DIALECT).bucketCounts(tenant, { startMs: T0, endMs: T0 + 24 * HOUR, agentId: 'rare' }, HOUR, T0, T0 + 24 * HOUR, 24);
      const { rows } = await admin.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${q.sql}`, q.params);
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toContain('Index Scan using usage_rollups_dim on usage_rollups');
      expect(plan).not.toContain('usage_rollups_pkey');
      expect((await admin.query(q.sql, q.params)).rows).toMatchObject([{ bucket: String(T0 + 5 * HOUR), n: '1' }]);
    } finally {
      await admin.end();
      await opened.dispose();
    }
  });
});
