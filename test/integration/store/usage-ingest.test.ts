import { expect, it } from 'vitest';
import type { Store } from '@bearlumen/node-sdk/server';
import { T0, describeEachStore, freshTenant, usageEvent } from './engines';

async function storedKeys(store: Store, tenantId: string): Promise<string[]> {
  const { events } = await store.queryUsageEvents(tenantId, { startMs: 0, endMs: T0 * 2 }, 1000, 0);
  return events.map((e) => e.idempotencyKey).sort();
}

describeEachStore('store: usage ingest (idempotency)', (store) => {
  it('records new events and returns their own ids in input order', async () => {
    const t = await freshTenant(store());
    const events = [usageEvent(), usageEvent(), usageEvent()];
    const result = await store().insertUsageEvents(t, events);
    expect(result).toEqual({ ok: true, recordedCount: 3, results: events.map((e) => ({ eventId: e.id, recorded: true })) });
    expect(await storedKeys(store(), t)).toEqual(events.map((e) => e.idempotencyKey).sort());
  });

  it('an empty call records nothing', async () => {
    const t = await freshTenant(store());
    expect(await store().insertUsageEvents(t, [])).toEqual({ ok: true, results: [], recordedCount: 0 });
  });

  it('a stored key with the same billable fields is a duplicate: original id, recorded false; timestamp and metadata are not compared', async () => {
    const t = await freshTenant(store());
    const original = usageEvent({ subscriptionId: 'sub_1', quantity: 12.5 });
    await store().insertUsageEvents(t, [original]);
    const replay = usageEvent({ ...original, id: 'evt_replay', timestampMs: T0 + 60_000, metadataJson: '{"retry":true}' });
    const fresh = usageEvent();
    const result = await store().insertUsageEvents(t, [replay, fresh]);
    expect(result).toEqual({
      ok: true,
      recordedCount: 1,
      results: [
        { eventId: original.id, recorded: false },
        { eventId: fresh.id, recorded: true },
      ],
    });
    const { events } = await store().queryUsageEvents(t, { startMs: 0, endMs: T0 * 2 }, 10, 0);
    expect(events.find((e) => e.idempotencyKey === original.idempotencyKey)).toMatchObject({ eventId: original.id, metadata: {} });
  });

  const changes: [string, Parameters<typeof usageEvent>[0]][] = [
    ['eventType', { eventType: 'other' }],
    ['metricName', { metricName: 'llm_tokens_output' }],
    ['quantity', { quantity: 101 }],
    ['subscriptionId', { subscriptionId: 'sub_other' }],
  ];
  for (const [field, change] of changes) {
    it(`a stored key with a different ${field} is a conflict and the whole call writes nothing`, async () => {
      const t = await freshTenant(store());
      const original = usageEvent();
      await store().insertUsageEvents(t, [original]);
      const newcomer = usageEvent();
      const reused = usageEvent({ ...original, id: 'evt_reused', ...change });
      const result = await store().insertUsageEvents(t, [newcomer, reused]);
      expect(result).toEqual({ ok: false, conflicts: [{ index: 1, idempotencyKey: original.idempotencyKey, existingEventId: original.id }] });
      expect(await storedKeys(store(), t)).toEqual([original.idempotencyKey]);
    });
  }

  it('a key repeated inside one call: the first is recorded, an identical repeat is its duplicate', async () => {
    const t = await freshTenant(store());
    const first = usageEvent();
    const repeat = usageEvent({ ...first, id: 'evt_repeat' });
    const result = await store().insertUsageEvents(t, [first, repeat]);
    expect(result).toEqual({
      ok: true,
      recordedCount: 1,
      results: [
        { eventId: first.id, recorded: true },
        { eventId: first.id, recorded: false },
      ],
    });
  });

  it('a key repeated inside one call with different billable fields conflicts and writes nothing', async () => {
    const t = await freshTenant(store());
    const first = usageEvent();
    const other = usageEvent();
    const clash = usageEvent({ ...first, id: 'evt_clash', quantity: 7 });
    const result = await store().insertUsageEvents(t, [first, other, clash]);
    expect(result).toEqual({ ok: false, conflicts: [{ index: 2, idempotencyKey: first.idempotencyKey, existingEventId: first.id }] });
    expect(await storedKeys(store(), t)).toEqual([]);
  });

  it('reports every conflicting event of a call', async () => {
    const t = await freshTenant(store());
    const [a, b] = [usageEvent(), usageEvent()];
    await store().insertUsageEvents(t, [a, b]);
    const result = await store().insertUsageEvents(t, [
      usageEvent({ ...a, quantity: 1 }),
      usageEvent({ ...b }),
      usageEvent({ ...b, eventType: 'x' }),
    ]);
    expect(result).toEqual({
      ok: false,
      conflicts: [
        { index: 0, idempotencyKey: a.idempotencyKey, existingEventId: a.id },
        { index: 2, idempotencyKey: b.idempotencyKey, existingEventId: b.id },
      ],
    });
  });

  it('idempotency keys are scoped per tenant', async () => {
    const [t1, t2] = [await freshTenant(store()), await freshTenant(store())];
    const e = usageEvent();
    await store().insertUsageEvents(t1, [e]);
    const other = usageEvent({ ...e, id: 'evt_t2', quantity: 999 });
    expect(await store().insertUsageEvents(t2, [other])).toEqual({ ok: true, recordedCount: 1, results: [{ eventId: 'evt_t2', recorded: true }] });
  });

  it('concurrent calls with overlapping keys store every key exactly once and agree on its id', async () => {
    const t = await freshTenant(store());
    const shared = Array.from({ length: 200 }, () => usageEvent());
    // Four writers, each a different id for the same key: exactly one id per key may win.
    const calls = [0, 1, 2, 3].map((w) =>
      shared.map((e, i) => usageEvent({ ...e, id: `evt_w${w}_${i}` })).slice(w * 25, w * 25 + 150),
    );
    const results = await Promise.all(calls.map((batch) => store().insertUsageEvents(t, batch)));
    const winners = new Map<string, string>();
    let recorded = 0;
    results.forEach((result, w) => {
      if (!result.ok) throw new Error('unexpected conflict');
      result.results.forEach((r, i) => {
        const key = calls[w]?.[i]?.idempotencyKey as string;
        if (r.recorded) recorded += 1;
        const seen = winners.get(key);
        if (seen === undefined) winners.set(key, r.eventId);
        else expect(r.eventId).toBe(seen);
      });
    });
    const covered = new Set(calls.flat().map((e) => e.idempotencyKey));
    expect(recorded).toBe(covered.size);
    expect(await storedKeys(store(), t)).toEqual([...covered].sort());
  });

  it('stores quantities and costs exactly (fractions, 1e15, nano-USD beyond 2^31)', async () => {
    const t = await freshTenant(store());
    const events = [
      usageEvent({ quantity: 0.1, costNanoUsd: 0, priced: false, metricName: 'gpu_seconds', tokenKind: null }),
      usageEvent({ quantity: 1e15, costNanoUsd: 5_000_000_000_123, timestampMs: T0 + 1 }),
      usageEvent({ quantity: 123.456789, costNanoUsd: 1, metricName: 'x', tokenKind: null, timestampMs: T0 + 2 }),
    ];
    await store().insertUsageEvents(t, events);
    const { events: stored } = await store().queryUsageEvents(t, { startMs: 0, endMs: T0 * 2 }, 10, 0);
    expect(stored.map((e) => [e.quantity, e.costNanoUsd, e.priced])).toEqual([
      [123.456789, 1, true],
      [1e15, 5_000_000_000_123, true],
      [0.1, 0, false],
    ]);
    // A replay compares the stored double with the incoming one bit for bit.
    const replay = await store().insertUsageEvents(t, events.map((e) => ({ ...e, id: `${e.id}_again` })));
    expect(replay).toMatchObject({ ok: true, recordedCount: 0 });
  });
});

// PostgreSQL stores new events with COPY's text format, where tab, newline, carriage return and
// backslash have a meaning and `\N` is null; every text column must still come back as given.
describeEachStore('store: usage ingest (text and numbers round-trip)', (store) => {
  const AWKWARD = ['tab\there', 'line\nbreak', 'carriage\rreturn', 'back\\slash', '\\N', '\\.', '"quoted"', '', 'ünïcödé 😀', 'end\\'];

  it('every text column and number comes back exactly as it was stored', async () => {
    const t = await freshTenant(store());
    const quantities = [0.1 + 0.2, 1e-300, 5e-324, 123_456_789.123, 2 ** 53 - 1, 7];
    const events = AWKWARD.map((s, i) =>
      usageEvent({
        idempotencyKey: `key ${s} ${i}`,
        eventType: `type ${s}`,
        metricName: `metric ${s}`,
        quantity: quantities[i % quantities.length] as number,
        subscriptionId: `sub ${s}`,
        metadataJson: JSON.stringify({ note: s, agent_id: `agent ${s}` }),
        agentId: `agent ${s}`,
        workflowId: `flow ${s}`,
        priceSource: `source ${s}`,
        costNanoUsd: 2 ** 53 - 1 - i,
        priced: i % 2 === 0,
        timestampMs: T0 + i,
      }),
    );
    const result = await store().insertUsageEvents(t, events);
    expect(result).toMatchObject({ ok: true, recordedCount: AWKWARD.length });
    const range = { startMs: 0, endMs: T0 * 2 };
    const { events: stored } = await store().queryUsageEvents(t, range, 100, 0);
    const byKey = new Map(stored.map((e) => [e.idempotencyKey, e]));
    for (const [i, e] of events.entries()) {
      expect(byKey.get(e.idempotencyKey)).toMatchObject({
        eventId: e.id,
        eventType: e.eventType,
        metricName: e.metricName,
        quantity: e.quantity,
        subscriptionId: e.subscriptionId,
        metadata: { note: AWKWARD[i], agent_id: `agent ${AWKWARD[i]}` },
        costNanoUsd: e.costNanoUsd,
        priced: e.priced,
        priceSource: e.priceSource,
      });
    }
    // The denormalised attribution columns, read back through a filter and the value list.
    expect((await store().attributionValues(t, 'workflow_id', range)).sort()).toEqual(AWKWARD.map((s) => `flow ${s}`).sort());
    for (const s of AWKWARD) {
      const page = await store().queryUsageEvents(t, { ...range, agentId: `agent ${s}` }, 10, 0);
      expect(page.events.map((e) => e.metadata['note'])).toEqual([s]);
    }
  });

  it('a batch of 1000 (sent to PostgreSQL in several COPY chunks) stores every event once, in order, with its own fields', async () => {
    const t = await freshTenant(store());
    const events = Array.from({ length: 1000 }, (_, i) =>
      usageEvent({
        idempotencyKey: `chunked ${AWKWARD[i % AWKWARD.length]} ${i}`,
        quantity: i + 0.5,
        metadataJson: JSON.stringify({ note: AWKWARD[i % AWKWARD.length], i }),
        agentId: `agent ${i % 7}`,
        timestampMs: T0 + i,
      }),
    );
    const result = await store().insertUsageEvents(t, events);
    expect(result).toEqual({ ok: true, recordedCount: 1000, results: events.map((e) => ({ eventId: e.id, recorded: true })) });
    const range = { startMs: 0, endMs: T0 * 2 };
    const { events: stored, total } = await store().queryUsageEvents(t, range, 1000, 0);
    expect(total).toBe(1000);
    // Newest first: event i at position 999 - i, each with its own key, quantity and metadata.
    expect(stored.map((e) => [e.idempotencyKey, e.quantity, e.metadata['i']])).toEqual(
      events.map((e, i) => [e.idempotencyKey, e.quantity, i]).reverse(),
    );
    const summary = await store().summarizeUsage(t, range);
    expect(summary).toMatchObject({
      totalEvents: 1000,
      costNanoUsd: events.reduce((sum, e) => sum + e.costNanoUsd, 0),
      metrics: [{ metricName: events[0]?.metricName, eventCount: 1000, totalQuantity: events.reduce((sum, e) => sum + e.quantity, 0) }],
    });
  });

  it('a null subscription and price source stay null, not the text "\\N"', async () => {
    const t = await freshTenant(store());
    const e = usageEvent({ subscriptionId: null, priceSource: null, agentId: null });
    await store().insertUsageEvents(t, [e]);
    const { events } = await store().queryUsageEvents(t, { startMs: 0, endMs: T0 * 2 }, 10, 0);
    expect(events[0]).toMatchObject({ subscriptionId: null, priceSource: null });
    expect(await store().attributionValues(t, 'agent_id', { startMs: 0, endMs: T0 * 2 })).toEqual([]);
  });
});
