/** The `bearlumen demo` workload (src/demo) against the real server: what `npm start` runs, at a smaller size. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkload } from '../../src/demo/run-workload';
import { DEMO_AGENTS } from '../../src/demo/workload';
import { startServer, type StartedServer } from '../helpers/start-server';

let server: StartedServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.close();
});

function sink(): { text: () => string; write: (s: string) => boolean } {
  const chunks: string[] = [];
  return { text: () => chunks.join(''), write: (s: string) => chunks.push(s) > 0 };
}

describe('demo workload', () => {
  it('records every event through usage.record and prints cost by agent and by workflow', async () => {
    const out = sink();
    const err = sink();
    const result = await runWorkload({ url: server.url, apiKey: server.apiKey, events: 3001, seed: 1, out, err });
    expect(result.report).toMatchObject({ delivered: 3001, duplicates: 0, failed: 0, dropped: 0, unsent: [] });
    expect(result.summary.totalEvents).toBe(3001);
    expect(result.summary.unpricedEventCount).toBe(0);
    expect(result.byAgent.items.map((i) => i.attributionValue).sort()).toEqual(DEMO_AGENTS.map((a) => a.id).sort());
    expect(result.byAgent.items.reduce((n, i) => n + i.eventCount, 0)).toBe(3001);
    expect(result.byWorkflow.totalCostNanoUsd).toBe(result.byAgent.totalCostNanoUsd);
    expect(result.byAgent.totalCost).toBeGreaterThan(0);
    const text = out.text();
    expect(text).toContain('Cost by agent');
    expect(text).toContain('Cost by workflow');
    expect(text).toMatch(/TOTAL\s+3,001/);
    expect(text).toContain('Delivered 3,001 events');
    expect(err.text()).toContain('100%');
  });

  it('a second run on the same tenant reuses the customers and reports only its own events', async () => {
    const result = await runWorkload({ url: server.url, apiKey: server.apiKey, events: 500, seed: 2, out: sink(), err: sink() });
    expect(result.summary.totalEvents).toBe(500);
    expect((await listCustomers()).length).toBe(4);
  });
});

async function listCustomers(): Promise<string[]> {
  const { BearLumen } = await import('@bearlumen/node-sdk');
  const client = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false });
  const ids: string[] = [];
  for await (const user of client.endUsers.iterate()) ids.push(user.externalId);
  await client.shutdown();
  return ids;
}
