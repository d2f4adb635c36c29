import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen, type AttributionDateRange, type UsageRecordInput } from '@bearlumen/node-sdk';
import { startServer, type StartedServer } from '../helpers/start-server';

let server: StartedServer;
let client: BearLumen;
let subscriptionId = '';
const range = (): AttributionDateRange => ({ startDate: new Date(Date.now() - 86_400_000).toISOString(), endDate: new Date(Date.now() + 60_000).toISOString() });

function call(agent: string | undefined, workflow: string | undefined, model: string, provider: string, input: number, output: number, key: string): UsageRecordInput[] {
  const base = { eventType: 'token_usage', metadata: { model, provider }, ...(agent === undefined ? {} : { agent_id: agent }), ...(workflow === undefined ? {} : { workflow_id: workflow }) };
  return [
    { ...base, metricName: 'llm_tokens_input', quantity: input, idempotencyKey: `${key}-in` },
    { ...base, metricName: 'llm_tokens_output', quantity: output, idempotencyKey: `${key}-out` },
  ];
}

beforeAll(async () => {
  server = await startServer();
  client = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false });
  const userId = (await client.endUsers.create({ externalId: 'cost-owner' })).endUser.id;
  subscriptionId = (
    await client.subscriptions.create({ userId, pricingPlanId: 'p', currentPeriodStart: new Date(Date.now() - 86_400_000).toISOString(), currentPeriodEnd: new Date(Date.now() + 86_400_000).toISOString() })
  ).id;
  await client.usage.recordBatch([
    ...call('support-agent', 'ticket-triage', 'gpt-4o', 'openai', 100_000, 20_000, 'c1'),
    ...call('support-agent', 'onboarding', 'claude-3-5-sonnet', 'anthropic', 50_000, 5_000, 'c2'),
    ...call('sales-agent', 'onboarding', 'gpt-4o-mini', 'openai', 10_000, 1_000, 'c3'),
    ...call(undefined, undefined, 'gpt-4o', 'openai', 1_000, 1_000, 'c4'),
  ]);
  // Via the batching pipeline too, with agent_id folded by usage.record.
  await Promise.all(call('research-agent', 'report', 'gpt-4o', 'openai', 2_000, 500, 'c5').map((e) => client.usage.record({ ...e, subscriptionId })));
});

afterAll(async () => {
  await client?.shutdown();
  await server?.close();
});

describe('costAttribution', () => {
  it('byAgent: items sorted by cost, summing exactly to the total, events without an agent as null', async () => {
    const breakdown = await client.costAttribution.byAgent(range());
    expect(breakdown).toMatchObject({ dimension: 'agent_id', currency: 'USD' });
    expect(breakdown.items.map((i) => i.attributionValue).sort()).toEqual([null, 'research-agent', 'sales-agent', 'support-agent'].sort());
    const support = breakdown.items.find((i) => i.attributionValue === 'support-agent');
    expect(support).toMatchObject({ inputTokens: 150_000, outputTokens: 25_000, eventCount: 4 });
    expect(breakdown.items.reduce((n, i) => n + i.totalCostNanoUsd, 0)).toBe(breakdown.totalCostNanoUsd);
    const costs = breakdown.items.map((i) => i.totalCost);
    expect(costs).toEqual([...costs].sort((a, b) => b - a));
    expect(breakdown.items[0]?.attributionValue).toBe('support-agent');
    expect(breakdown.items.reduce((n, i) => n + i.percentOfTotal, 0)).toBeCloseTo(100, 0);
    expect(breakdown.totalCost).toBeGreaterThan(0);
  });

  it('the displayed figures add up: items sum exactly to the displayed total and to 100 %, even for equal thirds', async () => {
    const thirds = new BearLumen({ apiKey: await server.createKey('cost-thirds'), baseUrl: server.url, handleExit: false });
    try {
      await thirds.usage.recordBatch(['a', 'b', 'c'].flatMap((agent) => call(`third-${agent}`, undefined, 'gpt-4o', 'openai', 7, 0, `third-${agent}`).slice(0, 1)));
      const breakdown = await thirds.costAttribution.byAgent(range());
      const micro = (usd: number): number => Math.round(usd * 1e6);
      expect(breakdown.items).toHaveLength(3);
      expect(breakdown.totalCostNanoUsd).toBeGreaterThan(0);
      // Plain rounding shows 33.33 three times (99.99 %).
      expect(breakdown.items.map((i) => i.percentOfTotal)).toEqual([33.34, 33.33, 33.33]);
      expect(breakdown.items.reduce((n, i) => n + micro(i.totalCost), 0)).toBe(micro(breakdown.totalCost));
    } finally {
      await thirds.shutdown();
    }
  });

  it('byWorkflow groups by workflow', async () => {
    const breakdown = await client.costAttribution.byWorkflow(range());
    expect(breakdown.dimension).toBe('workflow_id');
    expect(breakdown.items.find((i) => i.attributionValue === 'onboarding')?.eventCount).toBe(4);
  });

  it('listAgents / listWorkflows give the distinct values, sorted', async () => {
    expect((await client.costAttribution.listAgents(range())).values).toEqual(['research-agent', 'sales-agent', 'support-agent']);
    expect((await client.costAttribution.listWorkflows(range())).values).toEqual(['onboarding', 'report', 'ticket-triage']);
  });

  it('subscriptionId narrows to one subscription', async () => {
    const narrowed = await client.costAttribution.byAgent({ ...range(), subscriptionId });
    expect(narrowed.items.map((i) => i.attributionValue)).toEqual(['research-agent']);
    expect((await client.costAttribution.listWorkflows({ ...range(), subscriptionId })).values).toEqual(['report']);
  });
});
