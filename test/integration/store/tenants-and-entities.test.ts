import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { keyIdOfDigest } from '@bearlumen/node-sdk/server';
import { describeEachStore, freshTenant } from './engines';

const NOW = Date.UTC(2026, 0, 5, 12);
const iso = (ms: number) => new Date(ms).toISOString();
let n = 0;
const uid = (prefix: string) => `${prefix}${(n += 1)}_${Math.random().toString(36).slice(2, 8)}`;
/** A digest shaped like the real ones (64 hex digits), unique per call. */
const digest = () => createHash('sha256').update(uid('key')).digest('hex');

describeEachStore('store: tenants and API keys', (store) => {
  it('ensureTenant returns the same tenant for the same name, even when called concurrently', async () => {
    const name = uid('tenant-');
    const all = await Promise.all([1, 2, 3, 4, 5].map(() => store().ensureTenant(name)));
    expect(new Set(all.map((t) => t.id)).size).toBe(1);
    expect(all[0]).toMatchObject({ name });
    const other = await store().ensureTenant(uid('tenant-'));
    expect(other.id).not.toBe(all[0]?.id);
  });

  it('finds a tenant by key hash and counts keys', async () => {
    const tenant = await store().ensureTenant(uid('tenant-'));
    const before = await store().countApiKeys();
    const hash = digest();
    await store().addApiKey(tenant.id, hash);
    expect(await store().countApiKeys()).toBe(before + 1);
    expect(await store().findTenantByKeyHash(hash)).toEqual(tenant);
    expect(await store().findTenantByKeyHash(uid('missing'))).toBeNull();
  });

  it('revokeApiKey removes exactly that key; a second revoke reports false', async () => {
    const tenant = await store().ensureTenant(uid('tenant-'));
    const [revoked, kept] = [digest(), digest()];
    await store().addApiKey(tenant.id, revoked);
    await store().addApiKey(tenant.id, kept);
    expect(await store().revokeApiKey(revoked)).toBe(true);
    expect(await store().findTenantByKeyHash(revoked)).toBeNull();
    expect(await store().findTenantByKeyHash(kept)).toEqual(tenant);
    expect(await store().revokeApiKey(revoked)).toBe(false);
    expect(await store().listApiKeys(tenant.id)).toEqual([{ keyId: keyIdOfDigest(kept), createdAt: expect.any(String) }]);
  });

  it('lists a tenant\'s keys by key id (key_ + 12 hex digits of the digest), never the digest', async () => {
    const [tenant, other] = [await store().ensureTenant(uid('tenant-')), await store().ensureTenant(uid('tenant-'))];
    const [a, b, c] = [digest(), digest(), digest()];
    await store().addApiKey(tenant.id, a);
    await store().addApiKey(tenant.id, b);
    await store().addApiKey(other.id, c);
    const listed = await store().listApiKeys(tenant.id);
    expect(listed.map((k) => k.keyId).sort()).toEqual([`key_${a.slice(0, 12)}`, `key_${b.slice(0, 12)}`].sort());
    expect(JSON.stringify(listed)).not.toContain(a.slice(12));
    expect(await store().listApiKeys(uid('ten_missing'))).toEqual([]);
  });
});

describeEachStore('store: end users', (store) => {
  const newUser = (externalId: string, nowMs = NOW) => ({
    id: uid('eu_'),
    externalId,
    name: 'Ada',
    email: 'ada@example.com',
    metadataJson: '{"plan":"pro","n":1}',
    nowMs,
  });

  it('creates an active user with the given fields and rejects a taken externalId per tenant', async () => {
    const [t1, t2] = [await freshTenant(store()), await freshTenant(store())];
    const input = newUser('ext-1');
    const user = await store().createEndUser(t1, input);
    expect(user).toEqual({
      id: input.id,
      externalId: 'ext-1',
      name: 'Ada',
      email: 'ada@example.com',
      metadata: { plan: 'pro', n: 1 },
      status: 'ACTIVE',
      createdAt: iso(NOW),
      updatedAt: iso(NOW),
      deactivatedAt: null,
    });
    expect(await store().createEndUser(t1, newUser('ext-1'))).toBe('external_id_taken');
    expect(await store().createEndUser(t2, newUser('ext-1'))).toMatchObject({ externalId: 'ext-1' });
  });

  it('never returns or changes another tenant’s user', async () => {
    const [t1, t2] = [await freshTenant(store()), await freshTenant(store())];
    const input = newUser('ext-x');
    await store().createEndUser(t1, input);
    expect(await store().getEndUser(t2, input.id)).toBeNull();
    expect(await store().updateEndUser(t2, input.id, { name: 'Eve' }, NOW + 1)).toBeNull();
    expect(await store().setEndUserStatus(t2, input.id, 'DEACTIVATED', NOW + 1)).toBeNull();
    expect(await store().getEndUser(t1, input.id)).toMatchObject({ name: 'Ada', status: 'ACTIVE' });
  });

  it('updates only the given fields, clears with null and bumps updatedAt', async () => {
    const t = await freshTenant(store());
    const input = newUser('ext-u');
    await store().createEndUser(t, input);
    const updated = await store().updateEndUser(t, input.id, { name: null, metadataJson: '{"b":2,"a":1}' }, NOW + 5000);
    expect(updated).toMatchObject({ name: null, email: 'ada@example.com', metadata: { b: 2, a: 1 }, updatedAt: iso(NOW + 5000) });
    expect(Object.keys(updated?.metadata ?? {})).toEqual(['b', 'a']);
    expect(await store().updateEndUser(t, 'eu_missing', { name: 'x' }, NOW)).toBeNull();
  });

  it('deactivates and reactivates; repeating the current status changes nothing', async () => {
    const t = await freshTenant(store());
    const input = newUser('ext-s');
    await store().createEndUser(t, input);
    const off = await store().setEndUserStatus(t, input.id, 'DEACTIVATED', NOW + 1000);
    expect(off).toMatchObject({ status: 'DEACTIVATED', deactivatedAt: iso(NOW + 1000), updatedAt: iso(NOW + 1000) });
    expect(await store().setEndUserStatus(t, input.id, 'DEACTIVATED', NOW + 2000)).toEqual(off);
    const on = await store().setEndUserStatus(t, input.id, 'ACTIVE', NOW + 3000);
    expect(on).toMatchObject({ status: 'ACTIVE', deactivatedAt: null, updatedAt: iso(NOW + 3000) });
    expect(await store().setEndUserStatus(t, 'eu_missing', 'ACTIVE', NOW)).toBeNull();
  });

  it('lists in creation order with pages, a status filter and tenant-wide counts', async () => {
    const t = await freshTenant(store());
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const input = newUser(`ext-l${i}`, NOW + i);
      ids.push(input.id);
      await store().createEndUser(t, input);
    }
    await store().setEndUserStatus(t, ids[1] as string, 'DEACTIVATED', NOW + 10);
    await store().setEndUserStatus(t, ids[3] as string, 'DEACTIVATED', NOW + 10);
    const page = await store().listEndUsers(t, { limit: 2, offset: 1 });
    expect(page.endUsers.map((u) => u.id)).toEqual(ids.slice(1, 3));
    expect(page).toMatchObject({ total: 5, activeCount: 3, deactivatedCount: 2 });
    const active = await store().listEndUsers(t, { status: 'ACTIVE', limit: 10, offset: 0 });
    expect(active.endUsers.map((u) => u.id)).toEqual([ids[0], ids[2], ids[4]]);
    expect(active.total).toBe(3);
    const off = await store().listEndUsers(t, { status: 'DEACTIVATED', limit: 10, offset: 0 });
    expect(off.total).toBe(2);
    expect(await store().listEndUsers(await freshTenant(store()), { limit: 10, offset: 0 })).toEqual({
      endUsers: [],
      total: 0,
      activeCount: 0,
      deactivatedCount: 0,
    });
  });
});

describeEachStore('store: subscriptions', (store) => {
  const newSub = (userId: string, nowMs = NOW) => ({
    id: uid('sub_'),
    userId,
    pricingPlanId: 'plan_pro',
    currentPeriodStart: '2026-01-01T00:00:00.000Z',
    currentPeriodEnd: '2026-02-01T00:00:00+01:00',
    stripeSubscriptionId: null,
    metadataJson: '{}',
    nowMs,
  });

  it('creates, reads, patches and cancels once', async () => {
    const t = await freshTenant(store());
    const input = newSub('eu_1');
    const created = await store().createSubscription(t, input);
    expect(created).toEqual({
      id: input.id,
      userId: 'eu_1',
      pricingPlanId: 'plan_pro',
      status: 'ACTIVE',
      currentPeriodStart: '2026-01-01T00:00:00.000Z',
      currentPeriodEnd: '2026-02-01T00:00:00+01:00',
      stripeSubscriptionId: null,
      metadata: {},
      canceledAt: null,
      createdAt: iso(NOW),
      updatedAt: iso(NOW),
    });
    expect(await store().getSubscription(t, input.id)).toEqual(created);
    const patched = await store().updateSubscription(t, input.id, { pricingPlanId: 'plan_max', stripeSubscriptionId: 'si_1' }, NOW + 1);
    expect(patched).toMatchObject({ pricingPlanId: 'plan_max', stripeSubscriptionId: 'si_1', currentPeriodStart: created.currentPeriodStart });
    const canceled = await store().cancelSubscription(t, input.id, NOW + 2);
    expect(canceled).toMatchObject({ status: 'CANCELED', canceledAt: iso(NOW + 2), updatedAt: iso(NOW + 2) });
    expect(await store().cancelSubscription(t, input.id, NOW + 3)).toEqual(canceled);
    expect(await store().updateSubscription(t, 'sub_missing', { pricingPlanId: 'x' }, NOW)).toBeNull();
    expect(await store().cancelSubscription(await freshTenant(store()), input.id, NOW)).toBeNull();
  });

  it('lists by user and status in creation order and resolves refs within the tenant only', async () => {
    const [t, other] = [await freshTenant(store()), await freshTenant(store())];
    const subs = [newSub('eu_a', NOW), newSub('eu_b', NOW + 1), newSub('eu_a', NOW + 2)];
    for (const s of subs) await store().createSubscription(t, s);
    await store().cancelSubscription(t, subs[2]?.id as string, NOW + 9);
    const foreign = newSub('eu_a');
    await store().createSubscription(other, foreign);

    const byUser = await store().listSubscriptions(t, { userId: 'eu_a', limit: 10, offset: 0 });
    expect(byUser.data.map((s) => s.id)).toEqual([subs[0]?.id, subs[2]?.id]);
    expect(byUser.total).toBe(2);
    const active = await store().listSubscriptions(t, { userId: 'eu_a', status: 'ACTIVE', limit: 10, offset: 0 });
    expect(active.data.map((s) => s.id)).toEqual([subs[0]?.id]);
    const page = await store().listSubscriptions(t, { limit: 1, offset: 1 });
    expect(page).toMatchObject({ total: 3, data: [{ id: subs[1]?.id }] });

    const refs = await store().findSubscriptionRefs(t, [subs[0]?.id as string, subs[2]?.id as string, foreign.id, 'sub_none']);
    expect([...refs.keys()].sort()).toEqual([subs[0]?.id, subs[2]?.id].sort());
    expect(refs.get(subs[0]?.id as string)).toEqual({ id: subs[0]?.id, status: 'ACTIVE', canceledAtMs: null });
    expect(refs.get(subs[2]?.id as string)).toEqual({ id: subs[2]?.id, status: 'CANCELED', canceledAtMs: NOW + 9 });
    expect((await store().findSubscriptionRefs(t, [])).size).toBe(0);
  });
});
