import { describe, expect, it } from 'vitest';
import { nanoUsdFor, Pricer, tokenKindOf } from '../../../src/server/pricing';
import { parsePriceOverrides } from '../../../src/server/price-overrides';

const T = Date.parse('2026-06-15T12:00:00Z');
const haiku = { model: 'claude-3-haiku', provider: 'anthropic' };

describe('tokenKindOf', () => {
  it.each([
    ['llm_tokens_input', undefined, 'input'],
    ['llm_tokens_output', undefined, 'output'],
    ['llm_tokens_cache_read', undefined, 'cache_read'],
    ['llm_tokens_cache_write', undefined, 'cache_write'],
    ['llm_tokens', undefined, 'input'],
    ['llm_tokens', { token_type: 'output' }, 'output'],
    ['llm_tokens', { token_type: 'bogus' }, 'input'],
    ['llm_tokens_reasoning', undefined, null],
    ['api_calls', { token_type: 'output' }, null],
  ])('%s with %j → %s', (metric, metadata, kind) => {
    expect(tokenKindOf(metric, metadata)).toBe(kind);
  });
});

describe('nanoUsdFor', () => {
  it('converts USD per million tokens to integer nano-USD', () => {
    expect(nanoUsdFor(1000, 0.25)).toBe(250_000);
    expect(nanoUsdFor(1, 0.03)).toBe(30);
    expect(nanoUsdFor(3, 0.075)).toBe(225);
    expect(Number.isInteger(nanoUsdFor(7, 0.1))).toBe(true);
    expect(nanoUsdFor(1e15, 1e6)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('Pricer', () => {
  const pricer = new Pricer();

  it('prices each token kind of a known model from genai-prices, with the source', () => {
    expect(pricer.price('llm_tokens_input', 1_000_000, haiku, T)).toMatchObject({ costNanoUsd: 250_000_000, priced: true, tokenKind: 'input' });
    expect(pricer.price('llm_tokens_output', 1_000_000, haiku, T).costNanoUsd).toBe(1_250_000_000);
    expect(pricer.price('llm_tokens_cache_read', 1_000_000, haiku, T).costNanoUsd).toBe(30_000_000);
    expect(pricer.price('llm_tokens_cache_write', 1_000_000, haiku, T).costNanoUsd).toBe(300_000_000);
    expect(pricer.price('llm_tokens_input', 1, haiku, T).source).toMatch(/^genai-prices@\d/);
  });

  it('prices at the event timestamp: openai o3 before and after 2025-06-10', () => {
    const o3 = { model: 'o3', provider: 'openai' };
    expect(pricer.price('llm_tokens_input', 1_000_000, o3, Date.parse('2025-06-09T23:59:00Z')).costNanoUsd).toBe(10e9);
    expect(pricer.price('llm_tokens_input', 1_000_000, o3, Date.parse('2025-06-10T00:01:00Z')).costNanoUsd).toBe(2e9);
    expect(pricer.price('llm_tokens_output', 1_000_000, o3, Date.parse('2025-06-01T00:00:00Z')).costNanoUsd).toBe(40e9);
  });

  it('needs the provider where prices differ by provider', () => {
    expect(pricer.price('llm_tokens_input', 1_000_000, { model: 'llama-3.1-70b-versatile', provider: 'groq' }, T).costNanoUsd).toBe(590_000_000);
  });

  it('bills cache tokens as input for a model without a cache price', () => {
    const groq = { model: 'llama-3.1-70b-versatile', provider: 'groq' };
    expect(pricer.price('llm_tokens_cache_read', 1000, groq, T).costNanoUsd).toBe(pricer.price('llm_tokens_input', 1000, groq, T).costNanoUsd);
  });

  it('unknown or missing models cost 0 and are unpriced; non-token metrics cost 0 and are not unpriced', () => {
    expect(pricer.price('llm_tokens_input', 1000, { model: 'no-such-model-xyz', provider: 'openai' }, T)).toMatchObject({ costNanoUsd: 0, priced: false, source: null });
    expect(pricer.price('llm_tokens_input', 1000, undefined, T)).toMatchObject({ costNanoUsd: 0, priced: false });
    expect(pricer.price('llm_tokens_reasoning', 1000, haiku, T)).toMatchObject({ costNanoUsd: 0, priced: false });
    expect(pricer.price('api_calls', 3, undefined, T)).toMatchObject({ costNanoUsd: 0, priced: true, tokenKind: null });
  });

  it('metadata.cost (USD) overrides everything', () => {
    expect(pricer.price('llm_tokens_input', 1_000_000, { ...haiku, cost: 0.5 }, T)).toMatchObject({ costNanoUsd: 500_000_000, source: 'metadata', tokenKind: 'input' });
    expect(pricer.price('api_calls', 1, { cost: 0.000000001 }, T).costNanoUsd).toBe(1);
  });

  it('operator overrides win, latest effectiveFrom not after the event, glob models, optional provider', () => {
    const custom = new Pricer(
      parsePriceOverrides(
        JSON.stringify({
          prices: [
            { provider: 'anthropic', model: 'claude-3-haiku*', input: 1, output: 2 },
            { provider: 'anthropic', model: 'claude-3-haiku*', input: 3, effectiveFrom: '2026-06-01T00:00:00Z' },
            { model: 'in-house-?x*', input: 0.5 },
          ],
        }),
        'prices.json',
      ),
    );
    expect(custom.price('llm_tokens_input', 1_000_000, haiku, Date.parse('2026-05-31T00:00:00Z'))).toMatchObject({ costNanoUsd: 1e9, source: 'override' });
    expect(custom.price('llm_tokens_input', 1_000_000, haiku, T).costNanoUsd).toBe(3e9);
    // The newest entry has no output price: the older one in effect does.
    expect(custom.price('llm_tokens_output', 1_000_000, haiku, T).costNanoUsd).toBe(2e9);
    // A kind no override prices comes from genai-prices.
    expect(custom.price('llm_tokens_cache_write', 1_000_000, { model: 'claude-3-haiku', provider: 'other' }, T).priced).toBe(false);
    expect(custom.price('llm_tokens_cache_read', 1_000_000, haiku, T).costNanoUsd).toBe(3e9);
    expect(custom.price('llm_tokens_input', 1_000_000, { model: 'in-house-?x-7b' }, T).costNanoUsd).toBe(5e8);
    expect(custom.price('llm_tokens_input', 1_000_000, { model: 'in-house-ax-7b' }, T).priced).toBe(false);
  });
});

describe('parsePriceOverrides', () => {
  it.each([
    ['not json', /not valid JSON/],
    ['[]', /"prices" array/],
    ['{"prices":[1]}', /prices\[0\] must be an object/],
    ['{"prices":[{"input":1}]}', /prices\[0\]\.model/],
    ['{"prices":[{"model":"m"}]}', /at least one of/],
    ['{"prices":[{"model":"m","output":"1"}]}', /prices\[0\]\.output must be a number/],
    ['{"prices":[{"model":"m","input":1,"effectiveFrom":"soon"}]}', /effectiveFrom/],
    ['{"prices":[{"model":"m","input":1,"provider":3}]}', /provider must be a string/],
  ])('%s → error', (text, message) => {
    expect(() => parsePriceOverrides(text, 'p.json')).toThrow(message);
  });
});
