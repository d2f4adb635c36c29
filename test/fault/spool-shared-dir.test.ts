/**
 * Several processes on one spool directory (cluster workers, PM2, a restarted pod on the same volume):
 * a dead process's leftovers are claimed by exactly one of two live processes started together, and a
 * third process started while they run replays nothing of theirs. Real child processes, the real server.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleSpoolRecorder, startSpoolChild } from '../helpers/spool-child';
import { startServer, type StartedServer } from '../helpers/start-server';
import { readStoredEvents, summarize, tenantIdOf } from '../helpers/stored-events';
import { deadUrl } from '../helpers/dead-url';

const EVENTS = 3000;
let server: StartedServer;
let script: string;
let dir: string;

beforeAll(async () => {
  server = await startServer();
  script = await bundleSpoolRecorder();
  dir = mkdtempSync(join(tmpdir(), 'bearlumen-spool-shared-'));
});

afterAll(async () => {
  await server.close();
  rmSync(script, { force: true });
  rmSync(dir, { recursive: true, force: true });
});

/** Waits (bounded) until the recorder's marks file says `count` events were recorded in ended turns. */
async function waitForMark(path: string, count: number): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (existsSync(path) && readFileSync(path, 'utf8').trim().split('\n').includes(String(count))) return;
    await delay(10);
  }
  throw new Error(`the recorder never reached ${count} events`);
}

describe('spool: one directory, several processes', () => {
  it("a dead process's leftovers are delivered once by two live processes, neither replaying the other's segments", async () => {
    const spoolDir = join(dir, 'spool');
    const apiKey = await server.createKey('shared');
    const marks = join(dir, 'dead.marks');
    const base = { BL_KEY: apiKey, BL_SPOOL: spoolDir, BL_PER_TURN: '300', BL_MAX: String(EVENTS) };
    const doomed = startSpoolChild(script, { ...base, BL_URL: await deadUrl(), BL_MODE: 'record', BL_PREFIX: 'dead', BL_MARKS: marks });
    await waitForMark(marks, EVENTS);
    doomed.kill('SIGKILL');
    await doomed.exited;
    expect(readdirSync(spoolDir).filter((name) => name.endsWith('.seg')).length).toBeGreaterThan(0);

    const go = join(dir, 'go');
    const live = ['a', 'b'].map((prefix) => startSpoolChild(script, { ...base, BL_URL: server.url, BL_MODE: 'live', BL_PREFIX: prefix, BL_GO: go }));
    await Promise.all(live.map((child) => child.printed('recorded')));
    // A third process starts while the first two are alive with their segments on disk.
    const late = startSpoolChild(script, { ...base, BL_URL: server.url, BL_MODE: 'live', BL_PREFIX: 'c', BL_GO: go });
    await late.printed('recorded');
    live.push(late);
    writeFileSync(go, '');
    const outputs = await Promise.all(live.map((child) => child.exited));
    const results = outputs.map((output) => {
      expect(output.code, output.stderr).toBe(0);
      return JSON.parse(output.stdout.trim().split('\n').at(-1) as string) as { report: { delivered: number; duplicates: number; failed: number; dropped: number; replayed: number } };
    });

    const stored = summarize(await readStoredEvents(server.store, await tenantIdOf(server.store, apiKey)));
    for (const prefix of ['dead', 'a', 'b', 'c']) {
      for (let n = 0; n < EVENTS; n++) expect(stored.byMarker.get(`${prefix}:${n}`)?.length, `${prefix}:${n}`).toBe(1);
    }
    expect(stored.rows).toBe(4 * EVENTS);
    // Each leftover replayed by exactly one process; a live process's own events never replayed by the other.
    expect(results.reduce((sum, { report }) => sum + report.replayed, 0)).toBe(EVENTS);
    for (const { report } of results) expect(report).toMatchObject({ duplicates: 0, failed: 0, dropped: 0 });
    expect(results.reduce((sum, { report }) => sum + report.delivered, 0)).toBe(4 * EVENTS);
    expect(results[2]?.report.replayed).toBe(0);
    expect(readdirSync(spoolDir)).toEqual([]);
  }, 120_000);
});
