import { describe, expect, it } from 'vitest';
import { createEventStamper, estimateEventBytes } from '../../../src/pipeline/event-stamp';
import type { UsageEventInput } from '../../../src/protocol/types';

const event: UsageEventInput = { eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: 3 };

describe('createEventStamper', () => {
  it('stamps the call time and a key without touching the caller object', () => {
    const stamp = createEventStamper(() => Date.parse('2026-01-02T03:04:05.678Z'));
    const stamped = stamp(event);
    expect(stamped).toMatchObject({ ...event, timestamp: '2026-01-02T03:04:05.678Z' });
    expect(event).not.toHaveProperty('idempotencyKey');
    expect(stamped.idempotencyKey).toMatch(/^[\x20-\x7e]{1,255}$/);
  });

  it('keeps a caller-given key and timestamp', () => {
    const stamp = createEventStamper();
    const given = { ...event, idempotencyKey: 'mine', timestamp: '2026-01-01T00:00:00.000Z' };
    expect(stamp(given)).toBe(given);
  });

  it('makes unique keys that sort in creation order within a client and differ between clients', () => {
    let clock = 1_700_000_000_000;
    const stamp = createEventStamper(() => clock);
    const keys: string[] = [];
    for (let i = 0; i < 5000; i++) {
      if (i % 1000 === 0) clock += 1;
      keys.push(stamp(event).idempotencyKey as string);
    }
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort()).toEqual(keys);
    const other = createEventStamper(() => clock);
    expect(keys).not.toContain(other(event).idempotencyKey);
  });
});

describe('estimateEventBytes', () => {
  it('is at least the JSON size for ASCII events with flat and nested metadata', () => {
    const samples: UsageEventInput[] = [
      { ...event, idempotencyKey: 'k'.repeat(40), timestamp: new Date().toISOString() },
      { ...event, subscriptionId: 'sub_123', metadata: { model: 'gpt-4o', provider: 'openai', n: 1.5, ok: true, none: null } },
      { ...event, metadata: { nested: { a: [1, 2, 3], b: 'x'.repeat(500) } } },
    ];
    for (const sample of samples) expect(estimateEventBytes(sample)).toBeGreaterThanOrEqual(JSON.stringify(sample).length);
  });
});
