/**
 * PostgreSQL only: ingest must reach events through the unique index even on a fresh table that
 * autovacuum has not analysed yet. Without statistics the planner takes `key = ANY(1000 keys)` for
 * a match of most rows and scans the whole table on every batch; the check is the table's
 * sequential-scan counter, not a timing.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createStore } from '@bearlumen/node-sdk/server';
import { POSTGRES, usageEvent } from './engines';

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
      // Same for the ingest backends: wait (bounded) until their index scans show up.
      let after = await scans();
      for (let i = 0; i < 50 && after.idx - before.idx < 10; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        after = await scans();
      }
      expect(after.idx - before.idx).toBeGreaterThanOrEqual(10);
      expect(after.seq - before.seq).toBe(0);
    } finally {
      await admin.end();
      await opened.dispose();
    }
  });
});
