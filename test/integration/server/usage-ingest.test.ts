import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../../src/protocol/limits';
import type { EndUserResponse, Subscription, UsageBatchResponse, UsageQueryResponse, UsageRecordResponse } from '../../../src/protocol/types';
import { startServer, type StartedServer } from '../../helpers/start-server';
import { clientFor } from './inject';

// A pinned clock makes the timestamp window exact.
const NOW = Date.parse('2026-06-15T12:00:00.000Z');
let server: StartedServer;
let api: ReturnType<typeof clientFor>;
let keyCounter = 0;

beforeAll(async () => {
  server = await startServer({ now: () => NOW });
  api = clientFor(server);
});
afterAll(async () => server.close());

const key = (): string => `k-${++keyCounter}`;
const event = (over: Record<string, unknown> = {}) => ({ eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: 10, idempotencyKey: key(), ...over });
const total = async (): Promise<number> => (await api.get<UsageQueryResponse>('/v1/usage/events?startDate=2026-01-01&endDate=2026-12-31&limit=1')).body.total;

describe('POST /v1/usage/events: validation names the field and never answers 5xx', () => {
  const DAY = 86_400_000;
  it.each([
    [{ eventType: undefined }, 'parameter_missing', 'eventType'],
    [{ eventType: '' }, 'parameter_invalid', 'eventType'],
    [{ eventType: 'a'.repeat(101) }, 'parameter_invalid', 'eventType'],
    [{ eventType: 'has space' }, 'parameter_invalid', 'eventType'],
    [{ eventType: 7 }, 'parameter_invalid', 'eventType'],
    [{ metricName: undefined }, 'parameter_missing', 'metricName'],
    [{ metricName: 'tokens/s' }, 'parameter_invalid', 'metricName'],
    [{ quantity: undefined }, 'parameter_missing', 'quantity'],
    [{ quantity: -1 }, 'quantity_invalid', 'quantity'],
    [{ quantity: 1e16 }, 'quantity_invalid', 'quantity'],
    [{ quantity: '10' }, 'quantity_invalid', 'quantity'],
    [{ quantity: 1.5 }, 'quantity_invalid', 'quantity'],
    [{ metricName: 'llm_tokens', quantity: 0.1 }, 'quantity_invalid', 'quantity'],
    [{ idempotencyKey: '' }, 'parameter_invalid', 'idempotencyKey'],
    [{ idempotencyKey: 'k'.repeat(256) }, 'parameter_invalid', 'idempotencyKey'],
    [{ idempotencyKey: 'tab\there' }, 'parameter_invalid', 'idempotencyKey'],
    [{ idempotencyKey: 'ünïcode' }, 'parameter_invalid', 'idempotencyKey'],
    [{ subscriptionId: '' }, 'parameter_invalid', 'subscriptionId'],
    [{ subscriptionId: 'sub_unknown' }, 'resource_missing', 'subscriptionId'],
    [{ timestamp: 'yesterday' }, 'parameter_invalid', 'timestamp'],
    [{ timestamp: '2026-06-15' }, 'parameter_invalid', 'timestamp'],
    [{ timestamp: '2026-06-15T12:00:00' }, 'parameter_invalid', 'timestamp'],
    [{ timestamp: new Date(NOW - 35 * DAY - 1000).toISOString() }, 'timestamp_out_of_range', 'timestamp'],
    [{ timestamp: new Date(NOW + 5 * 60_000 + 1000).toISOString() }, 'timestamp_out_of_range', 'timestamp'],
    [{ metadata: 'x' }, 'metadata_invalid', 'metadata'],
    [{ metadata: [1] }, 'metadata_invalid', 'metadata'],
    [{ metadata: null }, 'metadata_invalid', 'metadata'],
    [{ metadata: { blob: 'é'.repeat(5200) } }, 'metadata_too_large', 'metadata'],
    [{ metadata: { cost: 'free' } }, 'metadata_invalid', 'metadata.cost'],
    [{ metadata: { cost: -0.5 } }, 'metadata_invalid', 'metadata.cost'],
    [{ metadata: { cost: 1e300 } }, 'metadata_invalid', 'metadata.cost'],
    [{ metadata: { agent_id: 5 } }, 'metadata_invalid', 'metadata.agent_id'],
    [{ agent_id: '' }, 'parameter_invalid', 'agent_id'],
    [{ workflow_id: 'w'.repeat(256) }, 'parameter_invalid', 'workflow_id'],
    [{ agent_id: 'a', metadata: { pad: 'x'.repeat(10_230) } }, 'metadata_too_large', 'metadata'],
    [{ quantitiy: 5 }, 'parameter_invalid', 'quantitiy'],
  ])('%j → 400 %s on %s', async (over, code, param) => {
    const res = await api.post('/v1/usage/events', event(over));
    expect(res.status).toBe(400);
    expect(res.error).toMatchObject({ code, param, type: 'invalid_request_error' });
    expect(res.error?.message).toContain(param.split('.').pop());
  });

  it('accepts the edges: quantity 0 and 1e15, fractional non-token quantities, timestamps at both ends of the window', async () => {
    for (const over of [
      { quantity: 0 },
      { quantity: 1e15 },
      { metricName: 'gpu_seconds', quantity: 0.25 },
      { timestamp: new Date(NOW - 35 * DAY + 1000).toISOString() },
      { timestamp: new Date(NOW + 5 * 60_000).toISOString() },
      { timestamp: '2026-06-15T14:00:00+02:00' },
      { metadata: { blob: 'x'.repeat(10_000) } },
    ]) {
      const res = await api.post<UsageRecordResponse>('/v1/usage/events', event(over));
      expect(res.status, JSON.stringify(over)).toBe(200);
      expect(res.body.recorded).toBe(true);
    }
  });

  it('a non-object body or no body is a 400, not a 5xx', async () => {
    for (const body of ['[]', '"str"', '12']) {
      const res = await api.post('/v1/usage/events', body);
      expect(res.status).toBe(400);
      expect(res.error?.code).toBe('parameter_invalid');
    }
    for (const empty of [await api.post('/v1/usage/events'), await api.post('/v1/usage/events', 'null')]) {
      expect(empty.status).toBe(400);
      expect(empty.error?.code).toBe('parameter_missing');
    }
  });
});

describe('POST /v1/usage/events: idempotency', () => {
  it('same key and billable fields → the original eventId with recorded: false; timestamp and metadata are not compared', async () => {
    const body = event({ idempotencyKey: 'same-1', metadata: { model: 'a' } });
    const first = await api.post<UsageRecordResponse>('/v1/usage/events', body);
    expect(first.body).toEqual({ eventId: expect.stringMatching(/^evt_/), recorded: true });
    const again = await api.post<UsageRecordResponse>('/v1/usage/events', { ...body, timestamp: new Date(NOW - 60_000).toISOString(), metadata: { model: 'b' } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ eventId: first.body.eventId, recorded: false });
  });

  it.each([{ quantity: 11 }, { metricName: 'llm_tokens_output' }, { eventType: 'other' }, { subscriptionId: 'SUB' }])(
    'same key with a different %j → 422 idempotency_key_reused, nothing written',
    async (change) => {
      const user = (await api.post<EndUserResponse>('/v1/end-users', { externalId: `u-${key()}` })).body.endUser;
      const sub = (await api.post<Subscription>('/v1/subscriptions', { userId: user.id, pricingPlanId: 'p', currentPeriodStart: '2026-06-01T00:00:00Z', currentPeriodEnd: '2026-07-01T00:00:00Z' })).body;
      const k = key();
      await api.post('/v1/usage/events', event({ idempotencyKey: k }));
      const before = await total();
      const over = 'subscriptionId' in change ? { subscriptionId: sub.id } : change;
      const res = await api.post('/v1/usage/events', event({ idempotencyKey: k, ...over }));
      expect(res.status).toBe(422);
      expect(res.error).toMatchObject({ code: 'idempotency_key_reused', type: 'idempotency_error', param: 'idempotencyKey' });
      expect(await total()).toBe(before);
    },
  );

  it('an event without a key gets a server-generated one, so two identical keyless events are two events', async () => {
    const body = { eventType: 'token_usage', metricName: 'keyless', quantity: 3 };
    const a = await api.post<UsageRecordResponse>('/v1/usage/events', body);
    const b = await api.post<UsageRecordResponse>('/v1/usage/events', body);
    expect(a.body.recorded && b.body.recorded).toBe(true);
    expect(a.body.eventId).not.toBe(b.body.eventId);
    const stored = (await api.get<UsageQueryResponse>('/v1/usage/events?metricName=keyless&startDate=2026-01-01&endDate=2026-12-31')).body.events;
    expect(stored).toHaveLength(2);
    for (const e of stored) expect(e.idempotencyKey.length).toBeGreaterThan(0);
  });

  it('folds top-level agent_id / workflow_id into metadata', async () => {
    const k = key();
    await api.post('/v1/usage/events', event({ idempotencyKey: k, metricName: 'folded', agent_id: 'support-agent', workflow_id: 'onboarding', metadata: { model: 'm' } }));
    const stored = (await api.get<UsageQueryResponse>('/v1/usage/events?metricName=folded&startDate=2026-01-01&endDate=2026-12-31')).body.events[0];
    expect(stored?.metadata).toEqual({ model: 'm', agent_id: 'support-agent', workflow_id: 'onboarding' });
    expect(stored?.idempotencyKey).toBe(k);
  });

  it('rejects events after their subscription was canceled, accepts events stamped before', async () => {
    const user = (await api.post<EndUserResponse>('/v1/end-users', { externalId: 'cancel-owner' })).body.endUser;
    const sub = (await api.post<Subscription>('/v1/subscriptions', { userId: user.id, pricingPlanId: 'p', currentPeriodStart: '2026-06-01T00:00:00Z', currentPeriodEnd: '2026-07-01T00:00:00Z' })).body;
    await api.post(`/v1/subscriptions/${sub.id}/cancel`);
    const after = await api.post('/v1/usage/events', event({ subscriptionId: sub.id }));
    expect(after.error).toMatchObject({ code: 'subscription_canceled', param: 'subscriptionId' });
    const before = await api.post('/v1/usage/events', event({ subscriptionId: sub.id, timestamp: new Date(NOW - 60_000).toISOString() }));
    expect(before.status).toBe(200);
  });
});

describe('POST /v1/usage/events/batch', () => {
  it('records new events, skips duplicates (stored or repeated in the batch) with the original id', async () => {
    const stored = await api.post<UsageRecordResponse>('/v1/usage/events', event({ idempotencyKey: 'b-stored' }));
    const res = await api.post<UsageBatchResponse>('/v1/usage/events/batch', {
      events: [event({ idempotencyKey: 'b-new' }), event({ idempotencyKey: 'b-stored' }), event({ idempotencyKey: 'b-new', metadata: { differs: true } }), event({ idempotencyKey: 'b-new-2' })],
    });
    expect(res.status).toBe(200);
    expect(res.body.recordedCount).toBe(2);
    expect(res.body.skippedCount).toBe(2);
    const [a, b, c, d] = res.body.results;
    expect(a).toEqual({ eventId: expect.stringMatching(/^evt_/), recorded: true });
    expect(b).toEqual({ eventId: stored.body.eventId, recorded: false });
    expect(c).toEqual({ eventId: a?.eventId, recorded: false });
    expect(d?.recorded).toBe(true);
    const replay = await api.post<UsageBatchResponse>('/v1/usage/events/batch', { events: [event({ idempotencyKey: 'b-new' }), event({ idempotencyKey: 'b-new-2' })] });
    expect(replay.body).toEqual({ recordedCount: 0, skippedCount: 2, results: [{ eventId: a?.eventId, recorded: false }, { eventId: d?.eventId, recorded: false }] });
  });

  it('0 events → batch_empty, 1001 → batch_too_large, 1000 → ok', async () => {
    expect((await api.post('/v1/usage/events/batch', { events: [] })).error).toMatchObject({ code: 'batch_empty', param: 'events' });
    const tooMany = Array.from({ length: 1001 }, () => event());
    expect((await api.post('/v1/usage/events/batch', { events: tooMany })).error).toMatchObject({ code: 'batch_too_large', param: 'events' });
    const res = await api.post<UsageBatchResponse>('/v1/usage/events/batch', { events: tooMany.slice(0, 1000) });
    expect(res.body.recordedCount).toBe(1000);
    expect(res.body.results).toHaveLength(1000);
  });

  it('rejects a batch with invalid events as a whole: details for every failing event, nothing written', async () => {
    const before = await total();
    const events = [event(), event({ quantity: -5 }), event(), event({ subscriptionId: 'sub_ghost' }), event({ timestamp: '2020-01-01T00:00:00Z' }), event({ eventType: '' })];
    const res = await api.post('/v1/usage/events/batch', { events });
    expect(res.status).toBe(400);
    expect(res.error?.code).toBe('batch_validation_failed');
    expect(res.error?.details).toEqual([
      { index: 1, code: 'quantity_invalid', message: expect.any(String), param: 'quantity', idempotencyKey: events[1]?.idempotencyKey },
      { index: 3, code: 'resource_missing', message: expect.any(String), param: 'subscriptionId', idempotencyKey: events[3]?.idempotencyKey },
      { index: 4, code: 'timestamp_out_of_range', message: expect.any(String), param: 'timestamp', idempotencyKey: events[4]?.idempotencyKey },
      { index: 5, code: 'parameter_invalid', message: expect.any(String), param: 'eventType', idempotencyKey: events[5]?.idempotencyKey },
    ]);
    expect(await total()).toBe(before);
    // The valid events' keys were not burnt: resending them records them.
    const resend = await api.post<UsageBatchResponse>('/v1/usage/events/batch', { events: [events[0], events[2]] });
    expect(resend.body.recordedCount).toBe(2);
  });

  it('a key reused with other billable fields (in the batch or against the store) rejects the batch with 422, nothing written', async () => {
    await api.post('/v1/usage/events', event({ idempotencyKey: 'b-conflict-stored' }));
    const before = await total();
    const inBatch = await api.post('/v1/usage/events/batch', { events: [event({ idempotencyKey: 'b-c1' }), event({ idempotencyKey: 'b-c1', quantity: 99 })] });
    expect(inBatch.status).toBe(422);
    expect(inBatch.error?.details).toEqual([expect.objectContaining({ index: 1, code: 'idempotency_key_reused', idempotencyKey: 'b-c1' })]);
    const vsStore = await api.post('/v1/usage/events/batch', { events: [event(), event({ idempotencyKey: 'b-conflict-stored', quantity: 1 })] });
    expect(vsStore.status).toBe(422);
    expect(vsStore.error?.details?.[0]).toMatchObject({ index: 1, idempotencyKey: 'b-conflict-stored' });
    expect(await total()).toBe(before);
  });

  it.each([
    ['[]', 'parameter_invalid', undefined],
    ['{}', 'parameter_missing', 'events'],
    ['{"events": {}}', 'parameter_invalid', 'events'],
    ['{"events": [], "extra": 1}', 'batch_empty', 'events'],
    ['{"events": [null]}', 'batch_validation_failed', undefined],
  ])('body %s → 400 %s', async (body, code, param) => {
    const res = await api.post('/v1/usage/events/batch', body);
    expect(res.status).toBe(400);
    expect(res.error?.code).toBe(code);
    if (param !== undefined) expect(res.error?.param).toBe(param);
  });
});

describe('request bodies', () => {
  const batchUrl = '/v1/usage/events/batch';

  it('accepts Content-Encoding: gzip', async () => {
    const payload = gzipSync(JSON.stringify({ events: [event(), event()] }));
    const res = await api.post<UsageBatchResponse>(batchUrl, payload, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(res.body.recordedCount).toBe(2);
  });

  it('answers 400 invalid_content_encoding for a body that is not gzip, or truncated gzip', async () => {
    const notGzip = await api.post(batchUrl, JSON.stringify({ events: [event()] }), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(notGzip.status).toBe(400);
    expect(notGzip.error?.code).toBe('invalid_content_encoding');
    const full = gzipSync(JSON.stringify({ events: [event()] }));
    const truncated = await api.post(batchUrl, full.subarray(0, full.length - 8), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(truncated.status).toBe(400);
  });

  it('answers 415 for an unknown Content-Encoding or a non-JSON content type', async () => {
    const br = await api.post(batchUrl, '{}', { 'content-type': 'application/json', 'content-encoding': 'br' });
    expect(br.status).toBe(415);
    expect(br.error?.code).toBe('unsupported_media_type');
    const text = await api.post(batchUrl, 'events', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    const form = await api.post(batchUrl, 'a=1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
  });

  it('answers 400 invalid_json for malformed JSON', async () => {
    for (const body of ['{"events": [', '{events: []}', '\u0000']) {
      const res = await api.post(batchUrl, body);
      expect(res.status).toBe(400);
      expect(res.error?.code).toBe('invalid_json');
    }
  });

  it('answers 413 payload_too_large above 16 MiB, also when the limit is crossed only after decompression', async () => {
    const big = await api.post(batchUrl, `{"events":["${'x'.repeat(MAX_BODY_BYTES)}"]}`);
    expect(big.status).toBe(413);
    expect(big.error?.code).toBe('payload_too_large');
    const bomb = gzipSync(Buffer.alloc(MAX_BODY_BYTES + 1024, 0x20));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const res = await api.post(batchUrl, bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
  });
});
