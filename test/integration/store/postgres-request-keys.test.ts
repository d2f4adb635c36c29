/** PostgreSQL only (the SQLite twin is test/integration/server/sqlite-request-keys.test.ts): rows are counted directly. */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { POSTGRES } from './engines';

const TTL = 86_400_000;

describe.skipIf(!POSTGRES.available())('store [postgres]: request keys', () => {
  it('purges expired Idempotency-Key rows over time, so the table does not grow forever', async () => {
    const opened = await POSTGRES.open('purge');
    const admin = new pg.Client({ connectionString: opened.url });
    await admin.connect();
    try {
      const { store } = opened;
      const tenant = await store.ensureTenant('t');
      const t0 = Date.parse('2026-06-01T00:00:00Z');
      for (let i = 0; i < 499; i++) await store.claimRequestKey(tenant.id, `old-${i}`, 'fp', t0, TTL);
      const count = async () => Number((await admin.query<{ n: string }>('SELECT COUNT(*) AS n FROM request_keys')).rows[0]?.n);
      expect(await count()).toBe(499);
      // The 500th claim, a day later, sweeps the expired ones.
      await store.claimRequestKey(tenant.id, 'new', 'fp', t0 + TTL, TTL);
      expect(await count()).toBe(1);
      expect(await store.claimRequestKey(tenant.id, 'new', 'fp', t0 + TTL, TTL)).toEqual({ state: 'in_progress' });
    } finally {
      await admin.end();
      await opened.dispose();
    }
  });
});
