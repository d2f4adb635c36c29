import { GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen } from '@bearlumen/node-sdk';
import { instrumentGoogleGenAI, integrationStats } from '@bearlumen/node-sdk/google';
import { sseData, startFakeUpstream, type FakeUpstream } from '../../helpers/fake-llm-upstream';
import { storedFor } from '../../helpers/llm-records';
import { startServer, type StartedServer } from '../../helpers/start-server';

let server: StartedServer;
let upstream: FakeUpstream;
let bearLumen: BearLumen;
let ai: GoogleGenAI;

const config = (name: string, extra: Record<string, string> = {}) => ({ httpOptions: { headers: { 'x-fake-scenario': name, ...extra } } });
const newClient = () => new GoogleGenAI({ apiKey: 'gemini-test', httpOptions: { baseUrl: upstream.url } });

beforeAll(async () => {
  [server, upstream] = await Promise.all([startServer(), startFakeUpstream()]);
  bearLumen = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false, batching: { flushIntervalMs: 10 } });
  ai = instrumentGoogleGenAI(newClient(), bearLumen, { agent_id: 'gemini-agent' });
});

afterAll(async () => {
  await bearLumen?.shutdown();
  await Promise.all([server?.close(), upstream?.close()]);
});

describe('instrumentGoogleGenAI', () => {
  it('generateContent records uncached input, cache reads and output with thoughts, with the reported modelVersion', async () => {
    const response = await ai.models.generateContent({ model: 'gemini-2.5-pro', contents: 'Hello', config: config('google/generate-content.json') });
    expect(response.text).toBe('Hello!');
    expect(upstream.requests.at(-1)?.path).toMatch(/models\/gemini-2\.5-pro:generateContent/);
    const { quantities, events } = await storedFor(bearLumen, 'google:G4gkaKnDFLOdz7IPoq-EsAs:');
    expect(quantities).toEqual({ llm_tokens_input: 4000, llm_tokens_cache_read: 8000, llm_tokens_output: 500 });
    for (const e of events) expect(e.metadata).toMatchObject({ model: 'gemini-2.5-pro', provider: 'google', request_input_tokens: 12000, agent_id: 'gemini-agent' });
    expect(events.find((e) => e.metricName === 'llm_tokens_output')?.metadata['reasoning_tokens']).toBe(200);
  });

  it('generateContentStream passes every chunk through and records the last chunk usage once', async () => {
    const before = integrationStats(bearLumen).events;
    const plain: unknown[] = [];
    for await (const chunk of await newClient().models.generateContentStream({ model: 'gemini-2.5-pro', contents: 'Hi', config: config('google/generate-content-stream.sse') })) plain.push(chunk);
    const seen: unknown[] = [];
    for await (const chunk of await ai.models.generateContentStream({ model: 'gemini-2.5-pro', contents: 'Hi', config: config('google/generate-content-stream.sse') })) seen.push(chunk);
    expect(seen).toHaveLength(sseData('google/generate-content-stream.sse').length);
    // Each chunk keeps the HTTP headers (sdkHttpResponse), whose date differs between the two requests.
    const body = (chunks: unknown[]) => JSON.stringify(chunks, (key, value: unknown) => (key === 'sdkHttpResponse' ? undefined : value));
    expect(body(seen)).toBe(body(plain));
    expect(body(seen)).toContain('"finishReason":"STOP"');
    const { quantities } = await storedFor(bearLumen, 'google:mYWxaPz7Kq2Sz7IP4bS3qAk:');
    expect(quantities).toEqual({ llm_tokens_input: 4000, llm_tokens_cache_read: 8000, llm_tokens_output: 500 });
    expect(integrationStats(bearLumen).events).toBe(before + 3);
  });

  it('a stream cut midway records only the prompt counts, never a partial output count', async () => {
    const before = integrationStats(bearLumen);
    const stream = await ai.models.generateContentStream({ model: 'gemini-2.5-pro', contents: 'Hi', config: config('google/generate-content-stream.sse', { 'x-fake-cut-after': '2' }) });
    await expect(
      (async () => {
        for await (const chunk of stream) void chunk;
      })(),
    ).rejects.toThrow();
    const after = integrationStats(bearLumen);
    expect(after.partial).toBe(before.partial + 1);
    expect(after.events).toBe(before.events + 2);
  });

  it('a failed request records nothing', async () => {
    const before = integrationStats(bearLumen);
    await expect(ai.models.generateContent({ model: 'gemini-2.5-pro', contents: 'x', config: config('anthropic/error-overloaded.json', { 'x-fake-status': '400' }) })).rejects.toThrow();
    expect(integrationStats(bearLumen)).toEqual(before);
  });
});
