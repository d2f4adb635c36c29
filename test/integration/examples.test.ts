/**
 * examples/ run as a user would run them (tsx, from source), against the real server and the fake
 * LLM upstream: the gateway meters and attributes each request and delivers everything on SIGTERM;
 * the worker drains its queue and exits 0 with every event delivered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen } from '@bearlumen/node-sdk';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-llm-upstream';
import { startServer, type StartedServer } from '../helpers/start-server';

const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
let server: StartedServer;
let upstream: FakeUpstream;
let client: BearLumen;

beforeAll(async () => {
  [server, upstream] = await Promise.all([startServer(), startFakeUpstream('openai/chat-cached.json')]);
  client = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false });
});
afterAll(async () => {
  await client?.shutdown();
  await Promise.all([server?.close(), upstream?.close()]);
});

function launch(example: string, env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(TSX, [join(process.cwd(), 'examples', example)], {
    env: { ...process.env, BEARLUMEN_API_KEY: server.apiKey, BEARLUMEN_BASE_URL: server.url, OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${upstream.url}/v1`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** The JSON line a finished example printed last. */
const lastJson = (out: string): Record<string, unknown> => JSON.parse(out.trim().split('\n').filter((l) => l.startsWith('{')).at(-1) ?? '{}') as Record<string, unknown>;

describe('examples/', () => {
  it('gateway: one request is metered under its agent and workflow; SIGTERM delivers everything and exits 0', { timeout: 90_000 }, async () => {
    const gateway = launch('gateway.ts', { PORT: '0' });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const found = /gateway listening on (http:\/\/\S+)/.exec(gateway.output())?.[1];
        if (found !== undefined) {
          clearInterval(timer);
          resolve(found);
        }
      }, 50);
      void gateway.exited.then(() => {
        clearInterval(timer);
        reject(new Error(`gateway exited:\n${gateway.output()}`));
      });
    });
    const res = await fetch(`${url}/chat`, { method: 'POST', body: JSON.stringify({ agent: 'example-agent', workflow: 'example-flow', message: 'Hi' }) });
    expect(await res.json()).toEqual({ reply: 'Hello! How can I help you today?', id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG' });
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
    const printed = lastJson(gateway.output());
    expect(printed).toMatchObject({ stopped: 'SIGTERM', report: { delivered: 3, failed: 0, dropped: 0, unsent: 0 }, integrations: { metered: 1, events: 3 } });
    const { events } = await client.usage.query({ agent_id: 'example-agent' });
    expect(events.map((e) => [e.metricName, e.quantity]).sort()).toEqual([
      ['llm_tokens_cache_read', 1920],
      ['llm_tokens_input', 86],
      ['llm_tokens_output', 300],
    ]);
    for (const e of events) expect(e.metadata).toMatchObject({ workflow_id: 'example-flow', service: 'gateway', model: 'gpt-4o-2024-08-06' });
  });

  it('worker: drains its jobs under the subscription and exits 0 with every event accounted for', { timeout: 90_000 }, async () => {
    const userId = (await client.endUsers.create({ externalId: 'worker-customer' })).endUser.id;
    const sub = await client.subscriptions.create({
      userId,
      pricingPlanId: 'plan',
      currentPeriodStart: new Date(Date.now() - 86_400_000).toISOString(),
      currentPeriodEnd: new Date(Date.now() + 86_400_000).toISOString(),
    });
    // Its own upstream with another response: the gateway's completion id is already stored without a
    // subscription, and the same key with a different subscription is refused (idempotency_key_reused).
    const workerUpstream = await startFakeUpstream('openai/chat-reasoning.json');
    const worker = launch('worker.ts', { JOBS: '2', SUBSCRIPTION_ID: sub.id, OPENAI_BASE_URL: `${workerUpstream.url}/v1` });
    const code = await worker.exited;
    await workerUpstream.close();
    expect({ code, output: code === 0 ? '' : worker.output() }).toEqual({ code: 0, output: '' });
    // Both jobs got the same fixture response (same id): the second one's events are duplicates, not charges.
    expect(lastJson(worker.output())).toMatchObject({ jobs: 2, failedJobs: 0, report: { failed: 0, dropped: 0, unsent: 0 }, integrations: { metered: 2, events: 4 } });
    const { events } = await client.usage.query({ subscriptionId: sub.id });
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(e.metadata).toMatchObject({ agent_id: 'summarizer', workflow_id: 'nightly-summary' });
  });
});
