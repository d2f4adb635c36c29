import OpenAI, { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen } from '@bearlumen/node-sdk';
import { instrumentOpenAI, integrationStats } from '@bearlumen/node-sdk/openai';
import { fixtureText, sseData, startFakeUpstream, type FakeUpstream } from '../../helpers/fake-llm-upstream';
import { storedFor } from '../../helpers/llm-records';
import { startServer, type StartedServer } from '../../helpers/start-server';

let server: StartedServer;
let upstream: FakeUpstream;
let bearLumen: BearLumen;
let openai: OpenAI;

const scenario = (name: string, extra: Record<string, string> = {}) => ({ headers: { 'x-fake-scenario': name, ...extra } });
const messages = [{ role: 'user' as const, content: 'Hello' }];

beforeAll(async () => {
  [server, upstream] = await Promise.all([startServer(), startFakeUpstream()]);
  bearLumen = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false, batching: { flushIntervalMs: 10 } });
  openai = instrumentOpenAI(new OpenAI({ apiKey: 'sk-test', baseURL: `${upstream.url}/v1`, maxRetries: 0 }), bearLumen);
});

afterAll(async () => {
  await bearLumen?.shutdown();
  await Promise.all([server?.close(), upstream?.close()]);
});

describe('instrumentOpenAI: chat.completions.create', () => {
  it('records uncached input, cache reads and output from one response, with the reported model', async () => {
    const completion = await openai.chat.completions.create({ model: 'gpt-4o', messages }, scenario('openai/chat-cached.json'));
    expect(completion).toEqual(JSON.parse(fixtureText('openai/chat-cached.json')));
    const { quantities, events } = await storedFor(bearLumen, 'openai:chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG:');
    expect(quantities).toEqual({ llm_tokens_input: 86, llm_tokens_cache_read: 1920, llm_tokens_output: 300 });
    for (const event of events) {
      expect(event.eventType).toBe('llm_usage');
      expect(event.metadata).toMatchObject({ model: 'gpt-4o-2024-08-06', provider: 'openai', operation: 'chat.completions.create', request_input_tokens: 2006 });
      expect(event.priced).toBe(true);
    }
  });

  it('a replayed response is a duplicate, never a second charge', async () => {
    const before = integrationStats(bearLumen).events;
    await openai.chat.completions.create({ model: 'gpt-4o', messages }, scenario('openai/chat-cached.json'));
    const { events } = await storedFor(bearLumen, 'openai:chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG:');
    expect(events).toHaveLength(3);
    expect(integrationStats(bearLumen).events).toBe(before + 3);
    expect(bearLumen.stats().duplicates).toBeGreaterThanOrEqual(3);
  });

  it('reasoning tokens stay inside output and are kept in metadata', async () => {
    await openai.chat.completions.create({ model: 'o3-mini', messages }, scenario('openai/chat-reasoning.json'));
    const { quantities, events } = await storedFor(bearLumen, 'openai:chatcmpl-reason0001:');
    expect(quantities).toEqual({ llm_tokens_input: 75, llm_tokens_output: 1186 });
    expect(events.find((e) => e.metricName === 'llm_tokens_output')?.metadata).toMatchObject({ reasoning_tokens: 1024, model: 'o3-mini-2025-01-31' });
  });

  it('withResponse() still works through the wrapper', async () => {
    const { data, response } = await openai.chat.completions.create({ model: 'gpt-4o', messages }, scenario('openai/chat-reasoning.json')).withResponse();
    expect(response.status).toBe(200);
    expect(data.id).toBe('chatcmpl-reason0001');
  });

  it('a response without usage records nothing and says so', async () => {
    const before = integrationStats(bearLumen).unmetered.usage_missing ?? 0;
    await openai.chat.completions.create({ model: 'gpt-4o', messages }, scenario('openai/chat-no-usage.json'));
    expect((await storedFor(bearLumen, 'openai:chatcmpl-nousage0001')).events).toEqual([]);
    expect(integrationStats(bearLumen).unmetered.usage_missing).toBe(before + 1);
  });

  it('a failed provider call records nothing and the caller gets the provider error', async () => {
    const before = integrationStats(bearLumen);
    await expect(openai.chat.completions.create({ model: 'gpt-4o', messages }, scenario('anthropic/error-overloaded.json', { 'x-fake-status': '400' }))).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    expect(integrationStats(bearLumen)).toEqual(before);
  });
});

describe('instrumentOpenAI: streaming chat', () => {
  const read = async (stream: AsyncIterable<unknown>) => {
    const seen: string[] = [];
    for await (const chunk of stream) seen.push(JSON.stringify(chunk));
    return seen;
  };

  it('asks for usage, hides the extra chunk: the caller sees exactly the stream it would have seen', async () => {
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true }, scenario('openai/chat-stream.sse'));
    const seen = await read(stream);
    expect(seen).toEqual(sseData('openai/chat-stream.sse').filter((d) => d !== '[DONE]'));
    expect(upstream.requests.at(-1)?.body['stream_options']).toEqual({ include_usage: true });
    const { quantities } = await storedFor(bearLumen, 'openai:chatcmpl-stream0001:');
    expect(quantities).toEqual({ llm_tokens_input: 476, llm_tokens_cache_read: 1024, llm_tokens_output: 42 });
  });

  it('a caller that asked for usage gets every chunk the upstream sent, usage chunk included', async () => {
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true, stream_options: { include_usage: true } }, scenario('openai/chat-stream.sse'));
    expect(await read(stream)).toEqual(sseData('openai/chat-stream.include-usage.sse').filter((d) => d !== '[DONE]'));
  });

  it('the first chunk reaches the caller before the upstream has finished', async () => {
    const finishedBefore = upstream.finished();
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true }, scenario('openai/chat-stream.sse', { 'x-fake-gate': '1' }));
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    expect(upstream.finished()).toBe(finishedBefore);
    upstream.release();
    while (!(await iterator.next()).done);
    expect(upstream.finished()).toBe(finishedBefore + 1);
  });

  it('a stream cut midway records nothing and counts it as ended without usage', async () => {
    const before = integrationStats(bearLumen).unmetered.stream_ended_without_usage ?? 0;
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true }, scenario('openai/chat-stream.sse', { 'x-fake-cut-after': '2' }));
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const chunk of stream) seen.push(chunk);
      })(),
    ).rejects.toThrow();
    expect(seen).toHaveLength(2);
    expect(integrationStats(bearLumen).unmetered.stream_ended_without_usage).toBe(before + 1);
  });

  it('a stream the caller abandons records nothing and counts it as abandoned', async () => {
    const before = integrationStats(bearLumen).unmetered.stream_abandoned ?? 0;
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true }, scenario('openai/chat-stream.sse'));
    for await (const chunk of stream) {
      expect(chunk.id).toBe('chatcmpl-stream0001');
      break;
    }
    expect(integrationStats(bearLumen).unmetered.stream_abandoned).toBe(before + 1);
  });
});

describe('instrumentOpenAI: responses and embeddings', () => {
  it('responses.create records cached input and reasoning-inclusive output', async () => {
    await openai.responses.create({ model: 'o4-mini', input: 'Hi' }, scenario('openai/responses.json'));
    const { quantities, events } = await storedFor(bearLumen, 'openai:resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b:');
    expect(quantities).toEqual({ llm_tokens_input: 176, llm_tokens_cache_read: 1024, llm_tokens_output: 700 });
    expect(events.find((e) => e.metricName === 'llm_tokens_output')?.metadata).toMatchObject({ reasoning_tokens: 512, operation: 'responses.create' });
  });

  it('a streamed response is recorded once from response.completed, every event passed through', async () => {
    await bearLumen.flush();
    const before = integrationStats(bearLumen).events;
    const stream = await openai.responses.create({ model: 'o4-mini', input: 'Hi', stream: true }, scenario('openai/responses-stream.sse'));
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types).toEqual(['response.created', 'response.output_text.delta', 'response.completed']);
    expect(integrationStats(bearLumen).events).toBe(before + 3);
  });

  it('embeddings.create records input tokens under a generated key (the response has no id)', async () => {
    const before = integrationStats(bearLumen).events;
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' }, scenario('openai/embeddings.json'));
    await bearLumen.flush();
    expect(integrationStats(bearLumen).events).toBe(before + 1);
    const { events } = await storedFor(bearLumen, 'bl-llm-');
    const embedding = events.filter((e) => e.metadata?.['operation'] === 'embeddings.create');
    expect(embedding.map((e) => [e.metricName, e.quantity, e.metadata?.['model']])).toEqual([['llm_tokens_input', 8, 'text-embedding-3-small']]);
  });
});

describe('instrumentOpenAI: attribution, Azure, failures', () => {
  it('defaults apply, a withAttribution scope wins over them', async () => {
    const tagged = instrumentOpenAI(new OpenAI({ apiKey: 'sk-test', baseURL: `${upstream.url}/v1`, maxRetries: 0 }), bearLumen, { agent_id: 'default-agent', workflow_id: 'default-wf' });
    await bearLumen.withAttribution({ agent_id: 'scoped-agent' }, () => tagged.chat.completions.create({ model: 'o3-mini', messages }, scenario('openai/chat-reasoning.json')));
    // Same response id as an earlier test: the stored rows keep their first attribution (duplicates), so check the key space separately.
    const { events } = await bearLumen.usage.query({ agent_id: 'scoped-agent' });
    expect(events).toEqual([]);
    const fresh = instrumentOpenAI(new OpenAI({ apiKey: 'sk-test', baseURL: `${upstream.url}/v1`, maxRetries: 0 }), bearLumen, { agent_id: 'default-agent', workflow_id: 'default-wf' });
    await bearLumen.withAttribution({ agent_id: 'scoped-agent' }, () => fresh.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }, scenario('openai/embeddings.json')));
    await bearLumen.flush();
    const scoped = await bearLumen.usage.query({ agent_id: 'scoped-agent' });
    expect(scoped.events.map((e) => e.metadata)).toEqual([expect.objectContaining({ agent_id: 'scoped-agent', workflow_id: 'default-wf' })]);
  });

  it('an AzureOpenAI client is metered with provider azure and the model Azure reports', async () => {
    const azure = instrumentOpenAI(new AzureOpenAI({ apiKey: 'az-test', endpoint: upstream.url, apiVersion: '2024-10-21', deployment: 'my-gpt4o', maxRetries: 0 }), bearLumen);
    await azure.chat.completions.create({ model: 'my-gpt4o', messages }, scenario('openai/azure-chat.json'));
    expect(upstream.requests.at(-1)?.path).toMatch(/^\/openai\/deployments\/my-gpt4o\/chat\/completions\?api-version=2024-10-21/);
    const { quantities, events } = await storedFor(bearLumen, 'azure:chatcmpl-AzureExample0001:');
    expect(quantities).toEqual({ llm_tokens_input: 86, llm_tokens_cache_read: 1920, llm_tokens_output: 300 });
    expect(events.map((e) => [e.metadata?.['provider'], e.metadata?.['model']])).toEqual(Array(3).fill(['azure', 'gpt-4o-2024-08-06']));
  });

  it('instrumenting twice meters once; a closed BearLumen client never breaks the LLM call', async () => {
    expect(instrumentOpenAI(openai, bearLumen)).toBe(openai);
    const closed = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false });
    await closed.shutdown();
    const client = instrumentOpenAI(new OpenAI({ apiKey: 'sk-test', baseURL: `${upstream.url}/v1`, maxRetries: 0 }), closed);
    const completion = await client.chat.completions.create({ model: 'gpt-4o', messages }, scenario('openai/chat-cached.json'));
    expect(completion.id).toBe('chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG');
    await new Promise((resolve) => setImmediate(resolve));
    expect(integrationStats(closed).recordFailures).toBe(3);
  });

  it('invalid defaults are refused before anything is patched', () => {
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${upstream.url}/v1` });
    const create = client.chat.completions.create;
    expect(() => instrumentOpenAI(client, bearLumen, { agent_id: '' })).toThrow(/defaults\.agent_id/);
    expect(() => instrumentOpenAI(client, bearLumen, { provider: 'Open AI' })).toThrow(/defaults\.provider/);
    expect(() => instrumentOpenAI(client, {} as BearLumen)).toThrow(/bearLumen must be a BearLumen client/);
    expect(client.chat.completions.create).toBe(create);
  });
});
