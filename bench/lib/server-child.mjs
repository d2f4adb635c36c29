// Our reference server (built dist/server, SQLite file in a temp dir) in its own process, for the
// ingest and SDK → server figures. Reports { url, apiKey } over IPC; {cmd:'close'} stops it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// BENCH_SERVER_ENTRY lets a patched server build be measured side by side.
const { createApiKey, createServer, SqliteStore } = await import(process.env.BENCH_SERVER_ENTRY || ROOT + 'dist/server/index.js');

const dir = mkdtempSync(join(tmpdir(), 'bearlumen-bench-'));
const store = SqliteStore.open(join(dir, 'bench.db'));
const app = await createServer({ store, prices: '' });
const apiKey = await createApiKey(store, 'bench');
await app.listen({ host: '127.0.0.1', port: 0 });
const { port } = app.server.address();

let closing;
async function close() {
  closing ??= (async () => {
    try {
      await app.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  await closing;
  process.exit(0);
}

process.on('message', (msg) => {
  if (msg?.cmd === 'close') void close();
  else if (msg?.cmd === 'cpu') process.send?.({ type: 'cpu', id: msg.id, cpu: process.cpuUsage() });
});
process.on('disconnect', () => void close());
process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}`, apiKey });
