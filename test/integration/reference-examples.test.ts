/**
 * Every code example of the published SDK reference (the API this package implements), run against the real server.
 * The examples are kept as written; only the placeholders are replaced: the key and base URL point at
 * the test server, and ids such as 'eu_12345' / 'sub_123' are ids the earlier examples created.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  BearLumen,
  BearLumenApiError,
  type AttributionDateRange,
  type AttributionValuesResponse,
  type BearLumenConfig,
  type CostBreakdownItem,
  type CostBreakdownResponse,
  type EndUser,
  type EndUserCreateInput,
  type EndUserUpdateInput,
  type Subscription,
  type SubscriptionCreateInput,
  type UsageRecordInput,
  type UsageRecordResponse,
} from '@bearlumen/node-sdk';
import { startServer, type StartedServer } from '../helpers/start-server';

let server: StartedServer;
let bearLumen: BearLumen;
let endUserId = '';
let canceledSubscriptionId = '';
let subscriptionId = '';
const logged: string[] = [];

beforeAll(async () => {
  server = await startServer();
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    logged.push(args.map(String).join(' '));
  });
});

afterAll(async () => {
  vi.restoreAllMocks();
  await bearLumen?.shutdown();
  await server?.close();
});

describe('reference examples', () => {
  it('Installation & Configuration: initialize the client', () => {
    bearLumen = new BearLumen({
      apiKey: server.apiKey, // Required
      baseUrl: server.url, // Optional (default)
      timeout: 30000, // Optional: 30s default
    });
    expect(bearLumen.endUsers).toBeDefined();
  });

  it('Create an End User', async () => {
    const { endUser } = await bearLumen.endUsers.create({
      externalId: 'user_123', // Required: your unique identifier
      name: 'AI Startup Inc', // Optional
      email: 'founder@aistartup.example', // Optional: for portal access
      metadata: { plan: 'pro' }, // Optional: max 10KB
    });
    expect(endUser).toMatchObject({ externalId: 'user_123', name: 'AI Startup Inc', metadata: { plan: 'pro' }, status: 'ACTIVE' });
    expect(endUser.id).toMatch(/^eu_/);
    endUserId = endUser.id;
  });

  it('Update an End User', async () => {
    const { endUser } = await bearLumen.endUsers.update(endUserId, {
      name: 'Updated Name',
      metadata: { plan: 'enterprise' },
    });
    expect(endUser).toMatchObject({ id: endUserId, name: 'Updated Name', metadata: { plan: 'enterprise' } });
  });

  it('List End Users', async () => {
    const { endUsers, total, activeCount, deactivatedCount } = await bearLumen.endUsers.list({
      status: 'ACTIVE', // Optional: 'ACTIVE' or 'DEACTIVATED'
      limit: 50, // Optional: default 100, max 1000
      offset: 0, // Optional
    });
    expect(endUsers.map((u) => u.id)).toEqual([endUserId]);
    expect({ total, activeCount, deactivatedCount }).toEqual({ total: 1, activeCount: 1, deactivatedCount: 0 });
  });

  it('Deactivate / Reactivate', async () => {
    // Soft delete (usage history retained)
    await bearLumen.endUsers.deactivate(endUserId);
    expect((await bearLumen.endUsers.list({ status: 'DEACTIVATED' })).endUsers.map((u) => u.id)).toEqual([endUserId]);

    // Restore access
    await bearLumen.endUsers.reactivate(endUserId);
    expect((await bearLumen.endUsers.list()).activeCount).toBe(1);
  });

  it('Create a Subscription', async () => {
    const subscription = await bearLumen.subscriptions.create({
      userId: endUserId, // Required
      pricingPlanId: 'plan_pro_monthly', // Required
      currentPeriodStart: new Date().toISOString(), // Required (ISO 8601)
      currentPeriodEnd: new Date(Date.now() + 30 * 86400000).toISOString(), // Required
      stripeSubscriptionId: 'sub_stripe_abc', // Optional
      metadata: { source: 'self-serve' }, // Optional
    });
    expect(subscription).toMatchObject({ userId: endUserId, pricingPlanId: 'plan_pro_monthly', status: 'ACTIVE', stripeSubscriptionId: 'sub_stripe_abc' });
    expect(subscription.id).toMatch(/^sub_/);
    canceledSubscriptionId = subscription.id;
  });

  it('Retrieve, Update, Cancel, List', async () => {
    // Get by ID
    const sub = await bearLumen.subscriptions.retrieve(canceledSubscriptionId);

    // Update fields
    const updated = await bearLumen.subscriptions.update(canceledSubscriptionId, {
      pricingPlanId: 'plan_enterprise',
    });

    // Cancel
    const cancelled = await bearLumen.subscriptions.cancel(canceledSubscriptionId);

    // List with optional filters
    const { data, total } = await bearLumen.subscriptions.list({
      userId: endUserId, // Optional
      limit: 20, // Optional
      offset: 0, // Optional
    });

    expect(sub.id).toBe(canceledSubscriptionId);
    expect(updated.pricingPlanId).toBe('plan_enterprise');
    expect(cancelled.status).toBe('CANCELED');
    expect(cancelled.canceledAt).not.toBeNull();
    expect(total).toBe(1);
    expect(data[0]).toMatchObject({ id: canceledSubscriptionId, status: 'CANCELED' });

    // An active subscription for the usage examples ('sub_123').
    subscriptionId = (
      await bearLumen.subscriptions.create({
        userId: endUserId,
        pricingPlanId: 'plan_pro_monthly',
        currentPeriodStart: new Date(Date.now() - 86400000).toISOString(),
        currentPeriodEnd: new Date(Date.now() + 29 * 86400000).toISOString(),
      })
    ).id;
  });

  it('Record a Single Event', async () => {
    const result = await bearLumen.usage.record({
      eventType: 'token_usage', // Required
      metricName: 'llm_tokens_input', // Required
      quantity: 1500, // Required
      subscriptionId: subscriptionId, // Optional
      idempotencyKey: 'unique-key', // Recommended: prevents duplicates
      metadata: {
        // Optional
        model: 'claude-3-haiku',
        provider: 'anthropic',
      },
    });

    console.log(result.eventId); // Unique event ID
    console.log(result.recorded); // true if new, false if duplicate

    expect(result.eventId).toMatch(/^evt_/);
    expect(result.recorded).toBe(true);
    expect(logged.slice(-2)).toEqual([result.eventId, 'true']);

    const again = await bearLumen.usage.record({
      eventType: 'token_usage',
      metricName: 'llm_tokens_input',
      quantity: 1500,
      subscriptionId: subscriptionId,
      idempotencyKey: 'unique-key',
      metadata: { model: 'claude-3-haiku', provider: 'anthropic' },
    });
    expect(again).toEqual({ eventId: result.eventId, recorded: false });
  });

  it('Agent and Workflow Attribution', async () => {
    await bearLumen.usage.record({
      eventType: 'token_usage',
      metricName: 'llm_tokens',
      quantity: 50000,
      agent_id: 'support-agent', // Convenience: folded into metadata
      workflow_id: 'onboarding-flow', // Convenience: folded into metadata
      idempotencyKey: `agent-${Date.now()}`,
    });
    const { events } = await bearLumen.usage.query({ agent_id: 'support-agent' });
    expect(events).toHaveLength(1);
    expect(events[0]?.metadata).toMatchObject({ agent_id: 'support-agent', workflow_id: 'onboarding-flow' });
  });

  it('Record Batch Events', async () => {
    const result = await bearLumen.usage.recordBatch([
      {
        eventType: 'token_usage',
        metricName: 'llm_tokens',
        quantity: 1000,
        idempotencyKey: 'batch-1-evt-1',
      },
      {
        eventType: 'token_usage',
        metricName: 'llm_tokens',
        quantity: 2000,
        idempotencyKey: 'batch-1-evt-2',
      },
    ]);

    console.log(`Recorded: ${result.recordedCount}, Skipped: ${result.skippedCount}`);
    expect(logged.at(-1)).toBe('Recorded: 2, Skipped: 0');
    expect(result.results).toHaveLength(2);
  });

  it('Query Usage Events', async () => {
    const events = await bearLumen.usage.query({
      subscriptionId: subscriptionId,
      metricName: 'llm_tokens_input',
      startDate: '2024-01-01',
      endDate: '2024-01-31',
      limit: 100,
    });
    expect(events).toMatchObject({ events: [], total: 0, limit: 100 });

    const now = await bearLumen.usage.query({ subscriptionId, metricName: 'llm_tokens_input', limit: 100 });
    expect(now.total).toBe(1);
    expect(now.events[0]).toMatchObject({ quantity: 1500, idempotencyKey: 'unique-key', subscriptionId });
  });

  it('Get Aggregated Usage', async () => {
    const aggregation = await bearLumen.usage.aggregation({
      subscriptionId: subscriptionId,
      startDate: '2024-01-01',
      endDate: '2024-01-31',
    });
    expect(aggregation.aggregations).toEqual([]);

    const current = await bearLumen.usage.aggregation({ subscriptionId });
    expect(current.aggregations).toMatchObject([{ metricName: 'llm_tokens_input', totalQuantity: 1500, eventCount: 1 }]);
  });

  it('Get Usage Summary', async () => {
    const summary = await bearLumen.usage.summary({
      subscriptionId: subscriptionId,
      startDate: '2024-01-01',
      endDate: '2024-01-31',
    });
    expect(summary.totalEvents).toBe(0);

    const current = await bearLumen.usage.summary({ subscriptionId });
    expect(current).toMatchObject({ totalEvents: 1, inputTokens: 1500 });
    expect(current.totalCost).toBeGreaterThan(0);
  });

  it('Cost Breakdown by Agent', async () => {
    const breakdown = await bearLumen.costAttribution.byAgent({
      startDate: '2024-01-01T00:00:00Z',
      endDate: '2024-01-31T23:59:59Z',
    });

    for (const item of breakdown.items) {
      console.log(`${item.attributionValue}: $${item.totalCost} (${item.percentOfTotal}%)`);
      console.log(`  Tokens: ${item.inputTokens} in / ${item.outputTokens} out`);
      console.log(`  Events: ${item.eventCount}`);
    }
    console.log(`Total: $${breakdown.totalCost}`);
    expect(logged.at(-1)).toBe('Total: $0');

    // The same loop over today's events lists the agent recorded above.
    const today = currentRange();
    const current = await bearLumen.costAttribution.byAgent(today);
    for (const item of current.items) {
      console.log(`${item.attributionValue}: $${item.totalCost} (${item.percentOfTotal}%)`);
      console.log(`  Tokens: ${item.inputTokens} in / ${item.outputTokens} out`);
      console.log(`  Events: ${item.eventCount}`);
    }
    expect(current.items.map((i) => i.attributionValue)).toContain('support-agent');
    expect(logged).toContain('  Tokens: 50000 in / 0 out');
    expect(current.items.reduce((sum, i) => sum + i.totalCostNanoUsd, 0)).toBe(current.totalCostNanoUsd);
  });

  it('Cost Breakdown by Workflow', async () => {
    const breakdown = await bearLumen.costAttribution.byWorkflow({
      startDate: '2024-01-01T00:00:00Z',
      endDate: '2024-01-31T23:59:59Z',
    });
    expect(breakdown).toMatchObject({ dimension: 'workflow_id', items: [] });
    const current = await bearLumen.costAttribution.byWorkflow(currentRange());
    expect(current.items.find((i) => i.attributionValue === 'onboarding-flow')?.eventCount).toBe(1);
  });

  it('List Unique Agents', async () => {
    const { values: agents } = await bearLumen.costAttribution.listAgents({
      startDate: '2024-01-01T00:00:00Z',
      endDate: '2024-01-31T23:59:59Z',
    });

    console.log('Active agents:', agents); // ['support-agent', 'sales-agent', ...]
    expect(agents).toEqual([]);
    expect((await bearLumen.costAttribution.listAgents(currentRange())).values).toEqual(['support-agent']);
  });

  it('List Unique Workflows', async () => {
    const { values: workflows } = await bearLumen.costAttribution.listWorkflows({
      startDate: '2024-01-01T00:00:00Z',
      endDate: '2024-01-31T23:59:59Z',
    });

    console.log('Active workflows:', workflows);
    expect(workflows).toEqual([]);
    expect((await bearLumen.costAttribution.listWorkflows(currentRange())).values).toEqual(['onboarding-flow']);
  });

  it('TypeScript Types: the 14 names are importable', () => {
    const config: BearLumenConfig = { apiKey: server.apiKey };
    const create: EndUserCreateInput = { externalId: 'x' };
    const update: EndUserUpdateInput = { name: null };
    const input: UsageRecordInput = { eventType: 'e', metricName: 'm', quantity: 1 };
    const range: AttributionDateRange = currentRange();
    const values: AttributionValuesResponse = { values: [] };
    const types: [EndUser?, Subscription?, SubscriptionCreateInput?, UsageRecordResponse?, CostBreakdownResponse?, CostBreakdownItem?] = [];
    expect([config, create, update, input, range, values, types]).toHaveLength(7);
    expect(BearLumenApiError.prototype).toBeInstanceOf(Error);
    expect(typeof BearLumen).toBe('function');
  });
});

function currentRange(): AttributionDateRange {
  return { startDate: new Date(Date.now() - 86400000).toISOString(), endDate: new Date(Date.now() + 60000).toISOString() };
}
