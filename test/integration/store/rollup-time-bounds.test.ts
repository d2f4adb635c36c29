/**
 * Hour rollups keep the earliest and latest time of their events, so a filtered event list reads an
 * hour only between them (usage-page.ts). Rows written before the bounds existed hold null there
 * (migration 4 adds the columns); such a row must be read as a whole hour, and must stay unbounded
 * when later batches add to it: bounds taken from the new events alone would leave its older events
 * out of the page.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createStore, type NewUsageEvent, type Store, type UsageFilter } from '@bearlumen/node-sdk/server';
import { HOUR, POSTGRES, T0, usageEvent } from './engines';

const MINUTE = 60_000;
const RANGE: UsageFilter = { startMs: T0 + 40 * MINUTE, endMs: T0 + 96 * HOUR + 20 * MINUTE };

/** Rows of the hour rollups: bounds by bucket (null when unknown). */
type BoundsRow = { bucket: number; tmin: number | null; tmax: number | null };

interface Engine {
  name: string;
  available: boolean;
  open(): Promise<{ store: Store; sql(text: string, params: unknown[]): Promise<BoundsRow[]>; dispose(): Promise<void> }>;
}

const ENGINES: Engine[] = [
  {
    name: 'sqlite',
    available: true,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'bl-bounds-'));
      const path = join(dir, 'bounds.db');
      const store = await createStore({ dbPath: path });
      const db = new Database(path);
      return {
        store,
        sql: async (text, params) => {
          const statement = db.prepare(text.replace(/\$\d+/g, '?'));
          if (!statement.reader) statement.run(...params);
          return statement.reader ? (statement.all(...params) as BoundsRow[]) : [];
        },
        async dispose() {
          db.close();
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    available: POSTGRES.available(),
    async open() {
      const opened = await POSTGRES.open('bounds');
      const client = new pg.Client({ connectionString: opened.url as string });
      await client.connect();
      return {
        store: opened.store,
        sql: async (text, params) =>
          (await client.query<Record<keyof BoundsRow, string | null>>(text, params)).rows.map((r) => ({
            bucket: Number(r.bucket),
            tmin: r.tmin === null ? null : Number(r.tmin),
            tmax: r.tmax === null ? null : Number(r.tmax),
          })),
        async dispose() {
          await client.end();
          await opened.dispose();
        },
      };
    },
  },
];

for (const engine of ENGINES) {
  describe.skipIf(!engine.available)(`store [${engine.name}]: rollup time bounds`, () => {
    it('pages read unbounded (older) hours whole, later batches never bound them, and new hours get exact bounds', async () => {
      const opened = await engine.open();
      try {
        const { store, sql } = opened;
        const tenant = (await store.ensureTenant('bounds')).id;
        const events: NewUsageEvent[] = [];
        const rare: NewUsageEvent[] = [];
        const add = (list: NewUsageEvent[]): Promise<unknown> => {
          events.push(...list);
          return store.insertUsageEvents(tenant, list);
        };
        const busy = (from: number, to: number): NewUsageEvent[] => {
          const list: NewUsageEvent[] = [];
          for (let t = from; t < to; t += 4 * MINUTE) list.push(usageEvent({ timestampMs: t, agentId: 'busy' }));
          return list;
        };
        const rareAt = (times: number[]): NewUsageEvent[] => {
          const list = times.map((t) => usageEvent({ timestampMs: t, agentId: 'rare' }));
          rare.push(...list);
          return list;
        };
        // First the older part, as a database written before the bounds existed: then null them.
        await add([...busy(T0, T0 + 48 * HOUR), ...rareAt([T0 + 5 * HOUR + 50 * MINUTE, T0 + 30 * HOUR + 10 * MINUTE])]);
        await sql('UPDATE usage_rollups SET ts_min = NULL, ts_max = NULL WHERE tenant_id = $1', [tenant]);
        // Later batches add to those unbounded hours (earlier in them than their old matches) and fill new hours.
        await add([...busy(T0 + 48 * HOUR, T0 + 97 * HOUR), ...rareAt([T0 + 5 * HOUR + 5 * MINUTE, T0 + 30 * HOUR + 55 * MINUTE, T0 + 60 * HOUR + 1, T0 + 60 * HOUR + 2])]);
        await add(rareAt([T0 + 60 * HOUR + 30 * MINUTE, T0 + 90 * HOUR + 7 * MINUTE]));

        const rows = await sql(
          `SELECT bucket, ts_min AS tmin, ts_max AS tmax FROM usage_rollups WHERE tenant_id = $1 AND grain = $2 AND agent_id = 'rare' ORDER BY bucket`,
          [tenant, HOUR],
        );
        expect(rows).toEqual([
          { bucket: T0 + 5 * HOUR, tmin: null, tmax: null },
          { bucket: T0 + 30 * HOUR, tmin: null, tmax: null },
          { bucket: T0 + 60 * HOUR, tmin: T0 + 60 * HOUR + 1, tmax: T0 + 60 * HOUR + 30 * MINUTE },
          { bucket: T0 + 90 * HOUR, tmin: T0 + 90 * HOUR + 7 * MINUTE, tmax: T0 + 90 * HOUR + 7 * MINUTE },
        ]);

        const f = { ...RANGE, agentId: 'rare' };
        const want = rare
          .filter((e) => e.timestampMs >= f.startMs && e.timestampMs < f.endMs)
          .sort((a, b) => b.timestampMs - a.timestampMs || events.indexOf(b) - events.indexOf(a))
          .map((e) => e.id);
        expect(want.length).toBe(8);
        for (const limit of [1, 3, 100]) {
          for (let offset = 0; offset <= want.length; offset++) {
            const page = await store.queryUsageEvents(tenant, f, limit, offset);
            expect(page.events.map((e) => e.eventId), `limit ${limit} offset ${offset}`).toEqual(want.slice(offset, offset + limit));
            expect(page.total).toBe(want.length);
          }
        }
      } finally {
        await opened.dispose();
      }
    }, 60_000);
  });
}

describe('store: migration 4 adds the time bounds to rollups written without them', () => {
  it('[sqlite] a database at version 3 without the columns gets them, null on its rows, and keeps answering', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bl-bounds-migrate-'));
    const path = join(dir, 'old.db');
    try {
      const first = await createStore({ dbPath: path });
      const tenant = (await first.ensureTenant('old')).id;
      const old = [usageEvent({ timestampMs: T0 + 5 * HOUR + 1, agentId: 'rare' }), usageEvent({ timestampMs: T0 + 5 * HOUR + 2, agentId: 'busy' })];
      await first.insertUsageEvents(tenant, old);
      await first.close();
      // What an older migration 3 left: rollups without the columns, schema version 3.
      const db = new Database(path);
      db.exec('ALTER TABLE usage_rollups DROP COLUMN ts_min; ALTER TABLE usage_rollups DROP COLUMN ts_max');
      db.pragma('user_version = 3');
      db.close();
      const store = await createStore({ dbPath: path });
      try {
        const later = usageEvent({ timestampMs: T0 + 5 * HOUR + 3, agentId: 'rare' });
        await store.insertUsageEvents(tenant, [later]);
        const check = new Database(path, { readonly: true });
        const rows = check.prepare('SELECT grain, ts_min, ts_max FROM usage_rollups WHERE tenant_id = ? AND agent_id = ?').all(tenant, 'rare');
        check.close();
        expect(rows).toEqual([
          { grain: HOUR, ts_min: null, ts_max: null },
          { grain: 24 * HOUR, ts_min: null, ts_max: null },
        ]);
        const page = await store.queryUsageEvents(tenant, { startMs: T0, endMs: T0 + 24 * HOUR, agentId: 'rare' }, 10, 0);
        expect(page.events.map((e) => e.eventId)).toEqual([later.id, (old[0] as NewUsageEvent).id]);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!POSTGRES.available())('[postgres] a schema at version 3 without the columns gets them, null on its rows, and keeps answering', async () => {
    const opened = await POSTGRES.open('bounds-migrate');
    const admin = new pg.Client({ connectionString: opened.url as string });
    await admin.connect();
    try {
      const tenant = (await opened.store.ensureTenant('old')).id;
      const old = usageEvent({ timestampMs: T0 + 5 * HOUR + 1, agentId: 'rare' });
      await opened.store.insertUsageEvents(tenant, [old]);
      await opened.store.close();
      await admin.query('ALTER TABLE usage_rollups DROP COLUMN ts_min, DROP COLUMN ts_max; DELETE FROM bearlumen_migrations WHERE version >= 4');
      const store = await createStore({ databaseUrl: opened.url as string, poolSize: 2 });
      try {
        const later = usageEvent({ timestampMs: T0 + 5 * HOUR + 3, agentId: 'rare' });
        await store.insertUsageEvents(tenant, [later]);
        const { rows } = await admin.query('SELECT grain::int AS grain, ts_min, ts_max FROM usage_rollups WHERE tenant_id = $1 AND agent_id = $2 ORDER BY grain', [tenant, 'rare']);
        expect(rows).toEqual([
          { grain: HOUR, ts_min: null, ts_max: null },
          { grain: 24 * HOUR, ts_min: null, ts_max: null },
        ]);
        const page = await store.queryUsageEvents(tenant, { startMs: T0, endMs: T0 + 24 * HOUR, agentId: 'rare' }, 10, 0);
        expect(page.events.map((e) => e.eventId)).toEqual([later.id, old.id]);
      } finally {
        await store.close();
      }
    } finally {
      await admin.end();
      await opened.dispose();
    }
  });
});
