/**
 * Ingest prices, ids and serialises only events whose key is new, and measures flat metadata with a
 * bound instead of serialising it. These tests pin what must not change because of that: replayed
 * batches, keyless events, in-batch conflicts, the exact 10 KB metadata rule and the stored metadata;
 * and timestamps, parsed without Date.parse for the usual shape, must still mean what Date.parse says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_METADATA_BYTES } from '../../../src/protocol/limits';
import type { UsageBatchResponse, UsageEvent, UsageQueryResponse } from '../../../src/protocol/types';
import { startServer, type StartedServer } from '../../helpers/start-server';
import { clientFor } from './inject';

const NOW = Date.parse('2026-06-15T12:00:00.000Z');
let server: StartedServer;
let api: ReturnType<typeof clientFor>;
let keyCounter = 0;

beforeAll(async () => {
  server = await startServer({ now: () => NOW });
  api = clientFor(server);
});
afterAll(async () => server.close());

const key = (): string => `replay-${++keyCounter}`;
const event = (over: Record<string, unknown> = {}) => ({ eventType: 'llm_call', metricName: 'llm_tokens_input', quantity: 10, idempotencyKey: key(), ...over });
const batch = (events: unknown[]) => api.post<UsageBatchResponse>('/v1/usage/events/batch', { events });

/** The stored event with this key, among the newest 1000 (of one metric, when given). */
async function storedEvent(idempotencyKey: string, metricName?: string): Promise<UsageEvent | undefined> {
  const metric = metricName === undefined ? '' : `&metricName=${metricName}`;
  const res = await api.get<UsageQueryResponse>(`/v1/usage/events?startDate=2026-01-01&endDate=2026-12-31&limit=1000${metric}`);
  return res.body.events.find((e) => e.idempotencyKey === idempotencyKey);
}

/** Flat metadata whose compact UTF-8 JSON is exactly `bytes` long, built from `unit` (its JSON size in bytes per character). */
function metadataOfSize(bytes: number, char: string, unitBytes: number): Record<string, string> {
  // {"s":"…"} is 8 bytes around the value; pad with ASCII to land exactly.
  const room = bytes - 8;
  const units = Math.floor(room / unitBytes);
  return { s: char.repeat(units) + 'a'.repeat(room - units * unitBytes) };
}

describe('batch replay', () => {
  it('a replayed batch of 1000 answers with the stored ids, recorded false, and stores nothing new', async () => {
    const events = Array.from({ length: 1000 }, (_, i) =>
      event({ quantity: i, metadata: { model: 'gpt-4o', provider: 'openai', i }, ...(i % 3 === 0 ? { agent_id: `a${i % 7}` } : {}) }),
    );
    const first = await batch(events);
    expect(first.status).toBe(200);
    expect(first.body.recordedCount).toBe(1000);
    const replay = await batch(events);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ recordedCount: 0, skippedCount: 1000, results: first.body.results.map((r) => ({ eventId: r.eventId, recorded: false })) });
    const stored = await storedEvent(events[3]?.idempotencyKey as string);
    expect(stored).toMatchObject({ eventId: first.body.results[3]?.eventId, metadata: { model: 'gpt-4o', provider: 'openai', i: 3, agent_id: 'a3' } });
  });

  it('keyless events in a batch are each recorded under their own id, which is also their key', async () => {
    const res = await batch([{ eventType: 'llm_call', metricName: 'keyless_replay', quantity: 1 }, { eventType: 'llm_call', metricName: 'keyless_replay', quantity: 1 }]);
    expect(res.body.recordedCount).toBe(2);
    const [a, b] = res.body.results;
    expect(a?.eventId).not.toBe(b?.eventId);
    for (const r of res.body.results) expect(await storedEvent(r.eventId)).toMatchObject({ eventId: r.eventId, idempotencyKey: r.eventId });
  });

  it('a key reused in one batch with other billable fields names an event id and writes nothing', async () => {
    const k = key();
    const res = await batch([event({ idempotencyKey: k }), event(), event({ idempotencyKey: k, quantity: 11 })]);
    expect(res.status).toBe(422);
    expect(res.error?.details).toEqual([expect.objectContaining({ index: 2, code: 'idempotency_key_reused', idempotencyKey: k, message: expect.stringMatching(/by event evt_\S+ with different/) })]);
    expect(await storedEvent(k)).toBeUndefined();
  });
});

describe('metadata size rule (compact UTF-8 JSON, at most 10 240 bytes)', () => {
  // Characters and their size inside a JSON string: ASCII 1, é 2, € 3, a quote 2 ("\""), U+0001 6 ("\u0001").
  it.each([
    ['ASCII', 'x', 1],
    ['é (2 bytes)', 'é', 2],
    ['€ (3 bytes)', '€', 3],
    ['escaped quote (2 bytes)', '"', 2],
    ['control character (6 bytes)', '\u0001', 6],
  ] as const)('%s: exactly the limit is accepted and stored as sent, one byte more is refused', async (_name, char, unit) => {
    const atLimit = metadataOfSize(MAX_METADATA_BYTES, char, unit);
    expect(Buffer.byteLength(JSON.stringify(atLimit), 'utf8')).toBe(MAX_METADATA_BYTES);
    const ok = event({ metadata: atLimit });
    expect((await batch([ok])).status).toBe(200);
    expect((await storedEvent(ok.idempotencyKey))?.metadata).toEqual(atLimit);

    const over = metadataOfSize(MAX_METADATA_BYTES + 1, char, unit);
    const res = await batch([event(), event({ metadata: over })]);
    expect(res.status).toBe(400);
    expect(res.error?.details).toEqual([expect.objectContaining({ index: 1, code: 'metadata_too_large', param: 'metadata' })]);
  });

  it('many small flat fields are measured exactly too', async () => {
    // 1 + 853 fields of "kNNN":1 (9-10 bytes each incl. comma) lands near the limit; trim to exactly it.
    const metadata: Record<string, number | string> = {};
    for (let i = 0; Buffer.byteLength(JSON.stringify(metadata), 'utf8') < MAX_METADATA_BYTES - 40; i++) metadata[`k${i}`] = i;
    const used = Buffer.byteLength(JSON.stringify({ ...metadata, pad: '' }), 'utf8');
    const exact = { ...metadata, pad: 'p'.repeat(MAX_METADATA_BYTES - used) };
    expect(Buffer.byteLength(JSON.stringify(exact), 'utf8')).toBe(MAX_METADATA_BYTES);
    expect((await batch([event({ metadata: exact })])).status).toBe(200);
    expect((await batch([event({ metadata: { ...exact, pad: `${exact.pad}p` } })])).error?.details?.[0]).toMatchObject({ code: 'metadata_too_large' });
  });

  it('a duplicate with oversized metadata still fails validation, like any event of the batch', async () => {
    const original = event();
    expect((await batch([original])).status).toBe(200);
    const res = await batch([{ ...original, metadata: metadataOfSize(MAX_METADATA_BYTES + 1, 'x', 1) }]);
    expect(res.status).toBe(400);
    expect(res.error?.details?.[0]).toMatchObject({ index: 0, code: 'metadata_too_large' });
  });

  it('nested metadata is stored as sent and its size rule still applies', async () => {
    const nested = { model: 'gpt-4o', tags: ['a', 'b'], deep: { x: { y: [1, 2, { z: null }] } }, flag: false };
    const ok = event({ metadata: nested, workflow_id: 'wf-1' });
    expect((await batch([ok])).status).toBe(200);
    expect((await storedEvent(ok.idempotencyKey))?.metadata).toEqual({ ...nested, workflow_id: 'wf-1' });
    const big = { nested: { s: 'x'.repeat(MAX_METADATA_BYTES) } };
    expect((await batch([event({ metadata: big })])).error?.details?.[0]).toMatchObject({ code: 'metadata_too_large' });
  });
});

describe('timestamps mean exactly what Date.parse says', () => {
  // The usual shape is parsed directly; every other form RFC3339 admits goes through Date.parse.
  const accepted = [
    '2026-06-15T11:59:59Z',
    '2026-06-15T11:59:59.9999Z',
    '2026-06-15T11:00:00.5Z',
    '2026-06-15T11:00:00.05Z',
    '2026-06-15T11:00:00.123456789Z',
    '2026-06-15T13:30:00+01:30',
    '2026-06-15T06:00:00.250-05:59',
    '2026-06-14T23:59:59-00:00',
    '2026-06-15T12:04:59.999Z',
    '2026-05-12T00:00:00Z',
    '2026-06-15t11:00:00z',
    '2026-06-15 11:00:00Z',
    '2026-05-31T23:59:59Z',
    '2026-05-30T24:00:00Z',
    '2026-06-01T00:00:00.000+23:59',
  ];
  it('stores each accepted form at the instant Date.parse gives', async () => {
    const events = accepted.map((timestamp) => event({ timestamp, metricName: 'timestamp_forms' }));
    const res = await batch(events);
    expect(res.status).toBe(200);
    for (const [i, timestamp] of accepted.entries()) {
      const stored = await storedEvent(events[i]?.idempotencyKey as string, 'timestamp_forms');
      expect(stored?.timestamp, timestamp).toBe(new Date(Date.parse(timestamp)).toISOString());
    }
  });

  it.each([
    ['2026-06-15T12:05:00.001Z', 'timestamp_out_of_range'],
    ['2026-05-11T11:59:59.999Z', 'timestamp_out_of_range'],
    ['2026-06-00T10:00:00Z', 'parameter_invalid'],
    ['2026-13-01T10:00:00Z', 'parameter_invalid'],
    ['2026-06-15T10:60:00Z', 'parameter_invalid'],
    ['2026-06-15T10:00:60Z', 'parameter_invalid'],
    ['2026-06-15T24:00:01Z', 'parameter_invalid'],
    ['2026-06-15T10:00:00+24:00', 'parameter_invalid'],
    ['2026-06-15T10:00:00+01:60', 'parameter_invalid'],
    ['2026-06-15T10:00:00', 'parameter_invalid'],
  ])('%s → %s', async (timestamp, code) => {
    const res = await batch([event({ timestamp })]);
    expect(res.error?.details?.[0]).toMatchObject({ index: 0, code, param: 'timestamp' });
  });
});
