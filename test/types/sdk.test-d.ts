import pino from 'pino';
import { Agent, MockAgent } from 'undici';
import { describe, expectTypeOf, it } from 'vitest';
import {
  BearLumen,
  type BearLumenApiError,
  type BearLumenError,
  type BearLumenRateLimitError,
  type BearLumenValidationError,
  type AttributionDateRange,
  type AttributionValuesResponse,
  type BatchingOptions,
  type BearLumenConfig,
  type CostBreakdownItem,
  type CostBreakdownResponse,
  type EndUser,
  type EndUserCreateInput,
  type EndUserUpdateInput,
  type PipelineStats,
  type RequestOptions,
  type ShutdownReport,
  type Subscription,
  type SubscriptionCreateInput,
  type UsageEventInput,
  type UsageRecordInput,
  type UsageRecordResponse,
  type UsageRecordResult,
} from '@bearlumen/node-sdk';

declare const client: BearLumen;

describe('the reference surface', () => {
  it('constructs with the reference options and the added ones', () => {
    expectTypeOf(BearLumen).constructorParameters.toEqualTypeOf<[config?: BearLumenConfig]>();
    const config: BearLumenConfig = { apiKey: 'bl_live_x', baseUrl: 'https://api.bearlumen.com', timeout: 30000, maxRetries: 2, handleExit: false, batching: false };
    expectTypeOf(config).toMatchTypeOf<BearLumenConfig>();
    const batching: BatchingOptions = { maxBatchSize: 500, overflow: 'block' };
    expectTypeOf<BearLumenConfig['batching']>().toEqualTypeOf<BatchingOptions | false | undefined>();
    expectTypeOf(batching).toMatchTypeOf<BatchingOptions>();
    const injected: BearLumenConfig = { logger: pino({ level: 'info' }), dispatcher: new Agent() };
    expectTypeOf(injected).toMatchTypeOf<BearLumenConfig>();
    expectTypeOf(new MockAgent()).toMatchTypeOf<NonNullable<BearLumenConfig['dispatcher']>>();
    // @ts-expect-error unknown options are a type error (and a runtime error)
    const wrong: BearLumenConfig = { apiKey: 'x', timeOut: 5 };
    expectTypeOf(wrong).not.toBeAny();
  });

  it('endUsers returns { endUser } envelopes and the list counts', () => {
    expectTypeOf(client.endUsers.create).parameters.toEqualTypeOf<[data: EndUserCreateInput, options?: RequestOptions]>();
    expectTypeOf(client.endUsers.create).returns.resolves.toEqualTypeOf<{ endUser: EndUser }>();
    expectTypeOf(client.endUsers.update).parameters.toEqualTypeOf<[id: string, data: EndUserUpdateInput, options?: RequestOptions]>();
    expectTypeOf(client.endUsers.update).returns.resolves.toEqualTypeOf<{ endUser: EndUser }>();
    expectTypeOf(client.endUsers.deactivate).returns.resolves.toEqualTypeOf<{ endUser: EndUser }>();
    expectTypeOf(client.endUsers.reactivate).returns.resolves.toEqualTypeOf<{ endUser: EndUser }>();
    expectTypeOf(client.endUsers.list).returns.resolves.toEqualTypeOf<{
      endUsers: EndUser[];
      total: number;
      activeCount: number;
      deactivatedCount: number;
      limit: number;
      offset: number;
    }>();
    expectTypeOf(client.endUsers.iterate).returns.toEqualTypeOf<AsyncGenerator<EndUser, void, undefined>>();
    // @ts-expect-error status is a closed union
    void client.endUsers.list({ status: 'active' });
  });

  it('subscriptions return Subscription and { data, total }', () => {
    expectTypeOf(client.subscriptions.create).parameters.toEqualTypeOf<[data: SubscriptionCreateInput, options?: RequestOptions]>();
    expectTypeOf(client.subscriptions.create).returns.resolves.toEqualTypeOf<Subscription>();
    expectTypeOf(client.subscriptions.retrieve).returns.resolves.toEqualTypeOf<Subscription>();
    expectTypeOf(client.subscriptions.update).returns.resolves.toEqualTypeOf<Subscription>();
    expectTypeOf(client.subscriptions.cancel).returns.resolves.toEqualTypeOf<Subscription>();
    expectTypeOf(client.subscriptions.list).returns.resolves.toEqualTypeOf<{ data: Subscription[]; total: number; limit: number; offset: number }>();
    expectTypeOf(client.subscriptions.iterate).returns.toEqualTypeOf<AsyncGenerator<Subscription, void, undefined>>();
  });

  it('usage.record takes UsageRecordInput (agent_id, workflow_id, timestamp) and resolves UsageRecordResponse', () => {
    expectTypeOf(client.usage.record).parameters.toEqualTypeOf<[data: UsageRecordInput]>();
    expectTypeOf(client.usage.record).returns.resolves.toEqualTypeOf<UsageRecordResponse>();
    expectTypeOf<UsageRecordResponse>().toEqualTypeOf<{ eventId: string; recorded: boolean; spooled?: true }>();
    expectTypeOf<UsageRecordInput['agent_id']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<UsageRecordInput['workflow_id']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<UsageRecordInput['timestamp']>().toEqualTypeOf<string | undefined>();
    expectTypeOf(client.usage.recordBatch).parameters.toEqualTypeOf<[events: UsageRecordInput[], options?: RequestOptions]>();
    expectTypeOf(client.usage.recordBatch).returns.resolves.toEqualTypeOf<{ recordedCount: number; skippedCount: number; results: UsageRecordResult[] }>();
    expectTypeOf(client.usage.query).returns.resolves.toHaveProperty('events');
    expectTypeOf(client.usage.aggregation).returns.resolves.toHaveProperty('aggregations');
    expectTypeOf(client.usage.summary).returns.resolves.toHaveProperty('totalCost');
    // @ts-expect-error quantity is a number
    void client.usage.record({ eventType: 'token_usage', metricName: 'llm_tokens', quantity: '5' });
  });

  it('costAttribution returns CostBreakdownResponse and { values }', () => {
    expectTypeOf(client.costAttribution.byAgent).returns.resolves.toEqualTypeOf<CostBreakdownResponse>();
    expectTypeOf(client.costAttribution.byWorkflow).returns.resolves.toEqualTypeOf<CostBreakdownResponse>();
    expectTypeOf(client.costAttribution.listAgents).returns.resolves.toEqualTypeOf<AttributionValuesResponse>();
    expectTypeOf(client.costAttribution.listWorkflows).returns.resolves.toEqualTypeOf<AttributionValuesResponse>();
    expectTypeOf<AttributionValuesResponse>().toEqualTypeOf<{ values: string[] }>();
    expectTypeOf<CostBreakdownResponse['items']>().toEqualTypeOf<CostBreakdownItem[]>();
    expectTypeOf<CostBreakdownItem>().toHaveProperty('attributionValue').toEqualTypeOf<string | null>();
    expectTypeOf<CostBreakdownItem>().toHaveProperty('percentOfTotal').toEqualTypeOf<number>();
    expectTypeOf<AttributionDateRange>().toEqualTypeOf<{ startDate: string; endDate: string }>();
    // @ts-expect-error a date range is required
    void client.costAttribution.byAgent();
  });

  it('lifecycle methods and observers are typed', () => {
    expectTypeOf(client.flush).returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf(client.shutdown).parameters.toEqualTypeOf<[options?: { timeoutMs?: number }]>();
    expectTypeOf(client.shutdown).returns.resolves.toEqualTypeOf<ShutdownReport>();
    expectTypeOf(client.stats).returns.toEqualTypeOf<PipelineStats>();
    client.on('flush', (payload) => expectTypeOf(payload.count).toEqualTypeOf<number>());
    client.on('error', (payload) => expectTypeOf(payload.error).toMatchTypeOf<BearLumenError>());
    client.on('error', (payload) => expectTypeOf(payload.count).toEqualTypeOf<number>());
    client.on('drop', (payload) => expectTypeOf(payload.count).toEqualTypeOf<number>());
    client.on('drop', (payload) => expectTypeOf(payload.events).toEqualTypeOf<UsageEventInput[]>());
    expectTypeOf(client.stats().inFlightBatches).toEqualTypeOf<number>();
    expectTypeOf(client.on('flush', () => undefined)).toEqualTypeOf<() => void>();
  });

  it('errors carry their fields', () => {
    expectTypeOf<BearLumenApiError['status']>().toEqualTypeOf<number>();
    expectTypeOf<BearLumenApiError['requestId']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<BearLumenRateLimitError['retryAfterMs']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<BearLumenValidationError['field']>().toEqualTypeOf<string>();
    expectTypeOf<BearLumenApiError>().toMatchTypeOf<BearLumenError>();
  });
});
