/**
 * The built SDK on every runtime it promises (Node 18, 20, 22, 24), ESM and CJS, against a server this
 * test starts on the machine's Node 20. The other versions come from the npm registry (see
 * node-binary.ts). Set BEARLUMEN_SKIP_NODE_MATRIX=1 to run only the machine's Node (e.g. offline).
 */
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type StartedServer } from '../helpers/start-server';
import { DIST, ensureBuilt, ROOT } from './ensure-built';
import { nodeBinary, SKIP_NODE_MATRIX } from './node-binary';

const run = promisify(execFile);
const RUNTIMES = SKIP_NODE_MATRIX ? ['current'] : ['18', 'current', '22', '24'];

let server: StartedServer;

beforeAll(async () => {
  await ensureBuilt();
  server = await startServer();
}, 180_000);

afterAll(async () => {
  await server?.close();
});

describe.each(RUNTIMES)('the built SDK on Node %s', (runtime) => {
  let binary = '';
  beforeAll(() => {
    binary = nodeBinary(runtime);
  }, 180_000);

  it.each(['round-trip.mjs', 'round-trip.cjs'])('%s: create, record (batched), recordBatch, query, shutdown', async (script) => {
    const tag = `node${runtime}-${script.replace(/\W/g, '')}`;
    const { stdout } = await run(binary, [`${ROOT}test/package/fixtures/${script}`], {
      env: { ...process.env, BL_URL: server.url, BL_KEY: server.apiKey, BL_TAG: tag, BL_DIST: DIST, BL_DIST_URL: pathToFileURL(DIST).href, BEARLUMEN_LOG_LEVEL: 'error' },
      timeout: 60_000,
    });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ endUser: `rt-${tag}`, recorded: 3, batch: 1, total: 4, delivered: 3 });
    const major = runtime === 'current' ? process.versions.node.split('.')[0] : runtime;
    expect(String(out['node']).split('.')[0]).toBe(major);
  });
});
