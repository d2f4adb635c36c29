import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttributionValuesResponse, CostBreakdownResponse, UsageBatchResponse, UsageQueryResponse, UsageSummaryResponse } from '../../../src/protocol/types';
import { startServer, type StartedServer } from '../../helpers/start-server';
import { clientFor } from './inject';

// USD per million tokens in the pinned @pydantic/genai-prices data (docs/server.md, "Prices").
const HAIKU = { input: 0.25, output: 1.25, cache_read: 0.03, cache_write: 0.3 };
const GPT4O = { input: 2.5, output: 10 };
const nano = (tokens: number, usdPerMillion: number): number => Math.round(tokens * usdPerMillion * 1000);

const NOW = Date.parse('2026-06-15T12:00:00Z');
const RANGE = 'startDate=2026-06-15&endDate=2026-06-15';
let server: StartedServer;
let api: ReturnType<typeof clientFor>;
let n = 0;
const ev = (metricName: string, quantity: number, metadata: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  eventType: 'token_usage',
  metricName,
  quantity,
  idempotencyKey: `cost-${++n}`,
  timestamp: '2026-06-15T10:00:00Z',
  metadata,
  ...extra,
});

beforeAll(async () => {
  server = await startServer({ now: () => NOW });
  api = clientFor(server);
  const haiku = { model: 'claude-3-haiku', provider: 'anthropic' };
  const res = await api.post<UsageBatchResponse>('/v1/usage/events/batch', {
    events: [
      ev('llm_tokens_input', 1000, haiku, { agent_id: 'agent-a', workflow_id: 'wf-1' }),
      ev('llm_tokens_output', 2000, haiku, { agent_id: 'agent-a', workflow_id: 'wf-1' }),
      ev('llm_tokens_cache_read', 10_000, haiku, { agent_id: 'agent-a' }),
      ev('llm_tokens_cache_write', 4000, haiku, { agent_id: 'agent-a' }),
      ev('llm_tokens', 1000, { model: 'gpt-4o', provider: 'openai' }, { agent_id: 'agent-b', workflow_id: 'wf-2' }),
      ev('llm_tokens', 100, { model: 'gpt-4o', provider: 'openai', token_type: 'output' }, { agent_id: 'agent-b' }),
      ev('api_calls', 1, { cost: 0.000123 }),
      ev('llm_tokens_input', 5000, { model: 'no-such-model-xyz', provider: 'openai' }, { agent_id: 'agent-c' }),
      ev('llm_tokens_input', 7000, {}, { agent_id: 'agent-c' }),
      // Outside the range: must not count.
      ev('llm_tokens_input', 1_000_000, haiku, { agent_id: 'agent-a', timestamp: '2026-06-14T23:59:59Z' }),
    ],
  });
  expect(res.status).toBe(200);
});
afterAll(async () => server.close());

const expectedA = nano(1000, HAIKU.input) + nano(2000, HAIKU.output) + nano(10_000, HAIKU.cache_read) + nano(4000, HAIKU.cache_write);
const expectedB = nano(1000, GPT4O.input) + nano(100, GPT4O.output);
const expectedNull = 123_000;
const expectedTotal = expectedA + expectedB + expectedNull;

describe('cost at ingest', () => {
  it('stores integer nano-USD per event from the model price, metadata.cost overriding, unknown models at 0 and unpriced', async () => {
    const events = (await api.get<UsageQueryResponse>(`/v1/usage/events?${RANGE}&limit=1000`)).body.events;
    const byKey = new Map(events.map((e) => [e.idempotencyKey, e]));
    expect(byKey.get('cost-1')).toMatchObject({ costNanoUsd: 250_000, costUsd: 0.00025, priced: true });
    expect(byKey.get('cost-2')?.costNanoUsd).toBe(2_500_000);
    expect(byKey.get('cost-3')?.costNanoUsd).toBe(300_000);
    expect(byKey.get('cost-4')?.costNanoUsd).toBe(1_200_000);
    expect(byKey.get('cost-5')?.costNanoUsd).toBe(2_500_000);
    expect(byKey.get('cost-6')?.costNanoUsd).toBe(1_000_000);
    expect(byKey.get('cost-7')).toMatchObject({ costNanoUsd: 123_000, priced: true });
    expect(byKey.get('cost-8')).toMatchObject({ costNanoUsd: 0, costUsd: 0, priced: false });
    expect(byKey.get('cost-9')).toMatchObject({ costNanoUsd: 0, priced: false });
    for (const e of events) expect(Number.isInteger(e.costNanoUsd)).toBe(true);
  });
});

describe('cost attribution', () => {
  it('by agent: items sum exactly to the total, null groups events without an agent, sorted by cost then value', async () => {
    const res = await api.get<CostBreakdownResponse>(`/v1/cost-attribution/by-agent?${RANGE}`);
    expect(res.status).toBe(200);
    const body = res.body;
    expect(body).toMatchObject({
      dimension: 'agent_id',
      startDate: '2026-06-15T00:00:00.000Z',
      endDate: '2026-06-16T00:00:00.000Z',
      currency: 'USD',
      totalCostNanoUsd: expectedTotal,
      totalCost: Math.round(expectedTotal / 1000) / 1e6,
      unpricedEventCount: 2,
    });
    expect(body.items.map((i) => i.attributionValue)).toEqual(['agent-a', 'agent-b', null, 'agent-c']);
    expect(body.items.reduce((s, i) => s + i.totalCostNanoUsd, 0)).toBe(body.totalCostNanoUsd);
    const [a, b, none, c] = body.items;
    expect(a).toMatchObject({ totalCostNanoUsd: expectedA, inputTokens: 1000, outputTokens: 2000, eventCount: 4 });
    expect(b).toMatchObject({ totalCostNanoUsd: expectedB, inputTokens: 1000, outputTokens: 100, eventCount: 2 });
    expect(none).toMatchObject({ totalCostNanoUsd: expectedNull, eventCount: 1 });
    expect(c).toMatchObject({ totalCostNanoUsd: 0, percentOfTotal: 0, inputTokens: 12_000, eventCount: 2 });
    expect(a?.percentOfTotal).toBe(Math.round((expectedA / expectedTotal) * 10_000) / 100);
    for (const item of body.items) expect(Number.isInteger(item.percentOfTotal * 100)).toBe(true);
  });

  it('by workflow, and distinct values sorted', async () => {
    const wf = (await api.get<CostBreakdownResponse>(`/v1/cost-attribution/by-workflow?${RANGE}`)).body;
    // Events without a workflow (cache tokens, agent-b's output, the api call) outweigh wf-2.
    expect(wf.items.map((i) => i.attributionValue)).toEqual(['wf-1', null, 'wf-2']);
    expect(wf.items.reduce((s, i) => s + i.totalCostNanoUsd, 0)).toBe(expectedTotal);
    expect((await api.get<AttributionValuesResponse>(`/v1/cost-attribution/agents?${RANGE}`)).body).toEqual({ values: ['agent-a', 'agent-b', 'agent-c'] });
    expect((await api.get<AttributionValuesResponse>(`/v1/cost-attribution/workflows?${RANGE}`)).body).toEqual({ values: ['wf-1', 'wf-2'] });
    const wider = (await api.get<CostBreakdownResponse>('/v1/cost-attribution/by-agent?startDate=2026-06-14&endDate=2026-06-15')).body;
    expect(wider.totalCostNanoUsd).toBe(expectedTotal + nano(1_000_000, HAIKU.input));
  });

  it('an empty range has total 0, no items, and percentOfTotal never divides by zero', async () => {
    const empty = (await api.get<CostBreakdownResponse>('/v1/cost-attribution/by-agent?startDate=2026-06-01&endDate=2026-06-02')).body;
    expect(empty).toMatchObject({ totalCost: 0, totalCostNanoUsd: 0, unpricedEventCount: 0, items: [] });
  });

  it('summary totals match the breakdown', async () => {
    const s = (await api.get<UsageSummaryResponse>(`/v1/usage/summary?${RANGE}`)).body;
    expect(s).toMatchObject({
      totalEvents: 9,
      inputTokens: 1000 + 1000 + 12_000,
      outputTokens: 2000 + 100,
      cacheReadTokens: 10_000,
      cacheWriteTokens: 4000,
      totalCostNanoUsd: expectedTotal,
      unpricedEventCount: 2,
      metricCount: 6,
    });
  });

  it.each([
    ['', 'startDate'],
    ['startDate=2026-06-15', 'endDate'],
    ['startDate=2026-06-15&endDate=soon', 'endDate'],
    ['startDate=2026-06-16&endDate=2026-06-15', 'startDate'],
  ])('?%s → 400 naming %s', async (query, param) => {
    const res = await api.get(`/v1/cost-attribution/by-agent?${query}`);
    expect(res.status).toBe(400);
    expect(res.error?.param).toBe(param);
  });

  it('start >= end is invalid_time_range', async () => {
    const res = await api.get('/v1/cost-attribution/agents?startDate=2026-06-15T10:00:00Z&endDate=2026-06-15T10:00:00Z');
    expect(res.error?.code).toBe('invalid_time_range');
  });
});

describe('pricing at the event timestamp and operator overrides', () => {
  it('prices openai o3 at $10/$40 per M before 2025-06-10 and $2/$8 after', async () => {
    const o3 = await startServer({ now: () => Date.parse('2025-06-20T00:00:00Z') });
    try {
      const o3api = clientFor(o3);
      const meta = { model: 'o3', provider: 'openai' };
      await o3api.post('/v1/usage/events/batch', {
        events: [
          { eventType: 't', metricName: 'llm_tokens_input', quantity: 1_000_000, idempotencyKey: 'before', timestamp: '2025-06-09T12:00:00Z', metadata: meta },
          { eventType: 't', metricName: 'llm_tokens_output', quantity: 1_000_000, idempotencyKey: 'before-out', timestamp: '2025-06-09T12:00:00Z', metadata: meta },
          { eventType: 't', metricName: 'llm_tokens_input', quantity: 1_000_000, idempotencyKey: 'after', timestamp: '2025-06-11T12:00:00Z', metadata: meta },
        ],
      });
      const events = (await o3api.get<UsageQueryResponse>('/v1/usage/events?startDate=2025-06-01&endDate=2025-06-19')).body.events;
      const cost = Object.fromEntries(events.map((e) => [e.idempotencyKey, e.costUsd]));
      expect(cost).toEqual({ before: 10, 'before-out': 40, after: 2 });
    } finally {
      await o3.close();
    }
  });

  it('an override file wins over the bundled prices and prices unknown models', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bl-prices-'));
    const file = join(dir, 'prices.json');
    writeFileSync(file, JSON.stringify({ prices: [{ provider: 'anthropic', model: 'claude-3-haiku*', input: 1, output: 2 }, { model: 'in-house-*', input: 0.5 }] }));
    const custom = await startServer({ prices: file, now: () => NOW });
    try {
      const c = clientFor(custom);
      await c.post('/v1/usage/events/batch', {
        events: [
          ev('llm_tokens_input', 1000, { model: 'claude-3-haiku-20240307', provider: 'anthropic' }),
          ev('llm_tokens_output', 1000, { model: 'claude-3-haiku', provider: 'anthropic' }),
          ev('llm_tokens_input', 1000, { model: 'in-house-7b' }),
          ev('llm_tokens_input', 1000, { model: 'gpt-4o', provider: 'openai' }),
        ],
      });
      const events = (await c.get<UsageQueryResponse>(`/v1/usage/events?${RANGE}`)).body.events;
      expect(events.map((e) => e.costNanoUsd).sort((x, y) => x - y)).toEqual([nano(1000, 0.5), nano(1000, 1), nano(1000, 2), nano(1000, GPT4O.input)].sort((x, y) => x - y));
    } finally {
      await custom.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start with an invalid override file, naming the entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bl-prices-'));
    const file = join(dir, 'prices.json');
    writeFileSync(file, JSON.stringify({ prices: [{ model: 'x', input: -1 }] }));
    try {
      await expect(startServer({ prices: file })).rejects.toThrow(/prices\[0\]\.input must be a number >= 0/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
