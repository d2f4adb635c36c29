/**
 * `retainEventsDays` (CLI `--retain-events-days`, env BEARLUMEN_RETAIN_EVENTS_DAYS): a server drops
 * raw events older than the window once it is ready (and hourly after), over the real API, while
 * the usage summary over that period still answers from the rollups.
 */
import { expect, it, vi } from 'vitest';
import { createApiKey, createServer, createStore } from '@bearlumen/node-sdk/server';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 15, 12);

it('drops events older than the window and keeps their cost in the summary', async () => {
  const store = await createStore({ dbPath: ':memory:' });
  const tenant = await store.ensureTenant('retention');
  const event = (ageDays: number, i: number) => ({
    id: `evt_ret${ageDays}_${i}`,
    idempotencyKey: `ret-${ageDays}-${i}`,
    eventType: 'api',
    metricName: 'api.calls',
    quantity: 1,
    subscriptionId: null,
    timestampMs: NOW - ageDays * DAY,
    receivedAtMs: NOW - ageDays * DAY,
    metadataJson: '{}',
    agentId: null,
    workflowId: null,
    tokenKind: null,
    costNanoUsd: 1_000_000,
    priced: true,
    priceSource: 'metadata',
  });
  // Stored directly: ingest would refuse timestamps this old, which is exactly why the window is >= 35 days.
  expect(await store.insertUsageEvents(tenant.id, [event(50, 1), event(50, 2), event(3, 1)])).toMatchObject({ ok: true, recordedCount: 3 });
  const key = await createApiKey(store, 'retention');
  const app = await createServer({ store, now: () => NOW, retainEventsDays: 40 });
  try {
    await app.ready();
    const range = `startDate=${new Date(NOW - 60 * DAY).toISOString()}&endDate=${new Date(NOW).toISOString()}`;
    const get = async (path: string) => (await app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${key}` } })).json();
    // The first run starts when the server is ready; wait (bounded) until the old events are gone.
    await vi.waitFor(async () => expect((await get(`/v1/usage/events?${range}`)).events).toHaveLength(1), { timeout: 10_000, interval: 50 });
    const list = await get(`/v1/usage/events?${range}`);
    expect(list.events[0].idempotencyKey).toBe('ret-3-1');
    const summary = await get(`/v1/usage/summary?${range}`);
    expect(summary.totalEvents).toBe(3);
    expect(summary.totalCostNanoUsd).toBe(3_000_000);
  } finally {
    await app.close();
  }
}, 30_000);

it('refuses a window shorter than the oldest timestamp ingest accepts, naming the option', async () => {
  const store = await createStore({ dbPath: ':memory:' });
  try {
    await expect(createServer({ store, retainEventsDays: 10 })).rejects.toThrow(/retainEventsDays must be an integer number of days from 35/);
    await expect(createServer({ store, retainEventsDays: 35.5 })).rejects.toThrow(/retainEventsDays/);
  } finally {
    await store.close();
  }
});
