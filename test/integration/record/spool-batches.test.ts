/**
 * With the spool on, a batch body reuses the text the spool's group write encoded (whole runs of events)
 * and encodes the rest itself. The server answers per event, in body order, and each answer settles the
 * record() at the same place in the batch: so whatever mix of whole runs, cut runs, unencoded events
 * and replayed ones a batch holds, every record() must resolve the id of its own event.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen, type UsageRecordResponse } from '@bearlumen/node-sdk';
import { decodeSegment } from '../../../src/pipeline/spool/framing';
import { startServer, type StartedServer } from '../../helpers/start-server';
import { readStoredEvents, tenantIdOf } from '../../helpers/stored-events';

let server: StartedServer;
let dir: string;

beforeAll(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), 'bearlumen-spool-batches-'));
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const record = (client: BearLumen, marker: string): Promise<UsageRecordResponse> => client.usage.record({ eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: 1, metadata: { marker } });

describe('spool on: batch bodies built from encoded runs', () => {
  it('every record() resolves its own event, across batches that cut runs, flushes mid-turn and replayed events', async () => {
    const apiKey = await server.createKey('spool-batches');
    // A backlog left by a client that never reached a server: replayed into the same batches as live events.
    const stranded = new BearLumen({ apiKey, baseUrl: 'http://127.0.0.1:9', handleExit: false, batching: { spoolDir: dir, maxRetryDurationMs: 0 } });
    for (let n = 0; n < 25; n++) void record(stranded, `r${n}`).catch(() => undefined);
    expect((await stranded.shutdown({ timeoutMs: 0 })).unsent).toHaveLength(25);

    const client = new BearLumen({ apiKey, baseUrl: server.url, handleExit: false, batching: { spoolDir: dir, maxBatchSize: 7, flushIntervalMs: 5 } });
    const live: Array<{ marker: string; result: Promise<UsageRecordResponse> }> = [];
    let n = 0;
    for (const size of [5, 1, 12, 3, 20, 8, 13, 2]) {
      for (let i = 0; i < size; i++, n++) {
        live.push({ marker: `l${n}`, result: record(client, `l${n}`) });
        // A flush mid-turn cuts a batch before this turn's group write has encoded its run.
        if (i === 2) void client.flush();
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await client.flush();
    const report = await client.shutdown();
    expect(report).toMatchObject({ delivered: 25 + n, failed: 0, dropped: 0, replayed: 25 });

    const stored = await readStoredEvents(server.store, await tenantIdOf(server.store, apiKey));
    const markerOf = new Map(stored.map((event) => [event.eventId, event.metadata.marker]));
    expect(stored).toHaveLength(25 + n);
    for (const { marker, result } of live) expect(markerOf.get((await result).eventId), marker).toBe(marker);
  });

  it('writes a turn as one record per batch it filled, so each batch body takes whole runs', async () => {
    const own = mkdtempSync(join(tmpdir(), 'bearlumen-spool-runs-'));
    try {
      // Nothing can be sent (no server), so the segment keeps every record.
      const stranded = new BearLumen({ apiKey: server.apiKey, baseUrl: 'http://127.0.0.1:9', handleExit: false, batching: { spoolDir: own, maxBatchSize: 5, maxRetryDurationMs: 0 } });
      for (let n = 0; n < 12; n++) void record(stranded, `t${n}`).catch(() => undefined);
      await new Promise((resolve) => setImmediate(resolve));
      const [file] = readdirSync(own).filter((name) => name.endsWith('.seg'));
      const decoded = decodeSegment(readFileSync(join(own, file as string)));
      const runs = decoded.kind === 'ok' ? decoded.payloads.map((payload) => (JSON.parse(payload.toString()) as Array<{ metadata: { marker: string } }>).map((event) => event.metadata.marker)) : [];
      expect(runs).toEqual([['t0', 't1', 't2', 't3', 't4'], ['t5', 't6', 't7', 't8', 't9'], ['t10', 't11']]);
      await stranded.shutdown({ timeoutMs: 0 });
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
});
