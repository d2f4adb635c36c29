/**
 * Before/after figures for the deadline and recovery behaviour (docs/pipeline.md "Deadlines",
 * "Outages"), printed as JSON lines; medians over `--runs`:
 *
 *   npx tsx scripts/measure-deadlines.ts shutdown [--runs 5]
 *     A list call stalled on a socket that never answers (client timeout 4 s), then
 *     shutdown({ timeoutMs: 100 }): how long shutdown took, ms.
 *   npx tsx scripts/measure-deadlines.ts recovery [--runs 3] [--outage-ms 20000]
 *     Default batching, 1000 events recorded while the server is down for `outage-ms`: the time from
 *     the server's restart until flush() has every event delivered, ms.
 *
 * BL_SDK_ENTRY=/path/to/other/dist/index.js measures another build of the SDK side by side.
 */
import { createServer, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type * as SdkModule from '../src/index';
import { startRestartableServer } from '../test/helpers/restartable-server';

type Sdk = typeof SdkModule;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string' }, 'outage-ms': { type: 'string' } },
});
const what = positionals[0] ?? 'shutdown';
const sdk: Sdk = (await import(process.env['BL_SDK_ENTRY'] ?? '../src/index')) as Sdk;
const logger = pino({ level: 'silent' });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function shutdownOverrun(): Promise<number> {
  const sockets = new Set<Socket>();
  const hole = createServer((socket) => {
    sockets.add(socket);
    socket.pause();
  });
  await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
  const address = hole.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const client = new sdk.BearLumen({ apiKey: 'bl_test_measure_measure_measure', baseUrl: `http://127.0.0.1:${address.port}`, timeout: 4000, maxRetries: 0, logger, handleExit: false });
  const listing = client.endUsers.list().catch(() => undefined);
  while (sockets.size === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const t0 = performance.now();
  await client.shutdown({ timeoutMs: 100 });
  const ms = performance.now() - t0;
  await listing;
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => hole.close(() => resolve()));
  return ms;
}

async function recovery(outageMs: number): Promise<number> {
  const server = await startRestartableServer();
  try {
    await server.stop();
    const client = new sdk.BearLumen({ apiKey: server.apiKey, baseUrl: server.url, logger, handleExit: false });
    for (let i = 0; i < 1000; i++) void client.usage.record({ eventType: 'measure', metricName: 'requests', quantity: 1 }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, outageMs));
    await server.start();
    const t0 = performance.now();
    await client.flush();
    const ms = performance.now() - t0;
    const stats = client.stats();
    await client.shutdown({ timeoutMs: 1000 });
    if (stats.delivered !== 1000) throw new Error(`only ${stats.delivered} of 1000 delivered`);
    return ms;
  } finally {
    await server.close();
  }
}

const runs = Number(values.runs ?? (what === 'shutdown' ? 5 : 3));
const figures: number[] = [];
for (let i = 0; i < runs; i++) {
  figures.push(what === 'shutdown' ? await shutdownOverrun() : await recovery(Number(values['outage-ms'] ?? 20_000)));
}
console.log(JSON.stringify({ what, entry: process.env['BL_SDK_ENTRY'] ?? 'src', runs, medianMs: Math.round(median(figures)), allMs: figures.map(Math.round) }));
