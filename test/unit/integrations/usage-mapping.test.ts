import { readFileSync } from 'node:fs';
import { extractUsage, findProvider } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { mapUsage, type MappedUsage, type UsageApi } from '../../../src/integrations/usage-mapping';

const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(`../../fixtures/providers/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

// Given a usage block, the billed kinds. Each row is the provider's documented arithmetic written out.
const TABLE: { name: string; api: UsageApi; usage: unknown; expected: MappedUsage }[] = [
  {
    name: 'OpenAI chat: prompt_tokens includes cached_tokens',
    api: 'openai.chat',
    usage: fixture('openai/chat-cached.json')['usage'],
    expected: { tokens: { input: 2006 - 1920, cache_read: 1920, output: 300 }, reasoningTokens: 0, requestInputTokens: 2006 },
  },
  {
    name: 'OpenAI chat: completion_tokens includes reasoning_tokens (kept in metadata, not added)',
    api: 'openai.chat',
    usage: fixture('openai/chat-reasoning.json')['usage'],
    expected: { tokens: { input: 75, output: 1186 }, reasoningTokens: 1024, requestInputTokens: 75 },
  },
  {
    name: 'OpenAI chat: cache_write_tokens is part of prompt_tokens too',
    api: 'openai.chat',
    usage: { prompt_tokens: 5000, completion_tokens: 10, prompt_tokens_details: { cached_tokens: 1000, cache_write_tokens: 3000 } },
    expected: { tokens: { input: 1000, cache_read: 1000, cache_write: 3000, output: 10 }, reasoningTokens: undefined, requestInputTokens: 5000 },
  },
  {
    name: 'OpenAI responses: input_tokens includes cached_tokens, output_tokens includes reasoning_tokens',
    api: 'openai.responses',
    usage: fixture('openai/responses.json')['usage'],
    expected: { tokens: { input: 176, cache_read: 1024, output: 700 }, reasoningTokens: 512, requestInputTokens: 1200 },
  },
  {
    name: 'OpenAI embeddings: prompt_tokens only',
    api: 'openai.embeddings',
    usage: fixture('openai/embeddings.json')['usage'],
    expected: { tokens: { input: 8 }, reasoningTokens: undefined, requestInputTokens: 8 },
  },
  {
    name: 'Anthropic: input_tokens excludes cache reads and writes; writes split by TTL',
    api: 'anthropic.messages',
    usage: fixture('anthropic/message-cache.json')['usage'],
    expected: { tokens: { input: 50, cache_read: 10000, cache_write: 1000, cache_write_1h: 2000, output: 400 }, reasoningTokens: undefined, requestInputTokens: 13050 },
  },
  {
    name: 'Anthropic: without the cache_creation split every write is a 5-minute write',
    api: 'anthropic.messages',
    usage: { input_tokens: 10, cache_creation_input_tokens: 700, output_tokens: 5 },
    expected: { tokens: { input: 10, cache_write: 700, output: 5 }, reasoningTokens: undefined, requestInputTokens: 710 },
  },
  {
    name: 'Gemini: promptTokenCount includes cachedContentTokenCount; thoughts are output outside candidates',
    api: 'google.generateContent',
    usage: fixture('google/generate-content.json')['usageMetadata'],
    expected: { tokens: { input: 4000, cache_read: 8000, output: 500 }, reasoningTokens: 200, requestInputTokens: 12000 },
  },
];

describe('usage mapping, per provider', () => {
  it.each(TABLE)('$name', ({ api, usage, expected }) => {
    expect(mapUsage(api, usage)).toEqual(expected);
  });

  it('no token is counted twice: the kinds add up to what the provider reports in total', () => {
    for (const { api, usage, expected } of TABLE) {
      const sum = Object.values(expected.tokens).reduce((a, b) => a + b, 0);
      const u = usage as Record<string, number>;
      const total = api === 'anthropic.messages' ? expected.requestInputTokens + (u['output_tokens'] ?? 0) : (u['total_tokens'] ?? u['totalTokenCount'] ?? sum);
      expect(sum).toBe(total);
    }
  });

  it('a missing block, a non-integer count or kinds that would go negative record nothing', () => {
    expect(mapUsage('openai.chat', undefined)).toBe('missing');
    expect(mapUsage('openai.chat', null)).toBe('missing');
    expect(mapUsage('openai.chat', { prompt_tokens: 1.5, completion_tokens: 1 })).toBe('invalid');
    expect(mapUsage('openai.chat', { prompt_tokens: '10', completion_tokens: 1 })).toBe('invalid');
    expect(mapUsage('openai.chat', { prompt_tokens: 10, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 11 } })).toBe('invalid');
    expect(mapUsage('anthropic.messages', { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 5, cache_creation: { ephemeral_1h_input_tokens: 6 } })).toBe('invalid');
  });
});

// genai-prices maintains its own extractors next to its price data. Our rules are data of our own (the
// integrations run on Node 18 without genai-prices); this checks they agree with its reading of the
// same responses: its input_tokens is the whole prompt, cache reads and writes are parts of it.
describe('agrees with @pydantic/genai-prices extractUsage on the fixtures', () => {
  const cases: { provider: string; flavor: string | undefined; file: string; api: UsageApi; root: string }[] = [
    { provider: 'openai', flavor: 'chat', file: 'openai/chat-cached.json', api: 'openai.chat', root: 'usage' },
    { provider: 'openai', flavor: 'chat', file: 'openai/chat-reasoning.json', api: 'openai.chat', root: 'usage' },
    { provider: 'openai', flavor: 'responses', file: 'openai/responses.json', api: 'openai.responses', root: 'usage' },
    { provider: 'anthropic', flavor: undefined, file: 'anthropic/message-cache.json', api: 'anthropic.messages', root: 'usage' },
    { provider: 'anthropic', flavor: undefined, file: 'anthropic/message-long-context.json', api: 'anthropic.messages', root: 'usage' },
    { provider: 'google', flavor: undefined, file: 'google/generate-content.json', api: 'google.generateContent', root: 'usageMetadata' },
  ];
  it.each(cases)('$file', ({ provider, flavor, file, api, root }) => {
    const response = fixture(file);
    const found = findProvider({ providerId: provider });
    if (found === undefined) throw new Error(`genai-prices has no provider ${provider}`);
    const theirs = extractUsage(found, response, flavor).usage;
    const ours = mapUsage(api, response[root]);
    if (typeof ours === 'string') throw new Error(ours);
    const t = ours.tokens;
    expect(ours.requestInputTokens).toBe(theirs['input_tokens']);
    expect((t.input ?? 0) + (t.cache_read ?? 0) + (t.cache_write ?? 0) + (t.cache_write_1h ?? 0)).toBe(theirs['input_tokens']);
    expect(t.cache_read ?? 0).toBe(theirs['cache_read_tokens'] ?? 0);
    expect((t.cache_write ?? 0) + (t.cache_write_1h ?? 0)).toBe(theirs['cache_write_tokens'] ?? 0);
    expect(t.cache_write_1h ?? 0).toBe(theirs['cache_write_1h_tokens'] ?? 0);
    expect(t.output ?? 0).toBe(theirs['output_tokens']);
    expect(ours.reasoningTokens ?? 0).toBe(theirs['output_reasoning_tokens'] ?? 0);
  });
});
