/**
 * Shared pieces of the fault scenarios: a client tuned for fast retries, a workload whose events carry
 * a marker (`metadata.n`) so a logical event stored twice under two keys would be caught, and the
 * final check against the store: every recorded event stored exactly once, quantities summed.
 */
import pino from 'pino';
import { afterAll, beforeAll, expect } from 'vitest';
import { BearLumen, type BatchingOptions, type UsageRecordResponse } from '@bearlumen/node-sdk';
import type { Store } from '@bearlumen/node-sdk/server';
import { startChaosProxy, type ChaosProxy } from '../helpers/chaos-proxy';
import { startServer, type StartedServer } from '../helpers/start-server';
import { readStoredEvents, summarize, tenantIdOf } from '../helpers/stored-events';

/** The real server with a chaos proxy in front, started before the file's tests and stopped after them. */
export interface ProxiedServer {
  readonly server: StartedServer;
  readonly proxy: ChaosProxy;
}

/** Registers the file's beforeAll / afterAll; read `server` and `proxy` inside tests only. */
export function useProxiedServer(): ProxiedServer {
  const env = {} as { server: StartedServer; proxy: ChaosProxy };
  beforeAll(async () => {
    env.server = await startServer();
    env.proxy = await startChaosProxy(env.server.url);
  });
  afterAll(async () => {
    await env.proxy?.close();
    await env.server?.close();
  });
  return env;
}

/** A logger that drops everything (tests that inspect logs build their own). */
export const silentLogger = pino({ level: 'silent' });

/** Batching that retries in milliseconds instead of seconds, and keeps retrying for a minute. */
export const FAST_BATCHING: BatchingOptions = {
  flushIntervalMs: 5,
  retryBaseMs: 5,
  retryMaxMs: 50,
  maxRetryDurationMs: 60_000,
  shutdownTimeoutMs: 30_000,
};

/** A client against `baseUrl`, exit hook off, silent, fast retries; `batching` overrides FAST_BATCHING. */
export function fastClient(baseUrl: string, apiKey: string, batching: BatchingOptions = {}, timeout = 2000): BearLumen {
  return new BearLumen({ apiKey, baseUrl, timeout, handleExit: false, logger: silentLogger, batching: { ...FAST_BATCHING, ...batching } });
}

/** One recorded event of a workload and what became of its promise. */
export interface Recorded {
  marker: string;
  quantity: number;
  promise: Promise<UsageRecordResponse>;
}

/** Records `count` events with markers `<prefix>-<i>` and quantities 1..count (no explicit keys: the SDK stamps them). */
export function recordMany(client: BearLumen, count: number, prefix: string): Recorded[] {
  return Array.from({ length: count }, (_, i) => {
    const quantity = i + 1;
    const marker = `${prefix}-${i}`;
    return { marker, quantity, promise: client.usage.record({ eventType: 'fault_test', metricName: 'requests', quantity, metadata: { n: marker } }) };
  });
}

/**
 * The promise of the issue, checked on the store: every recorded event is stored exactly once (one row
 * per marker, one per key), the quantities sum up, nothing else is stored, and each record() promise
 * resolved with the stored event's id.
 */
export async function expectExactlyOnce(store: Store, apiKey: string, recorded: readonly Recorded[]): Promise<{ rows: number; quantitySum: number }> {
  const results = await Promise.all(recorded.map((r) => r.promise));
  const stored = summarize(await readStoredEvents(store, await tenantIdOf(store, apiKey)));
  const expectedSum = recorded.reduce((sum, r) => sum + r.quantity, 0);
  expect(stored.rows).toBe(recorded.length);
  expect(stored.quantitySum).toBe(expectedSum);
  for (const [key, rows] of stored.byKey) expect(rows.length, `rows with key ${key}`).toBe(1);
  recorded.forEach((r, i) => {
    const rows = stored.byMarker.get(r.marker) ?? [];
    expect(rows.length, `rows for ${r.marker}`).toBe(1);
    expect(rows[0]?.quantity).toBe(r.quantity);
    expect(rows[0]?.eventId).toBe(results[i]?.eventId);
  });
  return { rows: stored.rows, quantitySum: stored.quantitySum };
}
