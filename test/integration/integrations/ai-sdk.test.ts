import { createAnthropic } from '@ai-sdk/anthropic';
import { generateText, streamText, wrapLanguageModel } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen } from '@bearlumen/node-sdk';
import { bearLumenMiddleware, integrationStats } from '@bearlumen/node-sdk/ai-sdk';
import { startFakeUpstream, type FakeUpstream } from '../../helpers/fake-llm-upstream';
import { storedFor } from '../../helpers/llm-records';
import { startServer, type StartedServer } from '../../helpers/start-server';

let server: StartedServer;
let upstream: FakeUpstream;
let bearLumen: BearLumen;

const ALL_KINDS = { llm_tokens_input: 50, llm_tokens_cache_read: 10000, llm_tokens_cache_write: 1000, 'llm_tokens_cache_write:1h': 2000, llm_tokens_output: 400 };

beforeAll(async () => {
  [server, upstream] = await Promise.all([startServer(), startFakeUpstream()]);
  bearLumen = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false, batching: { flushIntervalMs: 10 } });
});

afterAll(async () => {
  await bearLumen?.shutdown();
  await Promise.all([server?.close(), upstream?.close()]);
});

const model = () =>
  wrapLanguageModel({
    model: createAnthropic({ apiKey: 'sk-ant-test', baseURL: `${upstream.url}/v1` })('claude-sonnet-4-20250514'),
    middleware: bearLumenMiddleware(bearLumen, { agent_id: 'ai-sdk-agent' }),
  });

describe('bearLumenMiddleware (Vercel AI SDK, real ai + @ai-sdk/anthropic against the fake upstream)', () => {
  it('generateText records every billed kind, 1-hour cache writes included, with the provider and model', async () => {
    const { text } = await generateText({ model: model(), prompt: 'Hello', maxRetries: 0, headers: { 'x-fake-scenario': 'anthropic/message-cache.json' } });
    expect(text).toBe('Hello!');
    const { quantities, events } = await storedFor(bearLumen, 'anthropic:msg_01XFDUDYJgAACzvnptvVoYEL:');
    expect(quantities).toEqual(ALL_KINDS);
    for (const e of events) {
      expect(e.metadata).toMatchObject({ provider: 'anthropic', model: 'claude-sonnet-4-20250514', operation: 'ai-sdk.generate', request_input_tokens: 13050, agent_id: 'ai-sdk-agent' });
      expect(e.priced).toBe(true);
    }
  });

  it('streamText passes the text through and records the final usage once', async () => {
    const before = integrationStats(bearLumen).events;
    const result = streamText({ model: model(), prompt: 'Hello', maxRetries: 0, headers: { 'x-fake-scenario': 'anthropic/message-stream.sse' } });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe('Hello!');
    const { quantities } = await storedFor(bearLumen, 'anthropic:msg_01StreamExample000000001:');
    expect(quantities).toEqual(ALL_KINDS);
    expect(integrationStats(bearLumen).events).toBe(before + 5);
  });

  it('a withAttribution scope wins over the middleware defaults', async () => {
    await bearLumen.withAttribution({ agent_id: 'scoped', workflow_id: 'wf-scope' }, () =>
      generateText({ model: model(), prompt: 'x', maxRetries: 0, headers: { 'x-fake-scenario': 'anthropic/message-long-context.json' } }),
    );
    const { events } = await storedFor(bearLumen, 'anthropic:msg_01LongContext000000000001:');
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(e.metadata).toMatchObject({ agent_id: 'scoped', workflow_id: 'wf-scope', request_input_tokens: 210000 });
  });

  it('a provider error records nothing', async () => {
    const before = integrationStats(bearLumen);
    await expect(generateText({ model: model(), prompt: 'x', maxRetries: 0, headers: { 'x-fake-scenario': 'anthropic/error-overloaded.json', 'x-fake-status': '400' } })).rejects.toThrow();
    expect(integrationStats(bearLumen)).toEqual(before);
  });
});
