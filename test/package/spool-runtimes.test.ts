/**
 * The durable spool's crash contract on every runtime the SDK promises (Node 18, 20, 22, 24), with the
 * built package: a process on one version records events while the server is unreachable and is
 * SIGKILLed; a process on another version starts on the same directory and delivers them, each once.
 * Pairing versions also proves the segment format is the same on all of them (Node 18 computes the
 * CRC-32 in JavaScript, the others with zlib's). Set BEARLUMEN_SKIP_NODE_MATRIX=1 to run only the
 * machine's Node.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type StartedServer } from '../helpers/start-server';
import { readStoredEvents, tenantIdOf } from '../helpers/stored-events';
import { DIST, ensureBuilt, ROOT } from './ensure-built';
import { nodeBinary, SKIP_NODE_MATRIX } from './node-binary';
import { deadUrl } from '../helpers/dead-url';

const FIXTURE = `${ROOT}test/package/fixtures/spool-crash.mjs`;
const COUNT = 300;
/** Writer → reader: every runtime writes once and reads once, each time another version's segments. */
const PAIRS: Array<[string, string]> = SKIP_NODE_MATRIX
  ? [['current', 'current']]
  : [
      ['18', '24'],
      ['24', '22'],
      ['22', 'current'],
      ['current', '18'],
    ];

let server: StartedServer;
const dirs: string[] = [];

beforeAll(async () => {
  await ensureBuilt();
  server = await startServer();
}, 180_000);

afterAll(async () => {
  await server?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs the fixture on `binary`; resolves with its stdout and how it ended. */
function runFixture(binary: string, env: Record<string, string>): Promise<{ stdout: string; signal: NodeJS.Signals | null; code: number | null }> {
  return new Promise((resolve) => {
    execFile(binary, [FIXTURE], { env: { ...process.env, ...env, BL_DIST_URL: pathToFileURL(DIST).href, BEARLUMEN_LOG_LEVEL: 'error' }, timeout: 60_000 }, (error, stdout) => {
      const failure = error as (Error & { signal?: NodeJS.Signals | null; code?: number | null }) | null;
      resolve({ stdout, signal: failure?.signal ?? null, code: failure === null ? 0 : (failure.code ?? null) });
    });
  });
}

describe.each(PAIRS)('the spool: written on Node %s, SIGKILLed, replayed on Node %s', (writer, reader) => {
  it(`every event recorded in an ended turn is stored once`, async () => {
    const tag = `spool-${writer}-${reader}`;
    const apiKey = await server.createKey(tag);
    const spool = mkdtempSync(join(tmpdir(), 'bearlumen-spool-runtime-'));
    dirs.push(spool);
    const env = { BL_KEY: apiKey, BL_SPOOL: spool, BL_TAG: tag, BL_COUNT: String(COUNT) };

    const written = await runFixture(nodeBinary(writer), { ...env, BL_MODE: 'write', BL_URL: await deadUrl() });
    expect(written.signal).toBe('SIGKILL');
    expect(readdirSync(spool).some((name) => name.endsWith('.seg'))).toBe(true);

    const replayed = await runFixture(nodeBinary(reader), { ...env, BL_MODE: 'replay', BL_URL: server.url });
    expect(replayed.code).toBe(0);
    const out = JSON.parse(replayed.stdout) as Record<string, unknown>;
    const major = reader === 'current' ? process.versions.node.split('.')[0] : reader;
    expect(String(out['node']).split('.')[0]).toBe(major);
    expect(out).toMatchObject({ replayed: COUNT, delivered: COUNT, duplicates: 0, corruptRecords: 0, skippedSegments: 0, mode: 'disk' });

    const stored = await readStoredEvents(server.store, await tenantIdOf(server.store, apiKey));
    const markers = stored.map((event) => event.metadata?.['marker']);
    expect(markers).toHaveLength(COUNT);
    expect(new Set(markers).size).toBe(COUNT);
    for (let i = 0; i < COUNT; i++) expect(markers).toContain(`${tag}-${i}`);
    expect(stored.every((event) => event.metadata?.['note'] === 'crash ü')).toBe(true);
    expect(readdirSync(spool).filter((name) => name.endsWith('.seg'))).toEqual([]);
  }, 120_000);
});
