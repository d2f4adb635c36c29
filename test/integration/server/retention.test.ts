/**
 * `retainEventsDays` (CLI `--retain-events-days`, env BEARLUMEN_RETAIN_EVENTS_DAYS): a server drops
 * raw events older than the window once it is ready (and hourly after), over the real API, while
 * the usage summary, cost attribution and the dashboard's cost reports (breakdown by any dimension,
 * time series) over that period still answer from the rollups, to the nano-dollar.
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
    // model / provider left out: the store keys the rollups from the metadata, as ingest would.
    metadataJson: '{"model":"gpt-4o","provider":" OpenAI "}',
    agentId: `agent-${i}`,
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

    // The cost reports count the dropped days too, equal to by-agent exactly.
    const byAgent = await get(`/v1/cost-attribution/by-agent?${range}`);
    expect(byAgent.totalCostNanoUsd).toBe(3_000_000);
    const agentCosts = Object.fromEntries(byAgent.items.map((i: { attributionValue: string; totalCostNanoUsd: number }) => [i.attributionValue, i.totalCostNanoUsd]));
    expect(agentCosts).toEqual({ 'agent-1': 2_000_000, 'agent-2': 1_000_000 });
    const byAgentReport = await get(`/v1/cost-attribution/breakdown?dimension=agent_id&${range}`);
    expect(Object.fromEntries(byAgentReport.items.map((i: { value: string; totalCostNanoUsd: number }) => [i.value, i.totalCostNanoUsd]))).toEqual(agentCosts);
    for (const dimension of ['workflow_id', 'model', 'provider']) {
      const report = await get(`/v1/cost-attribution/breakdown?dimension=${dimension}&${range}`);
      expect(report, dimension).toMatchObject({ totalCostNanoUsd: byAgent.totalCostNanoUsd, eventCount: 3 });
    }
    const providers = await get(`/v1/cost-attribution/breakdown?dimension=provider&${range}`);
    expect(providers.items.map((i: { value: string | null }) => i.value)).toEqual(['openai']);
    for (const bucket of ['DAY', 'HOUR'] as const) {
      const series = await get(`/v1/cost-attribution/timeseries?dimension=agent_id&bucket=${bucket}&${range}`);
      expect(series.totalCostNanoUsd, bucket).toBe(byAgent.totalCostNanoUsd);
      // The bucket of the dropped day holds its two events.
      const size = bucket === 'DAY' ? DAY : 3_600_000;
      const index = series.buckets.indexOf(new Date(Math.floor((NOW - 50 * DAY) / size) * size).toISOString());
      expect(index, bucket).toBeGreaterThanOrEqual(0);
      const inBucket = series.series.reduce((sum: number, s: { costNanoUsd: number[] }) => sum + (s.costNanoUsd[index] ?? 0), 0);
      expect(inBucket, bucket).toBe(2_000_000);
    }
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
