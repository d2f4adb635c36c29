import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen } from '@bearlumen/node-sdk';
import { instrumentAnthropic, integrationStats } from '@bearlumen/node-sdk/anthropic';
import { fixtureText, sseData, startFakeUpstream, type FakeUpstream } from '../../helpers/fake-llm-upstream';
import { storedFor } from '../../helpers/llm-records';
import { startServer, type StartedServer } from '../../helpers/start-server';

let server: StartedServer;
let upstream: FakeUpstream;
let bearLumen: BearLumen;
let anthropic: Anthropic;

const scenario = (name: string, extra: Record<string, string> = {}) => ({ headers: { 'x-fake-scenario': name, ...extra } });
const body = { model: 'claude-sonnet-4-20250514', max_tokens: 1024, messages: [{ role: 'user' as const, content: 'Hello' }] };

beforeAll(async () => {
  [server, upstream] = await Promise.all([startServer(), startFakeUpstream()]);
  bearLumen = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false, batching: { flushIntervalMs: 10 } });
  anthropic = instrumentAnthropic(new Anthropic({ apiKey: 'sk-ant-test', baseURL: upstream.url, maxRetries: 0 }), bearLumen, { workflow_id: 'triage' });
});

afterAll(async () => {
  await bearLumen?.shutdown();
  await Promise.all([server?.close(), upstream?.close()]);
});

describe('instrumentAnthropic: messages.create', () => {
  it('records input, cache reads, 5-minute and 1-hour cache writes and output, each once', async () => {
    const message = await anthropic.messages.create(body, scenario('anthropic/message-cache.json'));
    expect(message).toEqual(JSON.parse(fixtureText('anthropic/message-cache.json')));
    const { quantities, events } = await storedFor(bearLumen, 'anthropic:msg_01XFDUDYJgAACzvnptvVoYEL:');
    expect(quantities).toEqual({ llm_tokens_input: 50, llm_tokens_cache_read: 10000, llm_tokens_cache_write: 1000, 'llm_tokens_cache_write:1h': 2000, llm_tokens_output: 400 });
    for (const event of events) {
      expect(event.metadata).toMatchObject({ model: 'claude-sonnet-4-20250514', provider: 'anthropic', operation: 'messages.create', request_input_tokens: 13050, workflow_id: 'triage' });
    }
    expect(events.filter((e) => e.metricName === 'llm_tokens_cache_write').map((e) => e.metadata?.['cache_ttl']).sort()).toEqual(['1h', '5m']);
  });

  it('a provider error records nothing and reaches the caller as the SDK error', async () => {
    const before = integrationStats(bearLumen);
    await expect(anthropic.messages.create(body, scenario('anthropic/error-overloaded.json', { 'x-fake-status': '529' }))).rejects.toBeInstanceOf(Anthropic.APIError);
    expect(integrationStats(bearLumen)).toEqual(before);
  });
});

describe('instrumentAnthropic: streams', () => {
  it('stream: true passes every event through and records the final usage from message_start + message_delta', async () => {
    const read = async (client: Anthropic) => {
      const seen: string[] = [];
      for await (const event of await client.messages.create({ ...body, stream: true }, scenario('anthropic/message-stream.sse'))) seen.push(JSON.stringify(event));
      return seen;
    };
    const plain = await read(new Anthropic({ apiKey: 'sk-ant-test', baseURL: upstream.url, maxRetries: 0 }));
    // The SDK itself drops `ping`; every other event arrives as the upstream sent it, with or without the wrapper.
    expect(plain).toEqual(sseData('anthropic/message-stream.sse').filter((d) => d !== '{"type":"ping"}'));
    expect(await read(anthropic)).toEqual(plain);
    const { quantities } = await storedFor(bearLumen, 'anthropic:msg_01StreamExample000000001:');
    expect(quantities).toEqual({ llm_tokens_input: 50, llm_tokens_cache_read: 10000, llm_tokens_cache_write: 1000, 'llm_tokens_cache_write:1h': 2000, llm_tokens_output: 400 });
  });

  it('messages.stream() goes through the wrapper and is recorded once', async () => {
    const before = integrationStats(bearLumen).events;
    const final = await anthropic.messages.stream(body, scenario('anthropic/message-stream.sse')).finalMessage();
    expect(final.usage.output_tokens).toBe(400);
    await bearLumen.flush();
    expect(integrationStats(bearLumen).events).toBe(before + 5);
  });

  it('a stream cut after message_start records only the input side the provider reported, and says so', async () => {
    const before = integrationStats(bearLumen);
    const stream = await anthropic.messages.create({ ...body, stream: true }, scenario('anthropic/message-stream.sse', { 'x-fake-cut-after': '4' }));
    await expect(
      (async () => {
        for await (const event of stream) void event;
      })(),
    ).rejects.toThrow();
    const after = integrationStats(bearLumen);
    expect(after.partial).toBe(before.partial + 1);
    expect(after.events).toBe(before.events + 4);
    await bearLumen.flush();
    // Same message id as the complete stream above: the input side is a duplicate of what it recorded.
    const { events } = await storedFor(bearLumen, 'anthropic:msg_01StreamExample000000001:');
    expect(events).toHaveLength(5);
  });

  it('a stream abandoned after message_start records the reported input side as partial, not as abandoned', async () => {
    const before = integrationStats(bearLumen);
    const stream = await anthropic.messages.create({ ...body, stream: true }, scenario('anthropic/message-stream.sse', { 'x-fake-gate': '1' }));
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    upstream.release();
    await iterator.return?.();
    expect(integrationStats(bearLumen).partial).toBe(before.partial + 1);
    expect(integrationStats(bearLumen).unmetered).toEqual(before.unmetered);
  });
});
