/**
 * PostgreSQL only: races between writers on one database.
 * - Two writers inserting overlapping keys in opposite orders can deadlock on the unique index. The
 *   server's transaction is retried, and the retry resolves the keys against what the other writer
 *   committed (duplicates, not errors, not double rows).
 * - New events go in with COPY, which has no ON CONFLICT: a key that another writer commits during
 *   the COPY fails it. A tenant whose batches have been all new COPYs without reading its keys first;
 *   the batch then goes through the read-first path. After a batch that held a stored key, the
 *   tenant's keys are read first; the batch then goes through the insert path.
 * Each race runs in both modes.
 * - A COPY that fails on a stored key rolls back on its connection, which stays in the pool.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type NewUsageEvent } from '@bearlumen/node-sdk/server';
import { createTestSchema } from '../../helpers/postgres-database';
import { POSTGRES, usageEvent, type OpenedStore } from './engines';

async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting until ${what}`);
}

/** Put the tenant in read-first mode: a replayed batch shows it holds stored keys. Returns the ids it stored. */
async function readFirst(store: OpenedStore['store'], tenantId: string): Promise<string[]> {
  const seen = usageEvent();
  await store.insertUsageEvents(tenantId, [seen]);
  expect(await store.insertUsageEvents(tenantId, [seen])).toMatchObject({ ok: true, recordedCount: 0 });
  return [seen.id];
}

/** Another writer's row for `e` under `id`, inserted by hand (so it adds nothing to the rollups). */
function insertByHand(client: pg.Client, tenantId: string, e: NewUsageEvent, id: string): Promise<unknown> {
  return client.query(
    `INSERT INTO usage_events (id, tenant_id, idempotency_key, event_type, metric_name, quantity, subscription_id, ts, received_at,
       metadata, agent_id, workflow_id, token_kind, cost_nano, priced, price_source)
     VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8, '{}', NULL, NULL, $9, $10, true, 'test')`,
    [id, tenantId, e.idempotencyKey, e.eventType, e.metricName, e.quantity, e.timestampMs, e.receivedAtMs, e.tokenKind, e.costNanoUsd],
  );
}

/**
 * A store on its own schema whose connections carry their own application_name, so that its
 * backends can be told apart in pg_stat_activity, and a second connection to the same schema.
 */
async function namedStore(label: string, poolSize: number) {
  const schema = await createTestSchema(label);
  const url = new URL(schema.url);
  const appName = `bl_${label.replace(/-/g, '_')}_${process.pid}_${Date.now()}`;
  url.searchParams.set('application_name', appName);
  const store = await createStore({ databaseUrl: url.toString(), poolSize });
  const other = new pg.Client({ connectionString: schema.url });
  await other.connect();
  return {
    store,
    other,
    appName,
    async dispose() {
      await other.end();
      await store.close();
      await schema.drop();
    },
  };
}

const MODES = [
  { mode: 'all-new batches', prepare: async (): Promise<string[]> => [] },
  { mode: 'read-first batches', prepare: readFirst },
] as const;

describe.skipIf(!POSTGRES.available())('store [postgres]: races between writers', () => {
  let opened: OpenedStore | undefined;
  beforeAll(async () => {
    opened = await POSTGRES.open('deadlock');
  });
  afterAll(async () => {
    await opened?.dispose();
  });

  it.each(MODES)('$mode: a deadlocked batch is retried and reports the other writer’s events as duplicates', async ({ mode, prepare }) => {
    if (opened?.url === undefined) throw new Error('postgres store not opened');
    const { store, url } = opened;
    const tenantId = (await store.ensureTenant(`deadlock ${mode}`)).id;
    await prepare(store, tenantId);
    const [a, b] = [usageEvent(), usageEvent()];
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      const insert = (e: typeof a, id: string) => insertByHand(other, tenantId, e, id);
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

  it.each(MODES)('$mode: a key another writer commits during the COPY is a duplicate; the rest is stored once and counted once', async ({ mode, prepare }) => {
    if (opened?.url === undefined) throw new Error('postgres store not opened');
    const { store, url } = opened;
    const tenantId = (await store.ensureTenant(`copy-race ${mode}`)).id;
    const before = await prepare(store, tenantId);
    const [a, b, c] = [usageEvent(), usageEvent(), usageEvent()];
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      // The other writer holds b, uncommitted: the store's read does not see it, its COPY waits for it.
      await other.query('BEGIN');
      await insertByHand(other, tenantId, b, 'evt_other_b');
      const storeCall = store.insertUsageEvents(tenantId, [a, b, c]);
      await waitUntil(async () => {
        const { rows } = await other.query<{ n: string }>(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'bearlumen' AND wait_event_type = 'Lock'",
        );
        return Number(rows[0]?.n) > 0;
      }, 'the store waits for the other writer');
      await other.query('COMMIT');
      expect(await storeCall).toEqual({
        ok: true,
        recordedCount: 2,
        results: [
          { eventId: a.id, recorded: true },
          { eventId: 'evt_other_b', recorded: false },
          { eventId: c.id, recorded: true },
        ],
      });
      const events = await other.query<{ id: string }>('SELECT id FROM usage_events WHERE tenant_id = $1 ORDER BY id', [tenantId]);
      expect(events.rows.map((r) => r.id)).toEqual([...before, a.id, c.id, 'evt_other_b'].sort());
      // Only the store's own events add to its rollups (the other writer's row was inserted by hand).
      const counted = await other.query<{ n: string }>('SELECT sum(event_count) AS n FROM usage_rollups WHERE tenant_id = $1 AND grain = $2', [
        tenantId,
        3_600_000,
      ]);
      expect(Number(counted.rows[0]?.n)).toBe(before.length + 2);
    } finally {
      await other.end();
    }
  });

  it('a batch whose COPY fails on a stored key rolls back on its own connection, which the pool keeps', async () => {
    const { store, other: admin, appName, dispose } = await namedStore('copy-rollback', 4);
    const backends = async () =>
      (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid', [appName])).rows.map((r) => r.pid);
    try {
      await store.insertUsageEvents((await store.ensureTenant('copy-rollback warm-up')).id, [usageEvent()]);
      const before = await backends();
      expect(before.length).toBeGreaterThan(0);
      for (let round = 0; round < 3; round++) {
        // A new tenant's batches are taken as all new, so its first replay is COPYed and fails on its first key.
        const tenantId = (await store.ensureTenant(`copy-rollback ${round}`)).id;
        const batch = Array.from({ length: 50 }, () => usageEvent());
        expect(await store.insertUsageEvents(tenantId, batch)).toMatchObject({ ok: true, recordedCount: 50 });
        expect(await store.insertUsageEvents(tenantId, batch)).toMatchObject({ ok: true, recordedCount: 0 });
        expect((await admin.query<{ n: string }>('SELECT count(*) AS n FROM usage_events WHERE tenant_id = $1', [tenantId])).rows[0]?.n).toBe('50');
      }
      expect(await backends()).toEqual(before);
    } finally {
      await dispose();
    }
  });

  it('a COPY that fails while its rows wait behind a full socket neither crashes the process nor leaks rows into the next batch', async () => {
    // One connection: the next batch runs on the connection whose COPY failed.
    const { store, other, appName, dispose } = await namedStore('copy-backpressure', 1);
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const tenantId = (await store.ensureTenant('backpressure')).id;
      // 1000 events with metadata at the API's limit (10 KB): ~10 MB of COPY rows.
      const metadataJson = JSON.stringify({ note: 'x'.repeat(10_200) });
      const batch = Array.from({ length: 1000 }, () => usageEvent({ metadataJson }));
      const first = batch[0] as (typeof batch)[number];
      // The other writer holds the batch's first key: the store's COPY waits at its first row, the
      // database stops reading, and the rest of the rows back up in this process.
      await other.query('BEGIN');
      await insertByHand(other, tenantId, first, 'evt_other_first');
      const storeCall = store.insertUsageEvents(tenantId, batch);
      await waitUntil(async () => {
        const { rows } = await other.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [appName]);
        return Number(rows[0]?.n) > 0;
      }, 'the store waits for the other writer');
      await new Promise((resolve) => setTimeout(resolve, 200));
      await other.query('COMMIT');
      const result = await storeCall;
      expect(result).toMatchObject({ ok: true, recordedCount: 999 });
      expect(result.ok && result.results[0]).toEqual({ eventId: 'evt_other_first', recorded: false });

      const next = Array.from({ length: 1000 }, () => usageEvent());
      expect(await store.insertUsageEvents(tenantId, next)).toMatchObject({ ok: true, recordedCount: 1000 });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const stored = await other.query<{ n: string }>('SELECT count(*) AS n FROM usage_events WHERE tenant_id = $1', [tenantId]);
      expect(Number(stored.rows[0]?.n)).toBe(2000);
      const counted = await other.query<{ n: string }>('SELECT sum(event_count) AS n FROM usage_rollups WHERE tenant_id = $1 AND grain = $2', [tenantId, 3_600_000]);
      expect(Number(counted.rows[0]?.n)).toBe(1999);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      await dispose();
    }
  });
});
