/**
 * Start the real reference server in process on 127.0.0.1, port 0, with a temp SQLite file that is
 * removed on close — or, with `BEARLUMEN_TEST_STORE=postgres` (the integration-postgres project),
 * a private schema of the test PostgreSQL database that is dropped on close. A tenant (`test`) and
 * an API key are created. Every integration test uses this.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey, createServer, createStore, type BearLumenServer, type Pricer, type Store } from '@bearlumen/node-sdk/server';
import { createTestSchema } from './postgres-database';

/** Set by the integration-postgres vitest project: run the same tests on PostgreSQL. */
const USE_POSTGRES = process.env['BEARLUMEN_TEST_STORE'] === 'postgres';

/** Options of `startServer`. */
export interface StartServerOptions {
  /** Tenant name of the initial key. @default 'test' */
  tenant?: string;
  /** Pinned clock (epoch ms) for tests of time windows. @default Date.now */
  now?: () => number;
  /** Price overrides: a Pricer or the path of an override file. */
  prices?: Pricer | string;
}

/** A running server. */
export interface StartedServer {
  /** Base URL, e.g. `http://127.0.0.1:43121` (no trailing slash). */
  url: string;
  /** A valid key of the initial tenant. */
  apiKey: string;
  /** Stop listening, close the store, delete the temp database. Idempotent. */
  close(): Promise<void>;
  /** The fastify app (for `app.inject()`). */
  app: BearLumenServer;
  /** The store behind the app. */
  store: Store;
  /** A new key for the named tenant (created if needed), e.g. to test tenant isolation. */
  createKey(tenantName: string): Promise<string>;
}

/** Start a server; see the file comment. */
export async function startServer(opts: StartServerOptions = {}): Promise<StartedServer> {
  const { store, dispose } = await openTestStore();
  let app: BearLumenServer;
  try {
    app = await createServer({
      store,
      // Never read the developer's BEARLUMEN_PRICES in tests unless asked.
      prices: opts.prices ?? '',
      ...(opts.now === undefined ? {} : { now: opts.now }),
    });
  } catch (error) {
    // E.g. an invalid price file: release the store and its files before reporting.
    await store.close();
    await dispose();
    throw error;
  }
  const apiKey = await createApiKey(store, opts.tenant ?? 'test');
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${address.port}`,
    apiKey,
    app,
    store,
    createKey: (tenantName) => createApiKey(store, tenantName),
    close() {
      closed ??= (async () => {
        try {
          await app.close();
        } finally {
          await dispose();
        }
      })();
      return closed;
    },
  };
}

/** A fresh, empty store of the engine under test, and how to delete it after the app closed it. */
async function openTestStore(): Promise<{ store: Store; dispose: () => Promise<void> }> {
  if (USE_POSTGRES) {
    const schema = await createTestSchema('server');
    return { store: await createStore({ databaseUrl: schema.url, poolSize: 4 }), dispose: schema.drop };
  }
  const dir = mkdtempSync(join(tmpdir(), 'bearlumen-test-'));
  return {
    store: await createStore({ dbPath: join(dir, 'test.db') }),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}
