/**
 * The same random workload stored in both engines must read back identically, bit for bit: float
 * sums (fractional quantities), integer nano-USD sums beyond 2^32, sort orders and null groups.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewUsageEvent, Store, UsageFilter } from '@bearlumen/node-sdk/server';
import { HOUR, POSTGRES, SQLITE, T0, usageEvent } from './engines';

const DAY = 24 * HOUR;
const RANGE: UsageFilter = { startMs: T0 - DAY, endMs: T0 + 4 * DAY };

/** mulberry32: a seeded generator, so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function workload(seed: number, count: number): NewUsageEvent[] {
  const r = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const metrics = ['llm_tokens_input', 'llm_tokens_output', 'llm_tokens_cache_read', 'gpu_seconds', 'Requests', 'api.calls'] as const;
  return Array.from({ length: count }, (_, i) => {
    const metricName = pick(metrics);
    const tokens = metricName.startsWith('llm_tokens');
    return usageEvent({
      id: `evt_x${seed}_${i}`,
      idempotencyKey: `k${seed}-${i}`,
      metricName,
      eventType: tokens ? 'token_usage' : pick(['gpu', 'api']),
      // Fractions with up to 6 decimals: their naive float sums differ from compensated ones.
      quantity: tokens ? Math.floor(r() * 5000) : Number((r() * 10 ** Math.floor(r() * 4)).toFixed(Math.floor(r() * 7))),
      tokenKind: metricName === 'llm_tokens_input' ? 'input' : metricName === 'llm_tokens_output' ? 'output' : metricName === 'llm_tokens_cache_read' ? 'cache_read' : null,
      subscriptionId: pick([null, 'sub_1', 'sub_2']),
      timestampMs: T0 + Math.floor(r() * 3 * DAY),
      agentId: pick([null, 'planner', 'Writer', 'critic', '_tool']),
      workflowId: pick([null, 'wf-a', 'wf-b']),
      costNanoUsd: Math.floor(r() * 3_000_000_000),
      priced: r() > 0.1,
    });
  });
}

async function snapshot(store: Store, tenantId: string) {
  const filters: UsageFilter[] = [RANGE, { ...RANGE, subscriptionId: 'sub_1' }, { ...RANGE, agentId: 'planner' }, { ...RANGE, eventType: 'gpu' }];
  const out: unknown[] = [];
  for (const f of filters) {
    out.push(await store.aggregateUsage(tenantId, f, null));
    out.push(await store.aggregateUsage(tenantId, f, 'HOUR'));
    out.push(await store.aggregateUsage(tenantId, f, 'DAY'));
    out.push(await store.summarizeUsage(tenantId, f));
    for (const dim of ['agent_id', 'workflow_id'] as const) {
      const rows = await store.costBreakdown(tenantId, dim, f);
      out.push([...rows].sort((a, b) => String(a.value).localeCompare(String(b.value))));
      out.push(await store.attributionValues(tenantId, dim, f));
    }
    const q = await store.queryUsageEvents(tenantId, f, 1000, 0);
    out.push({ total: q.total, events: q.events.map(({ receivedAt: _r, ...e }) => e) });
  }
  return out;
}

describe.skipIf(!POSTGRES.available())('stores: SQLite and PostgreSQL read back the same workload identically', () => {
  const opened: { store: Store; dispose(): Promise<void> }[] = [];
  beforeAll(async () => {
    opened.push(await SQLITE.open('cross'), await POSTGRES.open('cross'));
  });
  afterAll(async () => {
    for (const o of opened) await o.dispose();
  });

  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: 2000 events, every read equal`, async () => {
      const events = workload(seed, 2000);
      const snapshots = [];
      for (const { store } of opened) {
        const tenant = (await store.ensureTenant(`cross-${seed}`)).id;
        for (let i = 0; i < events.length; i += 500) {
          const result = await store.insertUsageEvents(tenant, events.slice(i, i + 500));
          expect(result.ok).toBe(true);
        }
        snapshots.push(await snapshot(store, tenant));
      }
      expect(snapshots[1]).toEqual(snapshots[0]);
    });
  }
});
