/**
 * shutdown({ timeoutMs }) keeps its deadline whatever is in flight: a stalled batch, a stalled
 * non-batch request (endUsers.list()), a socket that accepts and never answers, a dead server. What is
 * left at the deadline is aborted and reported. The proof is in the order of events: the stalling
 * peer lets go of its sockets only RELEASE_AFTER_MS (30 times the 100 ms deadline) after shutdown
 * began, and the client's request timeout is longer still, so shutdown must resolve before the peer
 * lets go (docs/pipeline.md "Deadlines").
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BearLumenClosedError, type BearLumen } from '@bearlumen/node-sdk';
import { ROUTES } from '../../src/protocol/routes';
import { fastClient, useProxiedServer } from './fault-kit';

const env = useProxiedServer();
const CLIENT_TIMEOUT_MS = 30_000;
/** When the black hole lets go of its sockets, counted from the start of shutdown. */
const RELEASE_AFTER_MS = 3000;

/** Waits (bounded) until `condition` holds, polling on a short timer. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A TCP server that accepts connections, reads nothing and never answers (a black hole). */
interface BlackHole {
  url: string;
  connections: () => number;
  /** Destroys every socket after `ms` (pushing 'released' to `order`) unless `settled` settles first. */
  releaseAfter: (ms: number, settled: Promise<unknown>, order: string[]) => Promise<void>;
  close: () => Promise<void>;
}

async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.pause();
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    connections: () => accepted,
    releaseAfter: async (ms, settled, order) => {
      let timer: NodeJS.Timeout | undefined;
      const released = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          order.push('released');
          for (const socket of sockets) socket.destroy();
          resolve();
        }, ms);
      });
      await Promise.race([settled, released]);
      clearTimeout(timer);
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Settles `promise` into an outcome and records when it did, relative to the other events of the test. */
function track<T>(promise: Promise<T>, name: string, order: string[]): Promise<PromiseSettledResult<T>> {
  return promise.then(
    (value) => {
      order.push(name);
      return { status: 'fulfilled', value } as const;
    },
    (reason: unknown) => {
      order.push(name);
      return { status: 'rejected', reason } as const;
    },
  );
}

function expectClosed(outcome: PromiseSettledResult<unknown>): void {
  expect(outcome.status).toBe('rejected');
  if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(BearLumenClosedError);
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  env.proxy.reset();
});

function client(baseUrl: string, apiKey: string, retryMaxMs = 50): BearLumen {
  const created = fastClient(baseUrl, apiKey, { retryMaxMs, retryBaseMs: Math.min(5, retryMaxMs) }, CLIENT_TIMEOUT_MS);
  cleanups.push(async () => void (await created.shutdown({ timeoutMs: 0 })));
  return created;
}

describe('fault: shutdown deadline', () => {
  it('aborts a stalled non-batch request at the deadline instead of waiting for it', async () => {
    const hole = await startBlackHole();
    cleanups.push(hole.close);
    const bl = client(hole.url, env.server.apiKey);
    const order: string[] = [];
    const listing = track(bl.endUsers.list(), 'list', order);
    await until(() => hole.connections() >= 1, 'the list request to connect');

    const shutdown = track(bl.shutdown({ timeoutMs: 100 }), 'shutdown', order);
    await hole.releaseAfter(RELEASE_AFTER_MS, shutdown, order);
    expect((await shutdown).status).toBe('fulfilled');
    expectClosed(await listing);
    expect(order).toEqual(['list', 'shutdown']);
  });

  it('aborts a stalled batch and reports its event as unsent', async () => {
    env.proxy.setScript((req) => (req.path === ROUTES.usageBatch ? { kind: 'stall', ms: 60_000 } : undefined));
    const bl = client(env.proxy.url, env.server.apiKey);
    const recorded = track(bl.usage.record({ eventType: 'deadline', metricName: 'requests', quantity: 1 }), 'record', []);
    await until(() => env.proxy.log.some((entry) => entry.path === ROUTES.usageBatch), 'the batch to reach the proxy');

    const report = await bl.shutdown({ timeoutMs: 100 });
    expect(report).toMatchObject({ delivered: 0, dropped: 1, droppedByReason: { shutdown_timeout: 1 } });
    expect(report.unsent).toHaveLength(1);
    expectClosed(await recorded);
  });

  it('keeps the deadline with a batch and a list call on sockets that accept and never answer', async () => {
    const hole = await startBlackHole();
    cleanups.push(hole.close);
    const bl = client(hole.url, env.server.apiKey);
    const order: string[] = [];
    const recorded = track(bl.usage.record({ eventType: 'deadline', metricName: 'requests', quantity: 1 }), 'record', order);
    const listing = track(bl.endUsers.list(), 'list', order);
    await until(() => hole.connections() >= 2, 'both requests to connect');

    const shutdown = track(bl.shutdown({ timeoutMs: 100 }), 'shutdown', order);
    await hole.releaseAfter(RELEASE_AFTER_MS, shutdown, order);
    const report = await shutdown;
    expect(report.status === 'fulfilled' ? report.value.unsent : undefined).toHaveLength(1);
    expectClosed(await recorded);
    expectClosed(await listing);
    // Both settled at the deadline, and shutdown returned before the peer let go of anything.
    expect(order.slice(2)).toEqual(['shutdown']);
    expect(order).not.toContain('released');
  });

  it('gives up on a dead server at the deadline while batches wait behind a long backoff', async () => {
    const hole = await startBlackHole();
    const deadUrl = hole.url;
    await hole.close();
    // retryMaxMs of 10 minutes: without the deadline the batch would wait far longer than the test.
    const bl = client(deadUrl, env.server.apiKey, 600_000);
    const recorded = track(bl.usage.record({ eventType: 'deadline', metricName: 'requests', quantity: 1 }), 'record', []);
    await until(() => bl.stats().lastError !== null, 'the first connection failure');

    const report = await bl.shutdown({ timeoutMs: 100 });
    expect(report).toMatchObject({ dropped: 1, droppedByReason: { shutdown_timeout: 1 } });
    expectClosed(await recorded);
  });
});
