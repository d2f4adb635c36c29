import { describe, expect, it } from 'vitest';
import { CLAIM_ABANDONED_MS } from '../../../src/server/store/store';
import { ENGINES, describeEachStore, freshTenant } from './engines';

const NOW = Date.UTC(2026, 0, 5, 12);
const TTL = 24 * 3_600_000;
let n = 0;
const newKey = () => `idem-${(n += 1)}-${Math.random().toString(36).slice(2, 8)}`;

describeEachStore('store: request idempotency keys', (store) => {
  it('claim → in progress → completed replays the stored response; another fingerprint is a mismatch', async () => {
    const t = await freshTenant(store());
    const key = newKey();
    expect(await store().claimRequestKey(t, key, 'fp1', NOW, TTL)).toEqual({ state: 'claimed' });
    expect(await store().claimRequestKey(t, key, 'fp1', NOW + 1, TTL)).toEqual({ state: 'in_progress' });
    expect(await store().claimRequestKey(t, key, 'fp2', NOW + 1, TTL)).toEqual({ state: 'mismatch' });
    await store().completeRequestKey(t, key, 201, '{"ok":true}');
    expect(await store().claimRequestKey(t, key, 'fp1', NOW + 2, TTL)).toEqual({ state: 'completed', statusCode: 201, body: '{"ok":true}' });
    expect(await store().claimRequestKey(t, key, 'fp2', NOW + 2, TTL)).toEqual({ state: 'mismatch' });
  });

  it('a released claim can be claimed again; releasing a completed key keeps it', async () => {
    const t = await freshTenant(store());
    const key = newKey();
    await store().claimRequestKey(t, key, 'fp', NOW, TTL);
    await store().releaseRequestKey(t, key);
    expect(await store().claimRequestKey(t, key, 'other', NOW + 1, TTL)).toEqual({ state: 'claimed' });
    await store().completeRequestKey(t, key, 200, 'body');
    await store().releaseRequestKey(t, key);
    expect(await store().claimRequestKey(t, key, 'other', NOW + 2, TTL)).toMatchObject({ state: 'completed' });
  });

  it('keys expire after the TTL, and abandoned claims are taken over', async () => {
    const t = await freshTenant(store());
    const done = newKey();
    await store().claimRequestKey(t, done, 'fp', NOW, TTL);
    await store().completeRequestKey(t, done, 200, 'old');
    expect(await store().claimRequestKey(t, done, 'new', NOW + TTL - 1, TTL)).toEqual({ state: 'mismatch' });
    expect(await store().claimRequestKey(t, done, 'new', NOW + TTL, TTL)).toEqual({ state: 'claimed' });

    const stuck = newKey();
    await store().claimRequestKey(t, stuck, 'fp', NOW, TTL);
    expect(await store().claimRequestKey(t, stuck, 'fp', NOW + CLAIM_ABANDONED_MS - 1, TTL)).toEqual({ state: 'in_progress' });
    expect(await store().claimRequestKey(t, stuck, 'fp', NOW + CLAIM_ABANDONED_MS, TTL)).toEqual({ state: 'claimed' });
  });

  it('of concurrent claims of one key exactly one wins', async () => {
    const t = await freshTenant(store());
    const key = newKey();
    const claims = await Promise.all([0, 1, 2, 3, 4, 5].map(() => store().claimRequestKey(t, key, 'fp', NOW, TTL)));
    expect(claims.filter((c) => c.state === 'claimed')).toHaveLength(1);
    expect(claims.filter((c) => c.state === 'in_progress')).toHaveLength(5);
  });

  it('keys are scoped per tenant', async () => {
    const [t1, t2] = [await freshTenant(store()), await freshTenant(store())];
    const key = newKey();
    await store().claimRequestKey(t1, key, 'fp', NOW, TTL);
    expect(await store().claimRequestKey(t2, key, 'different', NOW, TTL)).toEqual({ state: 'claimed' });
  });
});

describe('store: close', () => {
  for (const engine of ENGINES) {
    it.skipIf(!engine.available())(`[${engine.kind}] a closed store rejects further calls; closing twice is fine`, async () => {
      const { store, dispose } = await engine.open('close');
      expect(store.kind).toBe(engine.kind);
      await store.close();
      await expect(store.countApiKeys()).rejects.toThrow();
      await dispose();
    });
  }
});
