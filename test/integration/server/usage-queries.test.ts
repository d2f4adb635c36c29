import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndUserResponse, Subscription, UsageAggregationResponse, UsageQueryResponse, UsageSummaryResponse } from '../../../src/protocol/types';
import { startServer, type StartedServer } from '../../helpers/start-server';
import { clientFor, qs } from './inject';

const NOW = Date.parse('2026-06-15T12:00:00Z');
let server: StartedServer;
let api: ReturnType<typeof clientFor>;
let subId: string;

// 2026-06-14 09:10, 09:50, 10:30 and 2026-06-15 08:00, 11:59:59 (UTC).
const stamps = ['2026-06-14T09:10:00Z', '2026-06-14T09:50:00Z', '2026-06-14T10:30:00Z', '2026-06-15T08:00:00Z', '2026-06-15T11:59:59Z'];

beforeAll(async () => {
  server = await startServer({ now: () => NOW });
  api = clientFor(server);
  const user = (await api.post<EndUserResponse>('/v1/end-users', { externalId: 'q-user' })).body.endUser;
  subId = (await api.post<Subscription>('/v1/subscriptions', { userId: user.id, pricingPlanId: 'p', currentPeriodStart: '2026-06-01T00:00:00Z', currentPeriodEnd: '2026-07-01T00:00:00Z' })).body.id;
  const events = stamps.map((timestamp, i) => ({
    eventType: i % 2 === 0 ? 'token_usage' : 'api_call',
    metricName: i < 3 ? 'llm_tokens_input' : 'requests',
    quantity: (i + 1) * 10,
    timestamp,
    idempotencyKey: `q-${i}`,
    ...(i === 0 || i === 3 ? { subscriptionId: subId } : {}),
    ...(i < 2 ? { agent_id: 'agent-q' } : { workflow_id: 'wf-q' }),
  }));
  expect((await api.post('/v1/usage/events/batch', { events })).status).toBe(200);
});
afterAll(async () => server.close());

const keys = (r: UsageQueryResponse): string[] => r.events.map((e) => e.idempotencyKey);

describe('GET /v1/usage/events', () => {
  it('returns events newest first with total, default range = last 30 days up to now', async () => {
    const res = (await api.get<UsageQueryResponse>('/v1/usage/events')).body;
    expect(keys(res)).toEqual(['q-4', 'q-3', 'q-2', 'q-1', 'q-0']);
    expect(res).toMatchObject({ total: 5, limit: 100, offset: 0 });
    expect(res.events[0]).toMatchObject({ eventType: 'token_usage', metricName: 'requests', quantity: 50, subscriptionId: null, timestamp: '2026-06-15T11:59:59.000Z', receivedAt: '2026-06-15T12:00:00.000Z' });
  });

  it.each([
    [{ subscriptionId: 'SUB' }, ['q-3', 'q-0']],
    [{ metricName: 'requests' }, ['q-4', 'q-3']],
    [{ eventType: 'api_call' }, ['q-3', 'q-1']],
    [{ agent_id: 'agent-q' }, ['q-1', 'q-0']],
    [{ workflow_id: 'wf-q', metricName: 'llm_tokens_input' }, ['q-2']],
    [{ startDate: '2026-06-15' }, ['q-4', 'q-3']],
    [{ endDate: '2026-06-14' }, ['q-2', 'q-1', 'q-0']],
    [{ startDate: '2026-06-14T09:50:00Z', endDate: '2026-06-14T10:30:00Z' }, ['q-1']],
    [{ startDate: '2026-06-14T11:50:00+02:00', endDate: '2026-06-14T12:30:00+02:00' }, ['q-1']],
  ])('filters %j', async (filter, expected) => {
    const params = Object.fromEntries(Object.entries(filter).map(([k, v]) => [k, v === 'SUB' ? subId : v]));
    expect(keys((await api.get<UsageQueryResponse>(`/v1/usage/events${qs(params)}`)).body)).toEqual(expected);
  });

  it('pages: limit 1 walks every event once, offset past the end is empty, bounds are enforced', async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < 5; offset++) seen.push(...keys((await api.get<UsageQueryResponse>(`/v1/usage/events?limit=1&offset=${offset}`)).body));
    expect(seen).toEqual(['q-4', 'q-3', 'q-2', 'q-1', 'q-0']);
    expect((await api.get<UsageQueryResponse>('/v1/usage/events?limit=1000')).body.events).toHaveLength(5);
    expect((await api.get<UsageQueryResponse>('/v1/usage/events?offset=5')).body).toMatchObject({ events: [], total: 5 });
    for (const q of ['limit=0', 'limit=1001', 'offset=-3', 'metricName=bad%20name', 'startDate=June', 'agent_id=']) {
      const res = await api.get(`/v1/usage/events?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.error?.param, q).toBe(q.split('=')[0]);
    }
    expect((await api.get('/v1/usage/events?startDate=2026-06-15&endDate=2026-06-14')).error?.code).toBe('invalid_time_range');
  });
});

describe('GET /v1/usage/aggregation', () => {
  it('without a window: one row per metric over the range, sorted by metric', async () => {
    const res = (await api.get<UsageAggregationResponse>('/v1/usage/aggregation?startDate=2026-06-14&endDate=2026-06-15')).body;
    expect(res).toMatchObject({ startDate: '2026-06-14T00:00:00.000Z', endDate: '2026-06-16T00:00:00.000Z', windowSize: null });
    expect(res.aggregations).toEqual([
      { metricName: 'llm_tokens_input', windowStart: res.startDate, windowEnd: res.endDate, totalQuantity: 60, eventCount: 3, minQuantity: 10, maxQuantity: 30, totalCost: 0, totalCostNanoUsd: 0 },
      { metricName: 'requests', windowStart: res.startDate, windowEnd: res.endDate, totalQuantity: 90, eventCount: 2, minQuantity: 40, maxQuantity: 50, totalCost: 0, totalCostNanoUsd: 0 },
    ]);
  });

  it('HOUR windows are UTC-aligned, sorted by metric then window, edge windows clipped to the range', async () => {
    const res = (await api.get<UsageAggregationResponse>('/v1/usage/aggregation?windowSize=HOUR&startDate=2026-06-14T09:30:00Z&endDate=2026-06-15T11:59:30Z')).body;
    expect(res.aggregations.map((a) => [a.metricName, a.windowStart, a.windowEnd, a.totalQuantity])).toEqual([
      ['llm_tokens_input', '2026-06-14T09:30:00.000Z', '2026-06-14T10:00:00.000Z', 20],
      ['llm_tokens_input', '2026-06-14T10:00:00.000Z', '2026-06-14T11:00:00.000Z', 30],
      ['requests', '2026-06-15T08:00:00.000Z', '2026-06-15T09:00:00.000Z', 40],
    ]);
  });

  it('DAY windows and filters', async () => {
    const res = (await api.get<UsageAggregationResponse>(`/v1/usage/aggregation?windowSize=DAY&startDate=2026-06-01&endDate=2026-06-15&subscriptionId=${subId}`)).body;
    expect(res.aggregations.map((a) => [a.metricName, a.windowStart, a.eventCount])).toEqual([
      ['llm_tokens_input', '2026-06-14T00:00:00.000Z', 1],
      ['requests', '2026-06-15T00:00:00.000Z', 1],
    ]);
    expect((await api.get('/v1/usage/aggregation?windowSize=WEEK')).error?.param).toBe('windowSize');
  });
});

describe('GET /v1/usage/summary', () => {
  it('totals over the range, metrics sorted', async () => {
    const s = (await api.get<UsageSummaryResponse>('/v1/usage/summary?startDate=2026-06-14&endDate=2026-06-15')).body;
    expect(s).toEqual({
      startDate: '2026-06-14T00:00:00.000Z',
      endDate: '2026-06-16T00:00:00.000Z',
      totalEvents: 5,
      metricCount: 2,
      inputTokens: 60,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      totalCost: 0,
      totalCostNanoUsd: 0,
      unpricedEventCount: 3,
      metrics: [
        { metricName: 'llm_tokens_input', totalQuantity: 60, eventCount: 3 },
        { metricName: 'requests', totalQuantity: 90, eventCount: 2 },
      ],
    });
    const empty = (await api.get<UsageSummaryResponse>('/v1/usage/summary?startDate=2026-01-01&endDate=2026-01-02')).body;
    expect(empty).toMatchObject({ totalEvents: 0, metricCount: 0, totalCostNanoUsd: 0, metrics: [] });
  });
});
