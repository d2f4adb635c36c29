/**
 * Billed exactly: for each provider, a documented usage block goes through the real integration and the
 * real server, and every stored event's cost equals the provider's list price arithmetic, to the
 * nano-dollar. The list prices are written out here (USD per million tokens, as the providers publish
 * them), not read from the price data, so a wrong mapping or a wrong tier shows up as a wrong cost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen } from '@bearlumen/node-sdk';
import { instrumentAnthropic } from '@bearlumen/node-sdk/anthropic';
import { instrumentGoogleGenAI } from '@bearlumen/node-sdk/google';
import { instrumentOpenAI } from '@bearlumen/node-sdk/openai';
import { startFakeUpstream, type FakeUpstream } from '../../helpers/fake-llm-upstream';
import { storedFor } from '../../helpers/llm-records';
import { startServer, type StartedServer } from '../../helpers/start-server';

/** nano-USD for `tokens` at `usdPerMillion`: tokens × price / 1e6 USD × 1e9 nano. */
const nano = (tokens: number, usdPerMillion: number) => Math.round(tokens * usdPerMillion * 1000);

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(async () => {
  await upstream?.close();
});

describe('list-price arithmetic with the bundled price data', () => {
  let server: StartedServer;
  let bearLumen: BearLumen;
  beforeAll(async () => {
    server = await startServer();
    bearLumen = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false, batching: { flushIntervalMs: 10 } });
  });
  afterAll(async () => {
    await bearLumen?.shutdown();
    await server?.close();
  });

  const headers = (name: string) => ({ 'x-fake-scenario': name });
  const cases = [
    {
      name: 'OpenAI gpt-4o-2024-08-06: input $2.50, cached input $1.25, output $10',
      call: () =>
        instrumentOpenAI(new OpenAI({ apiKey: 'sk', baseURL: `${upstream.url}/v1`, maxRetries: 0 }), bearLumen).chat.completions.create(
          { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] },
          { headers: headers('openai/chat-cached.json') },
        ),
      prefix: 'openai:chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG:',
      expected: { llm_tokens_input: nano(86, 2.5), llm_tokens_cache_read: nano(1920, 1.25), llm_tokens_output: nano(300, 10) },
    },
    {
      name: 'Anthropic claude-sonnet-4: input $3, 5-minute write $3.75, 1-hour write $6, cache read $0.30, output $15',
      call: () =>
        instrumentAnthropic(new Anthropic({ apiKey: 'sk', baseURL: upstream.url, maxRetries: 0 }), bearLumen).messages.create(
          { model: 'claude-sonnet-4-20250514', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] },
          { headers: headers('anthropic/message-cache.json') },
        ),
      prefix: 'anthropic:msg_01XFDUDYJgAACzvnptvVoYEL:',
      expected: {
        llm_tokens_input: nano(50, 3),
        llm_tokens_cache_read: nano(10000, 0.3),
        llm_tokens_cache_write: nano(1000, 3.75),
        'llm_tokens_cache_write:1h': nano(2000, 6),
        llm_tokens_output: nano(400, 15),
      },
    },
    {
      name: 'Gemini 2.5 Pro at 12k prompt tokens: input $1.25, cache read $0.125, output (thoughts included) $10',
      call: () =>
        instrumentGoogleGenAI(new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: upstream.url } }), bearLumen).models.generateContent({
          model: 'gemini-2.5-pro',
          contents: 'x',
          config: { httpOptions: { headers: headers('google/generate-content.json') } },
        }),
      prefix: 'google:G4gkaKnDFLOdz7IPoq-EsAs:',
      expected: { llm_tokens_input: nano(4000, 1.25), llm_tokens_cache_read: nano(8000, 0.125), llm_tokens_output: nano(500, 10) },
    },
    {
      name: 'Gemini 2.5 Pro above 200k prompt tokens: the whole request at the long-context tier ($2.50, $0.25, $15)',
      call: () =>
        instrumentGoogleGenAI(new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: upstream.url } }), bearLumen).models.generateContent({
          model: 'gemini-2.5-pro',
          contents: 'x',
          config: { httpOptions: { headers: headers('google/generate-content-long-context.json') } },
        }),
      prefix: 'google:LongContextGemini00000001:',
      expected: { llm_tokens_input: nano(200000, 2.5), llm_tokens_cache_read: nano(50000, 0.25), llm_tokens_output: nano(1500, 15) },
    },
  ];

  it.each(cases)('$name', async ({ call, prefix, expected }) => {
    await call();
    const { events } = await storedFor(bearLumen, prefix);
    const costs: Record<string, number> = {};
    for (const e of events) {
      costs[e.metadata['cache_ttl'] === '1h' ? `${e.metricName}:1h` : e.metricName] = e.costNanoUsd;
      expect(e.priced).toBe(true);
      expect(e.priceSource).toMatch(/^genai-prices@\d+\.\d+\.\d+/);
    }
    expect(costs).toEqual(expected);
  });
});

describe('bearlumen serve --prices-data FILE', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('close', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('prices from the newer data file: Claude Sonnet 4 above 200k tokens at its long-context tier, with the file as price source', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bearlumen-prices-'));
    const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
    const cli = join(process.cwd(), 'src', 'server', 'cli.ts');
    const data = join(process.cwd(), 'test', 'fixtures', 'prices', 'anthropic-long-context.json');
    const proc = spawn(tsx, [cli, 'serve', '--port', '0', '--db', join(dir, 'p.db'), '--prices-data', data], {
      env: { ...process.env, DATABASE_URL: '', BEARLUMEN_PRICES: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const { url, key } = await new Promise<{ url: string; key: string }>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}`)), 30_000);
      proc.stderr?.on('data', (c: Buffer) => (out += c.toString()));
      proc.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        const found = /listening on (http:\/\/\S+)/.exec(out)?.[1];
        const k = /BEARLUMEN_API_KEY=(\S+)/.exec(out)?.[1];
        if (found !== undefined && k !== undefined) {
          clearTimeout(timer);
          resolve({ url: found, key: k });
        }
      });
      proc.once('close', (code) => reject(new Error(`serve exited with ${code}:\n${out}`)));
    });
    const bearLumen = new BearLumen({ apiKey: key, baseUrl: url, handleExit: false, batching: { flushIntervalMs: 10 } });
    try {
      await instrumentAnthropic(new Anthropic({ apiKey: 'sk', baseURL: upstream.url, maxRetries: 0 }), bearLumen).messages.create(
        { model: 'claude-sonnet-4-20250514', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] },
        { headers: { 'x-fake-scenario': 'anthropic/message-long-context.json' } },
      );
      const { events } = await storedFor(bearLumen, 'anthropic:msg_01LongContext000000000001:');
      const costs = Object.fromEntries(events.map((e) => [e.metricName, e.costNanoUsd]));
      // 150,000 input + 60,000 cache read = 210,000 > 200,000: input $6, cache read $0.60, output $22.50.
      expect(costs).toEqual({ llm_tokens_input: nano(150000, 6), llm_tokens_cache_read: nano(60000, 0.6), llm_tokens_output: nano(2000, 22.5) });
      for (const e of events) expect(e.priceSource).toMatch(/^genai-prices-data:anthropic-long-context\.json@sha256:[0-9a-f]{12}$/);
    } finally {
      await bearLumen.shutdown();
    }
  });
});
