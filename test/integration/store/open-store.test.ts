import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStore } from '@bearlumen/node-sdk/server';
import { POSTGRES, T0, usageEvent } from './engines';
import { TEST_DATABASE_URL, createTestSchema } from '../../helpers/postgres-database';
import { createPool } from '../../../src/server/store/postgres-pool';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('createStore', () => {
  it('opens SQLite when the database URL is absent or blank', async () => {
    const sqlite = await createStore({ dbPath: ':memory:', databaseUrl: '  ' });
    expect(sqlite.kind).toBe('sqlite');
    await sqlite.close();
  });

  it('names the server but never its password when PostgreSQL cannot be reached', async () => {
    const attempt = createStore({ databaseUrl: 'postgres://bench:s3cret-pw@127.0.0.1:1/nowhere' });
    await expect(attempt).rejects.toThrow(/PostgreSQL at postgres:\/\/bench:\*\*\*@127\.0\.0\.1:1\/nowhere/);
    await expect(attempt).rejects.not.toThrow(/s3cret-pw/);
  });

  it('rejects a BEARLUMEN_PG_POOL_SIZE that is not an integer from 1 to 1000, naming it', async () => {
    vi.stubEnv('BEARLUMEN_PG_POOL_SIZE', 'lots');
    await expect(createStore({ databaseUrl: 'postgres://127.0.0.1:1/x' })).rejects.toThrow(
      'BEARLUMEN_PG_POOL_SIZE must be an integer from 1 to 1000 (got "lots")',
    );
  });

  it.skipIf(!POSTGRES.available())('explains a search_path that names no existing schema', async () => {
    const url = new URL(TEST_DATABASE_URL as string);
    url.searchParams.set('options', '-c search_path=bl_schema_that_does_not_exist');
    await expect(createStore({ databaseUrl: url.toString() })).rejects.toThrow(/search_path names no existing schema/);
  });

  it.skipIf(!POSTGRES.available())('keeps doubles bit-exact even when the server rounds floats (extra_float_digits = 0)', async () => {
    const schema = await createTestSchema('floats');
    const url = new URL(schema.url);
    url.searchParams.set('options', `${url.searchParams.get('options') ?? ''} -c extra_float_digits=0`);
    const store = await createStore({ databaseUrl: url.toString() });
    try {
      const tenant = (await store.ensureTenant('floats')).id;
      const event = usageEvent({ quantity: 1 / 3, metricName: 'gpu_seconds', tokenKind: null });
      await store.insertUsageEvents(tenant, [event]);
      const { events } = await store.queryUsageEvents(tenant, { startMs: 0, endMs: T0 * 2 }, 10, 0);
      expect(events[0]?.quantity).toBe(1 / 3);
      expect(await store.insertUsageEvents(tenant, [{ ...event, id: 'evt_again' }])).toMatchObject({ ok: true, recordedCount: 0 });
    } finally {
      await store.close();
      await schema.drop();
    }
  });
});

describe.skipIf(!POSTGRES.available())('store [postgres]: session settings', () => {
  const show = async (url: string, setting: string): Promise<string> => {
    const pool = createPool({ connectionString: url, poolSize: 1 });
    try {
      const { rows } = await pool.query<Record<string, string>>(`SHOW ${setting}`);
      return rows[0]?.[setting] ?? '';
    } finally {
      await pool.end();
    }
  };

  it('turns JIT compilation off unless the URL asks for it, and always keeps floats exact', async () => {
    const schema = await createTestSchema('session');
    try {
      expect(await show(schema.url, 'jit')).toBe('off');
      expect(await show(schema.url, 'extra_float_digits')).toBe('3');
      // The URL's own options keep their schema, and its own choice of JIT wins.
      const url = new URL(schema.url);
      url.searchParams.set('options', `${url.searchParams.get('options') ?? ''} -c jit=on -c extra_float_digits=0`);
      expect(await show(url.toString(), 'jit')).toBe('on');
      expect(await show(url.toString(), 'extra_float_digits')).toBe('3');
      expect(await show(url.toString(), 'search_path')).toBe(await show(schema.url, 'search_path'));
    } finally {
      await schema.drop();
    }
  });
});
