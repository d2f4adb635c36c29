import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BearLumen, BearLumenValidationError, type UsageRecordInput } from '@bearlumen/node-sdk';
import { toWireEvent } from '../../src/internal/validate-usage';

const API_KEY = 'bl_test_unitunitunitunit0001';
const ORIGIN = 'http://bearlumen.invalid';
const NOW = Date.parse('2025-06-15T12:00:00Z');
const valid: UsageRecordInput = { eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: 1500 };

let agent: MockAgent;
let requests: number;
let client: BearLumen;

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  requests = 0;
  agent
    .get(ORIGIN)
    .intercept({ path: () => true, method: () => true })
    .reply(() => {
      requests++;
      return { statusCode: 200, data: { endUser: {}, endUsers: [], total: 0, values: [] } };
    })
    .persist();
  client = new BearLumen({ apiKey: API_KEY, baseUrl: ORIGIN, dispatcher: agent, handleExit: false, batching: false, maxRetries: 0 });
});

afterEach(async () => {
  await client.shutdown();
  await agent.close();
});

type Case = [name: string, call: (c: BearLumen) => Promise<unknown>, field: string, rule: RegExp];
// Casts through `never` feed deliberately wrong input to methods whose types forbid it, as JS callers could.
const bad = <T>(value: unknown): T => value as T;
const future = new Date(NOW + 10 * 60_000).toISOString();

const cases: Case[] = [
  ['endUsers.create without externalId', (c) => c.endUsers.create(bad({ name: 'x' })), 'data.externalId', /string of 1–255/],
  ['endUsers.create with empty externalId', (c) => c.endUsers.create({ externalId: '' }), 'data.externalId', /1–255 characters long/],
  ['endUsers.create with a bad email', (c) => c.endUsers.create({ externalId: 'u1', email: 'nope' }), 'data.email', /email address/],
  ['endUsers.create with array metadata', (c) => c.endUsers.create({ externalId: 'u1', metadata: bad([]) }), 'data.metadata', /must be an object/],
  ['endUsers.create with metadata over 10 KB', (c) => c.endUsers.create({ externalId: 'u1', metadata: { big: 'x'.repeat(11_000) } }), 'data.metadata', /at most 10240 bytes/],
  ['endUsers.create with an unknown key', (c) => c.endUsers.create(bad({ externalId: 'u1', externalID: 'u1' })), 'data.externalID', /not a known option/],
  ['endUsers.update with an empty id', (c) => c.endUsers.update('', { name: 'x' }), 'id', /1–255 characters/],
  ['endUsers.update with a numeric name', (c) => c.endUsers.update('eu_1', bad({ name: 5 })), 'data.name', /must be a string/],
  ['endUsers.list with a bad status', (c) => c.endUsers.list(bad({ status: 'active' })), 'params.status', /one of 'ACTIVE', 'DEACTIVATED'/],
  ['endUsers.list with limit 0', (c) => c.endUsers.list({ limit: 0 }), 'params.limit', /integer between 1 and 1000/],
  ['endUsers.list with limit 1001', (c) => c.endUsers.list({ limit: 1001 }), 'params.limit', /integer between 1 and 1000/],
  ['endUsers.list with offset -1', (c) => c.endUsers.list({ offset: -1 }), 'params.offset', /integer between 0/],
  ['endUsers.deactivate with a non-string id', (c) => c.endUsers.deactivate(bad(42)), 'id', /must be a string/],
  ['endUsers.reactivate with a 256-char id', (c) => c.endUsers.reactivate('e'.repeat(256)), 'id', /1–255/],
  ['subscriptions.create without userId', (c) => c.subscriptions.create(bad({ pricingPlanId: 'p', currentPeriodStart: '2025-01-01T00:00:00Z', currentPeriodEnd: '2025-02-01T00:00:00Z' })), 'data.userId', /string/],
  ['subscriptions.create with a non-ISO start', (c) => c.subscriptions.create({ userId: 'eu_1', pricingPlanId: 'p', currentPeriodStart: 'yesterday', currentPeriodEnd: '2025-02-01T00:00:00Z' }), 'data.currentPeriodStart', /ISO 8601 date.*RFC 3339/],
  ['subscriptions.create with Feb 30 as a date', (c) => c.subscriptions.create({ userId: 'eu_1', pricingPlanId: 'p', currentPeriodStart: '2025-02-30', currentPeriodEnd: '2025-03-31' }), 'data.currentPeriodStart', /ISO 8601 date/],
  ['subscriptions.create with the same day as start and end', (c) => c.subscriptions.create({ userId: 'eu_1', pricingPlanId: 'p', currentPeriodStart: '2025-01-01', currentPeriodEnd: '2025-01-01T00:00:00Z' }), 'data.currentPeriodEnd', /after currentPeriodStart/],
  ['subscriptions.create with Feb 30', (c) => c.subscriptions.create({ userId: 'eu_1', pricingPlanId: 'p', currentPeriodStart: '2025-02-30T00:00:00Z', currentPeriodEnd: '2025-03-31T00:00:00Z' }), 'data.currentPeriodStart', /RFC 3339/],
  ['subscriptions.create with end before start', (c) => c.subscriptions.create({ userId: 'eu_1', pricingPlanId: 'p', currentPeriodStart: '2025-02-01T00:00:00Z', currentPeriodEnd: '2025-01-01T00:00:00Z' }), 'data.currentPeriodEnd', /after currentPeriodStart/],
  ['subscriptions.retrieve with an empty id', (c) => c.subscriptions.retrieve(''), 'id', /1–255/],
  ['subscriptions.update with a bad period end', (c) => c.subscriptions.update('sub_1', { currentPeriodEnd: '2025-13-01T00:00:00Z' }), 'data.currentPeriodEnd', /RFC 3339/],
  ['subscriptions.cancel with undefined', (c) => c.subscriptions.cancel(bad(undefined)), 'id', /string/],
  ['subscriptions.list with status ACTIVE?', (c) => c.subscriptions.list(bad({ status: 'DEACTIVATED' })), 'params.status', /'ACTIVE', 'CANCELED'/],
  ['usage.record without eventType', (c) => c.usage.record(bad({ metricName: 'm', quantity: 1 })), 'eventType', /string/],
  ['usage.record with a space in metricName', (c) => c.usage.record({ ...valid, metricName: 'llm tokens' }), 'metricName', /letters, digits/],
  ['usage.record with a 101-char eventType', (c) => c.usage.record({ ...valid, eventType: 'e'.repeat(101) }), 'eventType', /1–100/],
  ['usage.record with negative quantity', (c) => c.usage.record({ ...valid, quantity: -1 }), 'quantity', /finite number between 0/],
  ['usage.record with NaN quantity', (c) => c.usage.record({ ...valid, quantity: Number.NaN }), 'quantity', /finite/],
  ['usage.record with a string quantity', (c) => c.usage.record(bad({ ...valid, quantity: '5' })), 'quantity', /finite/],
  ['usage.record with fractional tokens', (c) => c.usage.record({ ...valid, quantity: 1.5 }), 'quantity', /integer for llm_tokens/],
  ['usage.record with a non-ASCII idempotencyKey', (c) => c.usage.record({ ...valid, idempotencyKey: 'clé' }), 'idempotencyKey', /printable ASCII/],
  ['usage.record with a 256-char idempotencyKey', (c) => c.usage.record({ ...valid, idempotencyKey: 'k'.repeat(256) }), 'idempotencyKey', /1–255/],
  ['usage.record with a date-only timestamp', (c) => c.usage.record({ ...valid, timestamp: '2025-06-15' }), 'timestamp', /RFC 3339/],
  ['usage.record with a timestamp 10 minutes ahead', (c) => c.usage.record({ ...valid, timestamp: new Date(Date.now() + 10 * 60_000).toISOString() }), 'timestamp', /35 days ago and 5 minutes/],
  ['usage.record with a timestamp 36 days old', (c) => c.usage.record({ ...valid, timestamp: new Date(Date.now() - 36 * 86_400_000).toISOString() }), 'timestamp', /35 days ago/],
  ['usage.record with an empty agent_id', (c) => c.usage.record({ ...valid, agent_id: '' }), 'agent_id', /1–255/],
  ['usage.record with a numeric workflow_id', (c) => c.usage.record(bad({ ...valid, workflow_id: 7 })), 'workflow_id', /string/],
  ['usage.record with circular metadata', (c) => { const m: Record<string, unknown> = {}; m['self'] = m; return c.usage.record({ ...valid, metadata: m }); }, 'metadata', /JSON-serializable/],
  ['usage.record with an unknown key', (c) => c.usage.record(bad({ ...valid, agentId: 'a' })), 'agentId', /not a known option/],
  ['usage.record with null', (c) => c.usage.record(bad(null)), 'event', /must be an object/],
  ['usage.recordBatch with no events', (c) => c.usage.recordBatch([]), 'events', /1–1000 events/],
  ['usage.recordBatch with 1001 events', (c) => c.usage.recordBatch(Array.from({ length: 1001 }, () => valid)), 'events', /1–1000 events/],
  ['usage.recordBatch with a bad third event', (c) => c.usage.recordBatch([valid, valid, { ...valid, quantity: -5 }]), 'events[2].quantity', /finite number/],
  ['usage.recordBatch with an object', (c) => c.usage.recordBatch(bad({ events: [] })), 'events', /array/],
  ['usage.query with a bad startDate', (c) => c.usage.query({ startDate: '01/02/2024' }), 'params.startDate', /ISO 8601 date/],
  ['usage.query with end before start', (c) => c.usage.query({ startDate: '2024-02-01', endDate: '2024-01-01' }), 'params.endDate', /after startDate/],
  ['usage.query with limit 5000', (c) => c.usage.query({ limit: 5000 }), 'params.limit', /between 1 and 1000/],
  ['usage.aggregation with windowSize WEEK', (c) => c.usage.aggregation(bad({ windowSize: 'WEEK' })), 'params.windowSize', /'HOUR', 'DAY'/],
  ['usage.summary with an unknown key', (c) => c.usage.summary(bad({ from: '2024-01-01' })), 'params.from', /not a known option/],
  ['costAttribution.byAgent without params', (c) => c.costAttribution.byAgent(bad(undefined)), 'params', /must be an object/],
  ['costAttribution.byAgent without endDate', (c) => c.costAttribution.byAgent(bad({ startDate: '2024-01-01T00:00:00Z' })), 'params.endDate', /ISO 8601/],
  ['costAttribution.byWorkflow with reversed range', (c) => c.costAttribution.byWorkflow({ startDate: '2024-02-01T00:00:00Z', endDate: '2024-01-01T00:00:00Z' }), 'params.endDate', /after startDate/],
  ['costAttribution.listAgents with a bad date', (c) => c.costAttribution.listAgents({ startDate: 'x', endDate: '2024-01-31' }), 'params.startDate', /ISO 8601/],
  ['costAttribution.listWorkflows with a numeric subscriptionId', (c) => c.costAttribution.listWorkflows(bad({ startDate: '2024-01-01', endDate: '2024-01-31', subscriptionId: 5 })), 'params.subscriptionId', /string/],
  ['options.timeout 0', (c) => c.endUsers.list({}, { timeout: 0 }), 'options.timeout', /integer between 1 and 600000/],
  ['options.maxRetries 11', (c) => c.endUsers.list({}, { maxRetries: 11 }), 'options.maxRetries', /between 0 and 10/],
  ['options.signal not a signal', (c) => c.endUsers.list({}, bad({ signal: {} })), 'options.signal', /AbortSignal/],
  ['options with an unknown key', (c) => c.endUsers.list({}, bad({ retries: 3 })), 'options.retries', /not a known option/],
  ['options.idempotencyKey with a newline', (c) => c.endUsers.create({ externalId: 'u1' }, { idempotencyKey: 'a\nb' }), 'options.idempotencyKey', /printable ASCII/],
];

describe('client-side validation: rejects BearLumenValidationError naming field and rule before any request', () => {
  it.each(cases)('%s', async (_name, call, field, rule) => {
    const error: unknown = await call(client).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BearLumenValidationError);
    const v = error as BearLumenValidationError;
    expect(v.field).toBe(field);
    expect(v.rule).toMatch(rule);
    expect(v.message.startsWith(field)).toBe(true);
    expect(v.code).toBe('validation_error');
    expect(requests).toBe(0);
  });

  it('the counting dispatcher does see requests that pass validation (control)', async () => {
    await client.endUsers.list({ status: 'ACTIVE' });
    await client.costAttribution.listAgents({ startDate: '2024-01-01', endDate: '2024-01-31' });
    expect(requests).toBe(2);
  });

  it('quotes the received value in the message', async () => {
    await expect(client.usage.record({ ...valid, quantity: -1 })).rejects.toThrow('quantity must be a finite number between 0 and 1000000000000000 (got -1)');
  });

  it('accepts the boundaries: quantity 0, 255-char ids, 1000 events, metadata of exactly 10240 bytes', () => {
    expect(() => toWireEvent({ ...valid, quantity: 0, agent_id: 'a'.repeat(255) }, '', () => NOW)).not.toThrow();
    const filler = 'x'.repeat(10_240 - JSON.stringify({ k: '' }).length);
    expect(() => toWireEvent({ ...valid, metadata: { k: filler } }, '', () => NOW)).not.toThrow();
    expect(() => toWireEvent({ ...valid, metadata: { k: `${filler}x` } }, '', () => NOW)).toThrow(/at most 10240 bytes/);
    expect(() => toWireEvent({ ...valid, timestamp: future }, '', () => NOW)).toThrow(/5 minutes/);
    expect(() => toWireEvent({ ...valid, timestamp: new Date(NOW + 4 * 60_000).toISOString() }, '', () => NOW)).not.toThrow();
    expect(() => toWireEvent({ ...valid, metricName: 'api_calls', quantity: 0.25 }, '', () => NOW)).not.toThrow();
  });

  it('counts metadata size in UTF-8 bytes, not characters', () => {
    const euro = '€'.repeat(3_500); // 3 bytes each: 10 500 bytes in 3 500 characters
    expect(() => toWireEvent({ ...valid, metadata: { k: euro } }, '', () => NOW)).toThrow(/at most 10240 bytes/);
  });
});

describe('agent_id / workflow_id folding', () => {
  it('folds them into metadata without mutating the input', () => {
    const metadata = { model: 'gpt-4o' };
    const input = { ...valid, metadata, agent_id: 'support-agent', workflow_id: 'onboarding-flow' };
    const wire = toWireEvent(input, '', () => NOW);
    expect(wire).toEqual({ ...valid, metadata: { model: 'gpt-4o', agent_id: 'support-agent', workflow_id: 'onboarding-flow' } });
    expect(wire).not.toHaveProperty('agent_id');
    expect(metadata).toEqual({ model: 'gpt-4o' });
  });

  it('the explicit parameter wins over a metadata key of the same name', () => {
    const wire = toWireEvent({ ...valid, agent_id: 'explicit', metadata: { agent_id: 'from-metadata', workflow_id: 'kept' } }, '', () => NOW);
    expect(wire.metadata).toEqual({ agent_id: 'explicit', workflow_id: 'kept' });
  });

  it('the metadata copy is a plain object in the caller\'s key order, whatever shapes came before it', () => {
    // The copy is made by a constructor whose objects V8 sizes to the first copies' keys: later, larger
    // or differently ordered metadata must still come out whole, in order, and indistinguishable from a literal.
    for (let i = 0; i < 20; i++) toWireEvent({ ...valid, metadata: { a: i } }, '', () => NOW);
    const wide = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${39 - i}`, i % 2 === 0 ? i : `v${i}`]));
    const wire = toWireEvent({ ...valid, metadata: wide, agent_id: 'agent' }, '', () => NOW);
    expect(wire.metadata).toStrictEqual({ ...wide, agent_id: 'agent' });
    expect(Object.keys(wire.metadata ?? {})).toEqual([...Object.keys(wide), 'agent_id']);
    expect(Object.getPrototypeOf(wire.metadata)).toBe(Object.prototype);
    expect(wire.metadata?.constructor).toBe(Object);
    expect(JSON.stringify(wire.metadata)).toBe(JSON.stringify({ ...wide, agent_id: 'agent' }));
  });

  it('counts the folded ids in the 10 KB metadata limit', () => {
    const filler = 'x'.repeat(10_240 - JSON.stringify({ k: '' }).length);
    expect(() => toWireEvent({ ...valid, metadata: { k: filler }, agent_id: 'a' }, '', () => NOW)).toThrow(/at most 10240 bytes/);
  });
});
