/**
 * A rollup row takes its dimension values from its `usage_dims` set, and the store caches set ids.
 * If a set disappears behind the store's back (a restore, a hand edit), a batch that adds to it must
 * fail and store nothing — never store its events with their rollup rows silently dropped — and the
 * next attempt must create the set again and count every event.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createStore, type Store } from '@bearlumen/node-sdk/server';
import { createTestSchema } from '../../helpers/postgres-database';
import { HOUR, POSTGRES, T0, usageEvent } from './engines';

interface Opened {
  store: Store;
  /** Run one statement on a second connection, as an operator would. */
  sql(text: string, params: unknown[]): Promise<void>;
  dispose(): Promise<void>;
}

const ENGINES: { name: string; available: () => boolean; open(): Promise<Opened> }[] = [
  {
    name: 'sqlite',
    available: () => true,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'bearlumen-dims-'));
      const store = await createStore({ dbPath: join(dir, 'store.db') });
      const side = new Database(join(dir, 'store.db'));
      return {
        store,
        sql: async (text, params) => void side.prepare(text.replace(/\$\d+/g, '?')).run(...params),
        async dispose() {
          side.close();
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    available: POSTGRES.available,
    async open() {
      const schema = await createTestSchema('dims-guard');
      const store = await createStore({ databaseUrl: schema.url, poolSize: 4 });
      const side = new pg.Client({ connectionString: schema.url });
      await side.connect();
      return {
        store,
        sql: async (text, params) => void (await side.query(text, params)),
        async dispose() {
          await side.end();
          await store.close();
          await schema.drop();
        },
      };
    },
  },
];

for (const engine of ENGINES) {
  describe.skipIf(!engine.available())(`store [${engine.name}]: a dimension set deleted behind the store's back`, () => {
    it('fails the batch that adds to it, stores nothing of it, and the retry counts every event', async () => {
      const { store, sql, dispose } = await engine.open();
      try {
        const tenantId = (await store.ensureTenant('dims-guard')).id;
        const event = (i: number) => usageEvent({ agentId: 'a1', timestampMs: T0 + i * 1000, quantity: 10 + i, costNanoUsd: 1000 + i });
        const first = Array.from({ length: 5 }, (_, i) => event(i));
        await store.insertUsageEvents(tenantId, first);
        await sql('DELETE FROM usage_dims WHERE tenant_id = $1 AND agent_id = $2', [tenantId, 'a1']);

        const second = Array.from({ length: 5 }, (_, i) => event(10 + i));
        await expect(store.insertUsageEvents(tenantId, second)).rejects.toThrow(/missing from usage_dims/);
        const range = { startMs: T0, endMs: T0 + HOUR };
        expect((await store.queryUsageEvents(tenantId, range, 100, 0)).total).toBe(5);

        expect(await store.insertUsageEvents(tenantId, second)).toMatchObject({ ok: true, recordedCount: 5 });
        const all = [...first, ...second];
        // The summary reads the rollups: every event of both batches, exactly once.
        expect(await store.summarizeUsage(tenantId, { startMs: T0 - HOUR, endMs: T0 + 2 * HOUR })).toMatchObject({
          totalEvents: 10,
          costNanoUsd: all.reduce((sum, e) => sum + e.costNanoUsd, 0),
        });
        expect((await store.queryUsageEvents(tenantId, range, 100, 0)).total).toBe(10);
      } finally {
        await dispose();
      }
    });
  });
}
