import { describe, expect, it } from 'vitest';
import { createEventStamper, estimateEventBytes } from '../../../src/pipeline/event-stamp';
import type { UsageEventInput } from '../../../src/protocol/types';

const event: UsageEventInput = { eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: 3 };

describe('createEventStamper', () => {
  /** What toWireEvent hands the pipeline: a fresh object with both slots present and empty. */
  const fresh = (): UsageEventInput => ({ ...event, idempotencyKey: undefined, timestamp: undefined }) as unknown as UsageEventInput;

  it('fills in the call time and a key, in place', () => {
    const stamp = createEventStamper(() => Date.parse('2026-01-02T03:04:05.678Z'));
    const wire = fresh();
    stamp(wire);
    expect(wire).toMatchObject({ ...event, timestamp: '2026-01-02T03:04:05.678Z' });
    expect(wire.idempotencyKey).toMatch(/^[0-9a-z]{9}-[0-9a-f]{12}-[0-9a-z]{6}$/);
  });

  it('keeps a caller-given key and timestamp', () => {
    const stamp = createEventStamper();
    const given = { ...event, idempotencyKey: 'mine', timestamp: '2026-01-01T00:00:00.000Z' };
    stamp(given);
    expect(given).toEqual({ ...event, idempotencyKey: 'mine', timestamp: '2026-01-01T00:00:00.000Z' });
  });

  it('makes unique keys that sort in creation order within a client and differ between clients', () => {
    let clock = 1_700_000_000_000;
    const stamp = createEventStamper(() => clock);
    const keyOf = (stamper: (e: UsageEventInput) => void): string => {
      const wire = fresh();
      stamper(wire);
      return wire.idempotencyKey as string;
    };
    const keys: string[] = [];
    for (let i = 0; i < 5000; i++) {
      if (i % 1000 === 0) clock += 1;
      keys.push(keyOf(stamp));
    }
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort()).toEqual(keys);
    expect(keys.every((key) => key.length === keys[0]?.length)).toBe(true);
    expect(keys).not.toContain(keyOf(createEventStamper(() => clock)));
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

  it('counts UTF-8 bytes, not characters: at least the UTF-8 JSON size for multi-byte text, short and long', () => {
    const samples: UsageEventInput[] = [
      { ...event, metadata: { 'clé': 'é', emoji: '😀😀', note: '€'.repeat(3000) } },
      { ...event, subscriptionId: 'sub_€€€', metadata: { text: '日本語のテキスト'.repeat(100), short: 'ünï' } },
      { ...event, metadata: { nested: { text: '€'.repeat(400) } } },
    ];
    for (const sample of samples) {
      const utf8 = Buffer.byteLength(JSON.stringify(sample), 'utf8');
      expect(estimateEventBytes(sample)).toBeGreaterThanOrEqual(utf8);
      // And not wildly above it: long text is measured, only short strings are rounded up.
      expect(estimateEventBytes(sample)).toBeLessThan(utf8 + 400);
    }
  });
});
