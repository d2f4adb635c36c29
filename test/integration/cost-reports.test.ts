/**
 * The cost-report routes through the SDK (`costAttribution.breakdown`, `byModel`, `timeseries`)
 * against the real server: exact nano-USD agreement with `byAgent` / `byWorkflow`, dense UTC buckets,
 * series beyond `limit` summed into `other`, drill-down, validation before any request, and tenant
 * isolation. Runs on SQLite and, in the integration-postgres project, on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen, BearLumenInvalidRequestError, BearLumenValidationError, type AttributionDateRange, type UsageRecordInput } from '@bearlumen/node-sdk';
import { startServer, type StartedServer } from '../helpers/start-server';

const HOUR = 3_600_000;
let server: StartedServer;
let client: BearLumen;
const range = (): AttributionDateRange => ({ startDate: new Date(Date.now() - 86_400_000).toISOString(), endDate: new Date(Date.now() + 60_000).toISOString() });

function call(agent: string | undefined, workflow: string, model: string, provider: string, input: number, output: number, key: string): UsageRecordInput[] {
  const base = { eventType: 'token_usage', metadata: { model, provider }, workflow_id: workflow, ...(agent === undefined ? {} : { agent_id: agent }) };
  return [
    { ...base, metricName: 'llm_tokens_input', quantity: input, idempotencyKey: `${key}-in` },
    { ...base, metricName: 'llm_tokens_output', quantity: output, idempotencyKey: `${key}-out` },
    { ...base, metricName: 'llm_tokens_cache_read', quantity: Math.round(input / 10), idempotencyKey: `${key}-cr` },
  ];
}

beforeAll(async () => {
  server = await startServer();
  client = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false });
  await client.usage.recordBatch([
    ...call('support-agent', 'ticket-triage', 'gpt-4o', 'openai', 100_000, 20_000, 'c1'),
    ...call('support-agent', 'onboarding', 'claude-3-5-sonnet', 'anthropic', 50_000, 5_000, 'c2'),
    ...call('sales-agent', 'onboarding', 'gpt-4o-mini', 'openai', 10_000, 1_000, 'c3'),
    ...call(undefined, 'batch', 'gpt-4o', 'openai', 1_000, 1_000, 'c4'),
    ...call('research-agent', 'report', 'no-such-model-xyz', 'openai', 2_000, 500, 'c5'),
  ]);
});

afterAll(async () => {
  await client?.shutdown();
  await server?.close();
});

describe('costAttribution.breakdown / byModel', () => {
  it('by agent and by workflow: the same items and total as byAgent / byWorkflow, exactly in nano-USD', async () => {
    for (const [dimension, legacy] of [
      ['agent_id', await client.costAttribution.byAgent(range())],
      ['workflow_id', await client.costAttribution.byWorkflow(range())],
    ] as const) {
      const report = await client.costAttribution.breakdown({ ...range(), dimension });
      expect(report.totalCostNanoUsd).toBe(legacy.totalCostNanoUsd);
      expect(report.unpricedEventCount).toBe(legacy.unpricedEventCount);
      expect(report.items.map((i) => [i.value, i.totalCostNanoUsd, i.inputTokens, i.outputTokens, i.eventCount, i.percentOfTotal])).toEqual(
        legacy.items.map((i) => [i.attributionValue, i.totalCostNanoUsd, i.inputTokens, i.outputTokens, i.eventCount, i.percentOfTotal]),
      );
      expect(report.items.reduce((n, i) => n + i.totalCostNanoUsd, 0)).toBe(report.totalCostNanoUsd);
    }
  });

  it('totals carry tokens by kind, events and unpriced events; cache reads are counted', async () => {
    const report = await client.costAttribution.breakdown({ ...range(), dimension: 'agent_id' });
    expect(report).toMatchObject({ dimension: 'agent_id', currency: 'USD', inputTokens: 163_000, outputTokens: 27_500, cacheReadTokens: 16_300, cacheWriteTokens: 0, eventCount: 15 });
    // The unknown model's three events have no price.
    expect(report.unpricedEventCount).toBe(3);
    expect(report.items.find((i) => i.value === 'support-agent')).toMatchObject({ inputTokens: 150_000, cacheReadTokens: 15_000, eventCount: 6 });
  });

  it('byModel groups metadata.model; provider groups metadata.provider; all sum to the same total', async () => {
    const models = await client.costAttribution.byModel(range());
    expect(models.dimension).toBe('model');
    expect(models.items.map((i) => i.value).sort()).toEqual(['claude-3-5-sonnet', 'gpt-4o', 'gpt-4o-mini', 'no-such-model-xyz']);
    expect(models.items.find((i) => i.value === 'gpt-4o')?.eventCount).toBe(6);
    expect(models.items.find((i) => i.value === 'no-such-model-xyz')).toMatchObject({ totalCostNanoUsd: 0, unpricedEventCount: 3 });
    const providers = await client.costAttribution.breakdown({ ...range(), dimension: 'provider' });
    expect(providers.items.map((i) => i.value).sort()).toEqual(['anthropic', 'openai']);
    const byAgent = await client.costAttribution.byAgent(range());
    expect(models.totalCostNanoUsd).toBe(byAgent.totalCostNanoUsd);
    expect(providers.totalCostNanoUsd).toBe(byAgent.totalCostNanoUsd);
  });

  it('agentId drills down to one agent’s workflows and models', async () => {
    const workflows = await client.costAttribution.breakdown({ ...range(), dimension: 'workflow_id', agentId: 'support-agent' });
    expect(workflows.items.map((i) => i.value).sort()).toEqual(['onboarding', 'ticket-triage']);
    const agent = (await client.costAttribution.byAgent(range())).items.find((i) => i.attributionValue === 'support-agent');
    expect(workflows.totalCostNanoUsd).toBe(agent?.totalCostNanoUsd);
    const models = await client.costAttribution.byModel({ ...range(), agentId: 'support-agent' });
    expect(models.items.map((i) => i.value).sort()).toEqual(['claude-3-5-sonnet', 'gpt-4o']);
  });
});

describe('costAttribution.timeseries', () => {
  it('dense UTC-hour buckets over the range; every series and other sum to the byAgent total', async () => {
    const { startDate, endDate } = range();
    const series = await client.costAttribution.timeseries({ startDate, endDate, dimension: 'agent_id', bucket: 'HOUR' });
    const first = Math.floor(Date.parse(startDate) / HOUR) * HOUR;
    expect(series.buckets[0]).toBe(new Date(first).toISOString());
    expect(series.buckets.length).toBe(Math.ceil((Date.parse(endDate) - first) / HOUR));
    expect(series.buckets.every((b, i) => Date.parse(b) === first + i * HOUR)).toBe(true);
    for (const s of series.series) expect(s.costNanoUsd).toHaveLength(series.buckets.length);
    const byAgent = await client.costAttribution.byAgent({ startDate, endDate });
    expect(series.totalCostNanoUsd).toBe(byAgent.totalCostNanoUsd);
    expect(series.series.map((s) => [s.value, s.totalCostNanoUsd])).toEqual(byAgent.items.map((i) => [i.attributionValue, i.totalCostNanoUsd]));
    for (const s of series.series) expect(s.costNanoUsd.reduce((a, b) => a + b, 0)).toBe(s.totalCostNanoUsd);
    expect(series.other).toEqual({ seriesCount: 0, totalCostNanoUsd: 0, costNanoUsd: series.buckets.map(() => 0) });
  });

  it('limit keeps the costliest series and sums the rest into other, bucket by bucket', async () => {
    const all = await client.costAttribution.timeseries({ ...range(), dimension: 'model', bucket: 'DAY' });
    const top = await client.costAttribution.timeseries({ ...range(), dimension: 'model', bucket: 'DAY', limit: 1 });
    expect(top.series.map((s) => s.value)).toEqual([all.series[0]?.value]);
    expect(top.other.seriesCount).toBe(all.series.length - 1);
    expect(top.other.costNanoUsd).toEqual(top.buckets.map((_, i) => all.series.slice(1).reduce((n, s) => n + (s.costNanoUsd[i] ?? 0), 0)));
    expect((top.series[0]?.totalCostNanoUsd ?? 0) + top.other.totalCostNanoUsd).toBe(all.totalCostNanoUsd);
  });

  it('too many buckets is a 400 naming bucket; the SDK refuses bad params before any request', async () => {
    const longRange = { startDate: '2020-01-01', endDate: '2026-01-01' };
    const refused = await client.costAttribution.timeseries({ ...longRange, dimension: 'agent_id', bucket: 'HOUR' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BearLumenInvalidRequestError);
    expect(refused).toMatchObject({ status: 400, param: 'bucket' });
    const bad: [unknown, string][] = [
      [{ ...range(), bucket: 'HOUR' }, 'params.dimension'],
      [{ ...range(), dimension: 'team', bucket: 'HOUR' }, 'params.dimension'],
      [{ ...range(), dimension: 'model', bucket: 'WEEK' }, 'params.bucket'],
      [{ ...range(), dimension: 'model', bucket: 'DAY', limit: 0 }, 'params.limit'],
      [{ ...range(), dimension: 'model', bucket: 'DAY', agentId: '' }, 'params.agentId'],
    ];
    const offline = new BearLumen({ apiKey: server.apiKey, baseUrl: 'http://127.0.0.1:9', handleExit: false });
    for (const [params, field] of bad) {
      // @ts-expect-error deliberately invalid input
      const error: unknown = await offline.costAttribution.timeseries(params).catch((e: unknown) => e);
      expect(error, field).toBeInstanceOf(BearLumenValidationError);
      expect((error as BearLumenValidationError).field).toBe(field);
    }
    // @ts-expect-error deliberately invalid input
    await expect(offline.costAttribution.byModel('7d')).rejects.toMatchObject({ field: 'params' });
    await offline.shutdown();
  });

  it('another tenant sees none of this tenant’s costs', async () => {
    const other = new BearLumen({ apiKey: await server.createKey('someone-else'), baseUrl: server.url, handleExit: false });
    expect((await other.costAttribution.breakdown({ ...range(), dimension: 'agent_id' })).items).toEqual([]);
    const series = await other.costAttribution.timeseries({ ...range(), dimension: 'model', bucket: 'HOUR' });
    expect(series.series).toEqual([]);
    expect(series.totalCostNanoUsd).toBe(0);
    await other.shutdown();
  });
});
