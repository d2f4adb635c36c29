/**
 * `insertUsageEvents(tenant, events, complete)`: the form ingest uses, where events arrive with only
 * their key and billable fields and the store asks for the full row (price, id, metadata) of the
 * events it will insert. Results must equal those of the one-argument form, on both engines.
 */
import { expect, it } from 'vitest';
import type { NewUsageEvent, UsageEventIdentity } from '@bearlumen/node-sdk/server';
import { T0, describeEachStore, freshTenant, usageEvent } from './engines';

/** Candidates of `events` (identity fields only) and a `complete` that returns the full event and logs each call. */
function deferred(events: readonly NewUsageEvent[]) {
  const calls: number[] = [];
  const candidates: UsageEventIdentity[] = events.map(({ idempotencyKey, eventType, metricName, quantity, subscriptionId }) => ({
    idempotencyKey,
    eventType,
    metricName,
    quantity,
    subscriptionId,
  }));
  const complete = (candidate: UsageEventIdentity, index: number): NewUsageEvent => {
    calls.push(index);
    expect(candidate).toBe(candidates[index]);
    return events[index] as NewUsageEvent;
  };
  return { candidates, complete, calls };
}

describeEachStore('store: usage ingest with deferred completion', (store) => {
  it('completes each new key once, never a repeat of a key; duplicates get the stored id', async () => {
    const t = await freshTenant(store());
    const stored = usageEvent();
    await store().insertUsageEvents(t, [stored]);
    const fresh = usageEvent();
    const events = [usageEvent({ ...stored, id: 'evt_never_used' }), fresh, usageEvent({ ...fresh, id: 'evt_repeat' })];
    const { candidates, complete, calls } = deferred(events);
    const result = await store().insertUsageEvents(t, candidates, complete);
    expect(result).toEqual({
      ok: true,
      recordedCount: 1,
      results: [
        { eventId: stored.id, recorded: false },
        { eventId: fresh.id, recorded: true },
        { eventId: fresh.id, recorded: false },
      ],
    });
    // PostgreSQL took the batch as all new (the tenant's last batch was), so the stored key was
    // completed too before its COPY failed; the batch then went through the read-first path, which
    // completed nothing again.
    expect(calls).toEqual(store().kind === 'postgres' ? [0, 1] : [1]);
    const { events: rows } = await store().queryUsageEvents(t, { startMs: 0, endMs: T0 * 2 }, 10, 0);
    expect(rows.map((e) => e.eventId).sort()).toEqual([fresh.id, stored.id].sort());
  });

  it('a run of replayed batches writes nothing; only its first batch is completed, and only on PostgreSQL', async () => {
    const t = await freshTenant(store());
    const events = Array.from({ length: 300 }, (_, i) => usageEvent({ quantity: i }));
    await store().insertUsageEvents(t, events);
    const replayed = { ok: true, recordedCount: 0, results: events.map((e) => ({ eventId: e.id, recorded: false })) };
    const again = events.map((e) => ({ ...e, id: `${e.id}_again` }));
    const first = deferred(again);
    expect(await store().insertUsageEvents(t, first.candidates, first.complete)).toEqual(replayed);
    expect(first.calls).toEqual(store().kind === 'postgres' ? events.map((_, i) => i) : []);
    const second = deferred(again);
    expect(await store().insertUsageEvents(t, second.candidates, second.complete)).toEqual(replayed);
    expect(second.calls).toEqual([]);
    // New batches are stored and completed once per event...
    const next = Array.from({ length: 300 }, (_, i) => usageEvent({ quantity: i }));
    const third = deferred(next);
    expect(await store().insertUsageEvents(t, third.candidates, third.complete)).toEqual({
      ok: true,
      recordedCount: 300,
      results: next.map((e) => ({ eventId: e.id, recorded: true })),
    });
    expect(third.calls).toEqual(next.map((_, i) => i));
    // ...and for a while the tenant's keys are still read first: a replay of that batch completes nothing.
    const fourth = deferred(next.map((e) => ({ ...e, id: `${e.id}_again` })));
    expect(await store().insertUsageEvents(t, fourth.candidates, fourth.complete)).toMatchObject({ ok: true, recordedCount: 0 });
    expect(fourth.calls).toEqual([]);
    expect((await store().queryUsageEvents(t, { startMs: 0, endMs: T0 * 2 }, 1, 0)).total).toBe(600);
  });

  it('a conflict with an event earlier in the same call names that event as completed, and nothing is written', async () => {
    const t = await freshTenant(store());
    const first = usageEvent();
    const { candidates, complete } = deferred([first, usageEvent(), usageEvent({ ...first, id: 'evt_clash', quantity: 7 })]);
    const result = await store().insertUsageEvents(t, candidates, complete);
    expect(result).toEqual({ ok: false, conflicts: [{ index: 2, idempotencyKey: first.idempotencyKey, existingEventId: first.id }] });
    expect((await store().queryUsageEvents(t, { startMs: 0, endMs: T0 * 2 }, 10, 0)).total).toBe(0);
  });

  it('keys are per tenant: a key stored by another tenant is new here and completed', async () => {
    const [t1, t2] = [await freshTenant(store()), await freshTenant(store())];
    const e = usageEvent();
    await store().insertUsageEvents(t1, [e]);
    const other = usageEvent({ ...e, id: 'evt_other_tenant', quantity: 5 });
    const { candidates, complete, calls } = deferred([other]);
    expect(await store().insertUsageEvents(t2, candidates, complete)).toEqual({ ok: true, recordedCount: 1, results: [{ eventId: other.id, recorded: true }] });
    expect(calls).toEqual([0]);
  });

  it('refuses a complete() that changes the key', async () => {
    const t = await freshTenant(store());
    const e = usageEvent();
    const candidate: UsageEventIdentity = { ...e, idempotencyKey: `${e.idempotencyKey}-other` };
    await expect(store().insertUsageEvents(t, [candidate], () => e)).rejects.toThrow(/idempotency key/);
    expect((await store().queryUsageEvents(t, { startMs: 0, endMs: T0 * 2 }, 10, 0)).total).toBe(0);
  });
});
