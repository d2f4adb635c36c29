import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen } from '@bearlumen/node-sdk';
import { BearLumenSpanProcessor, integrationStats } from '@bearlumen/node-sdk/otel';
import { storedFor } from '../../helpers/llm-records';
import { startServer, type StartedServer } from '../../helpers/start-server';

let server: StartedServer;
let bearLumen: BearLumen;
let provider: BasicTracerProvider;

const nano = (tokens: number, usdPerMillion: number) => Math.round(tokens * usdPerMillion * 1000);

beforeAll(async () => {
  server = await startServer();
  bearLumen = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false, batching: { flushIntervalMs: 10 } });
  provider = new BasicTracerProvider({ spanProcessors: [new BearLumenSpanProcessor(bearLumen, { workflow_id: 'traced' })] });
});

afterAll(async () => {
  await provider?.shutdown();
  await bearLumen?.shutdown();
  await server?.close();
});

/** A span as a GenAI instrumentation emits it: `{operation} {model}`, CLIENT kind, attributes set at the end. */
function emit(name: string, attributes: Record<string, string | number>): void {
  const span = provider.getTracer('@opentelemetry/instrumentation-openai', '0.1.0').startSpan(name, { kind: 2 });
  span.setAttributes(attributes);
  span.end();
}

describe('BearLumenSpanProcessor', () => {
  it('current attribute names: input includes cache reads and writes, priced by the response model', async () => {
    emit('chat gpt-4o', {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.response.id': 'chatcmpl-otel0001',
      'gen_ai.usage.input_tokens': 2006,
      'gen_ai.usage.cache_read.input_tokens': 1920,
      'gen_ai.usage.output_tokens': 300,
    });
    const { events } = await storedFor(bearLumen, 'openai:chatcmpl-otel0001:');
    const byMetric = Object.fromEntries(events.map((e) => [e.metricName, [e.quantity, e.costNanoUsd]]));
    expect(byMetric).toEqual({
      llm_tokens_input: [86, nano(86, 2.5)],
      llm_tokens_cache_read: [1920, nano(1920, 1.25)],
      llm_tokens_output: [300, nano(300, 10)],
    });
    for (const e of events) expect(e.metadata).toMatchObject({ provider: 'openai', model: 'gpt-4o-2024-08-06', operation: 'otel.chat', workflow_id: 'traced' });
  });

  it('older attribute names (gen_ai.system, prompt_tokens, completion_tokens) and no response id: keyed by the span', async () => {
    emit('chat claude', {
      'gen_ai.system': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-20250514',
      'gen_ai.usage.prompt_tokens': 1200,
      'gen_ai.usage.completion_tokens': 80,
    });
    const { events } = await storedFor(bearLumen, 'anthropic:span-');
    expect(events.map((e) => [e.metricName, e.quantity, e.costNanoUsd]).sort()).toEqual([
      ['llm_tokens_input', 1200, nano(1200, 3)],
      ['llm_tokens_output', 80, nano(80, 15)],
    ]);
    expect(events[0]?.metadata['model']).toBe('claude-sonnet-4-20250514');
  });

  it('a Gemini span (gcp.gemini) maps to the google provider; spans without usage are ignored', async () => {
    const before = integrationStats(bearLumen).events;
    emit('embeddings', { 'gen_ai.operation.name': 'embeddings', 'gen_ai.provider.name': 'openai' });
    emit('generate_content gemini-2.5-pro', {
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.response.model': 'gemini-2.5-pro',
      'gen_ai.response.id': 'otel-gemini-1',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 10,
    });
    const { events } = await storedFor(bearLumen, 'google:otel-gemini-1:');
    expect(events.map((e) => e.costNanoUsd).sort((a, b) => a - b)).toEqual([nano(10, 10), nano(1000, 1.25)]);
    expect(integrationStats(bearLumen).events).toBe(before + 2);
  });

  it('an invalid count records nothing and is counted', async () => {
    const before = integrationStats(bearLumen).unmetered.usage_invalid ?? 0;
    emit('chat bad', { 'gen_ai.provider.name': 'openai', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.cache_read.input_tokens': 20 });
    expect(integrationStats(bearLumen).unmetered.usage_invalid).toBe(before + 1);
  });
});
