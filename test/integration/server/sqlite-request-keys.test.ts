import { describe, expect, it } from 'vitest';
import { SqliteStore } from '@bearlumen/node-sdk/server';

const TTL = 86_400_000;

describe('SQLite request keys', () => {
  it('purges expired Idempotency-Key rows over time, so the table does not grow forever', async () => {
    const store = SqliteStore.open(':memory:');
    try {
      const tenant = await store.ensureTenant('t');
      const t0 = Date.parse('2026-06-01T00:00:00Z');
      for (let i = 0; i < 499; i++) await store.claimRequestKey(tenant.id, `old-${i}`, 'fp', t0, TTL);
      const count = (): number => (store as unknown as { db: { prepare(sql: string): { get(): { n: number } } } }).db.prepare('SELECT COUNT(*) AS n FROM request_keys').get().n;
      expect(count()).toBe(499);
      // The 500th claim, a day later, sweeps the expired ones.
      await store.claimRequestKey(tenant.id, 'new', 'fp', t0 + TTL, TTL);
      expect(count()).toBe(1);
      expect(await store.claimRequestKey(tenant.id, 'new', 'fp', t0 + TTL, TTL)).toEqual({ state: 'in_progress' });
    } finally {
      await store.close();
    }
  });
});
