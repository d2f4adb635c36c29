/**
 * PostgreSQL only: two writers inserting overlapping keys in opposite orders can deadlock on the
 * unique index. The server's transaction is retried, and the retry resolves the keys against what
 * the other writer committed (duplicates, not errors, not double rows).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES, usageEvent, type OpenedStore } from './engines';

async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe.skipIf(!POSTGRES.available())('store [postgres]: deadlock between replicas', () => {
  let opened: OpenedStore | undefined;
  beforeAll(async () => {
    opened = await POSTGRES.open('deadlock');
  });
  afterAll(async () => {
    await opened?.dispose();
  });

  it('a deadlocked batch is retried and reports the other writer’s events as duplicates', async () => {
    if (opened?.url === undefined) throw new Error('postgres store not opened');
    const { store, url } = opened;
    const tenantId = (await store.ensureTenant('deadlock')).id;
    const [a, b] = [usageEvent(), usageEvent()];
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      const insert = (e: typeof a, id: string) =>
        other.query(
          `INSERT INTO usage_events (id, tenant_id, idempotency_key, event_type, metric_name, quantity, subscription_id, ts, received_at,
             metadata, agent_id, workflow_id, token_kind, cost_nano, priced, price_source)
           VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8, '{}', NULL, NULL, $9, $10, true, 'test')`,
          [id, tenantId, e.idempotencyKey, e.eventType, e.metricName, e.quantity, e.timestampMs, e.receivedAtMs, e.tokenKind, e.costNanoUsd],
        );
      // The other writer holds b; the store inserts a, then waits for b.
      await other.query('BEGIN');
      await insert(b, 'evt_other_b');
      const storeCall = store.insertUsageEvents(tenantId, [a, b]);
      await waitUntil(async () => {
        const { rows } = await other.query<{ n: string }>(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'bearlumen' AND wait_event_type = 'Lock'",
        );
        return Number(rows[0]?.n) > 0;
      }, 'the store waits for the other writer');
      // Now the other writer wants a: a cycle. The store waited first, so its deadlock check fires
      // first and its transaction is the victim; ours then gets a and commits.
      await insert(a, 'evt_other_a');
      await other.query('COMMIT');
      expect(await storeCall).toEqual({
        ok: true,
        recordedCount: 0,
        results: [
          { eventId: 'evt_other_a', recorded: false },
          { eventId: 'evt_other_b', recorded: false },
        ],
      });
    } finally {
      await other.end();
    }
  });
});
