import { describe, expect, it } from 'vitest';
import { isProblem, metadataJsonOfEvent, validateEvent, type ValidEvent } from '../../../src/server/validate-event';

const NOW = Date.parse('2026-06-15T12:00:00Z');
const base = { eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: 5 };

function ok(input: unknown): ValidEvent {
  const result = validateEvent(input, NOW);
  if (isProblem(result)) throw new Error(`unexpected problem ${JSON.stringify(result)}`);
  return result;
}

describe('validateEvent', () => {
  it('normalises a minimal event: timestamp defaults to now, no key, empty metadata', () => {
    expect(ok(base)).toEqual({
      eventType: 'token_usage',
      metricName: 'llm_tokens_input',
      quantity: 5,
      subscriptionId: null,
      idempotencyKey: null,
      timestampMs: NOW,
      metadata: undefined,
      metadataJson: null,
      agentId: null,
      workflowId: null,
    });
    expect(metadataJsonOfEvent(ok(base))).toBe('{}');
  });

  it('folds agent_id / workflow_id into metadata, top level winning, and denormalises them', () => {
    const v = ok({ ...base, agent_id: 'a', workflow_id: 'w', metadata: { agent_id: 'old', model: 'm' } });
    expect(v.metadata).toEqual({ agent_id: 'a', model: 'm', workflow_id: 'w' });
    expect(JSON.parse(metadataJsonOfEvent(v))).toEqual(v.metadata);
    expect([v.agentId, v.workflowId]).toEqual(['a', 'w']);
    expect(ok({ ...base, metadata: { workflow_id: 'w2' } }).workflowId).toBe('w2');
  });

  it('parses timestamps with offsets to epoch ms', () => {
    expect(ok({ ...base, timestamp: '2026-06-15T14:00:00.250+02:00' }).timestampMs).toBe(NOW + 250);
  });

  it('counts metadata size in UTF-8 bytes, not characters', () => {
    // 'é' is 2 bytes: 5110 of them plus the wrapper fit in 10 240 bytes, 5120 do not.
    expect(isProblem(validateEvent({ ...base, metadata: { s: 'é'.repeat(5110) } }, NOW))).toBe(false);
    expect(validateEvent({ ...base, metadata: { s: 'é'.repeat(5120) } }, NOW)).toMatchObject({ code: 'metadata_too_large', param: 'metadata' });
  });

  it('reports the first problem in field order, naming the field and quoting the value', () => {
    expect(validateEvent({ ...base, eventType: 'bad type', quantity: -1 }, NOW)).toMatchObject({ code: 'parameter_invalid', param: 'eventType' });
    const problem = validateEvent({ ...base, quantity: -1 }, NOW);
    expect(problem).toMatchObject({ code: 'quantity_invalid', param: 'quantity' });
    expect(isProblem(problem) && problem.message).toContain('(got -1)');
    expect(validateEvent({ ...base, quantity: Number.NaN }, NOW)).toMatchObject({ code: 'quantity_invalid' });
    expect(validateEvent({ ...base, quantity: Number.POSITIVE_INFINITY }, NOW)).toMatchObject({ code: 'quantity_invalid' });
  });

  it('accepts the integer rule only for llm_tokens* metrics', () => {
    expect(isProblem(validateEvent({ ...base, metricName: 'gpu_seconds', quantity: 0.5 }, NOW))).toBe(false);
    expect(validateEvent({ ...base, metricName: 'llm_tokens_output', quantity: 0.5 }, NOW)).toMatchObject({ code: 'quantity_invalid' });
  });

  it('checks the timestamp window inclusively at both ends', () => {
    const day = 86_400_000;
    expect(isProblem(validateEvent({ ...base, timestamp: new Date(NOW - 35 * day).toISOString() }, NOW))).toBe(false);
    expect(isProblem(validateEvent({ ...base, timestamp: new Date(NOW + 300_000).toISOString() }, NOW))).toBe(false);
    expect(validateEvent({ ...base, timestamp: new Date(NOW - 35 * day - 1).toISOString() }, NOW)).toMatchObject({ code: 'timestamp_out_of_range' });
    expect(validateEvent({ ...base, timestamp: new Date(NOW + 300_001).toISOString() }, NOW)).toMatchObject({ code: 'timestamp_out_of_range' });
    expect(validateEvent({ ...base, timestamp: '2026-02-30T00:00:00Z' }, NOW)).toMatchObject({ param: 'timestamp' });
  });

  it('rejects non-objects and unknown fields', () => {
    for (const input of [null, [], 'x', 3]) expect(validateEvent(input, NOW)).toMatchObject({ code: 'parameter_invalid', param: 'event' });
    expect(validateEvent({ ...base, idempotency_key: 'x' }, NOW)).toMatchObject({ param: 'idempotency_key' });
  });
});
