/**
 * The real reference server on 127.0.0.1 with a SQLite file that outlives it: `stop()` closes the
 * app and the store, `start()` opens the same file again and listens on the same port. For the fault
 * tests that take the server down mid-flight. Unlike `startServer()`, the database path is known, so
 * tests can also open the file read-only and check what was committed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey, createServer, SqliteStore, type BearLumenServer } from '@bearlumen/node-sdk/server';

/** A server that can be stopped and restarted. */
export interface RestartableServer {
  /** `http://127.0.0.1:<port>`, the same across restarts. */
  readonly url: string;
  readonly port: number;
  /** The SQLite file. */
  readonly dbPath: string;
  /** A key of the initial tenant (`test`). */
  readonly apiKey: string;
  /** The current store, or null while stopped. */
  readonly store: SqliteStore | null;
  readonly app: BearLumenServer | null;
  readonly isRunning: boolean;
  /** Close the app and its store; connections in progress are cut. Idempotent while stopped. */
  stop(): Promise<void>;
  /** Reopen the database file and listen on the same port again. */
  start(): Promise<void>;
  /** A key for another tenant (the server must be running). */
  createKey(tenantName: string): Promise<string>;
  /** Stop and delete the database. */
  close(): Promise<void>;
}

async function listen(store: SqliteStore, port: number): Promise<BearLumenServer> {
  const app = await createServer({ store, prices: '' });
  await app.listen({ host: '127.0.0.1', port });
  return app;
}

/** Start a restartable server (see the file comment). */
export async function startRestartableServer(): Promise<RestartableServer> {
  const dir = mkdtempSync(join(tmpdir(), 'bearlumen-fault-'));
  const dbPath = join(dir, 'fault.db');
  let store: SqliteStore | null = SqliteStore.open(dbPath);
  const apiKey = await createApiKey(store, 'test');
  let app: BearLumenServer | null = await listen(store, 0);
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  const port = address.port;

  const self: RestartableServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    dbPath,
    apiKey,
    get store() {
      return store;
    },
    get app() {
      return app;
    },
    get isRunning() {
      return app !== null;
    },
    async stop() {
      if (app === null) return;
      const closing = app;
      app = null;
      store = null;
      // Cut idle keep-alive sockets too, as a crashed process would; app.close() closes the store.
      closing.server.closeAllConnections();
      await closing.close();
    },
    async start() {
      if (app !== null) return;
      const reopened = SqliteStore.open(dbPath);
      app = await listen(reopened, port);
      store = reopened;
    },
    async createKey(tenantName) {
      if (store === null) throw new Error('server is stopped');
      return createApiKey(store, tenantName);
    },
    async close() {
      await self.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}
