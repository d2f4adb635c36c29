/**
 * The store conformance suite runs every behaviour against each engine: SQLite (in memory) always,
 * PostgreSQL (a private schema) when a test database is configured — and in CI, where a missing
 * database fails the file instead of skipping it (see test/helpers/postgres-database.ts).
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { createStore, type NewUsageEvent, type Store, type StoreKind } from '@bearlumen/node-sdk/server';
import { createTestSchema, hasPostgres, type TestSchema } from '../../helpers/postgres-database';

/** A fresh store; `dispose` closes it and deletes its data. */
export interface OpenedStore {
  store: Store;
  /** PostgreSQL: the URL of the store's private schema, for tests that need a second connection. */
  url?: string;
  dispose(): Promise<void>;
}

/** A way to open a fresh, empty store of one engine. */
export interface Engine {
  kind: StoreKind;
  /** Whether this engine can run here (PostgreSQL needs a URL). */
  available(): boolean;
  open(label: string): Promise<OpenedStore>;
}

export const SQLITE: Engine = {
  kind: 'sqlite',
  available: () => true,
  async open() {
    const store = await createStore({ dbPath: ':memory:' });
    return { store, dispose: () => store.close() };
  },
};

export const POSTGRES: Engine = {
  kind: 'postgres',
  available: hasPostgres,
  async open(label) {
    const schema: TestSchema = await createTestSchema(label);
    const store = await createStore({ databaseUrl: schema.url, poolSize: 4 });
    return {
      store,
      url: schema.url,
      async dispose() {
        await store.close();
        await schema.drop();
      },
    };
  },
};

export const ENGINES: readonly Engine[] = [SQLITE, POSTGRES];

/**
 * Declare `body` once per engine, each under its own `describe` with one store opened for the
 * whole block. Tests isolate themselves by creating their own tenant (`freshTenant`).
 */
export function describeEachStore(title: string, body: (store: () => Store) => void): void {
  for (const engine of ENGINES) {
    describe.skipIf(!engine.available())(`${title} [${engine.kind}]`, () => {
      let opened: OpenedStore | undefined;
      beforeAll(async () => {
        opened = await engine.open(title);
      });
      afterAll(async () => {
        await opened?.dispose();
      });
      body(() => {
        if (opened === undefined) throw new Error(`${engine.kind} store not opened`);
        return opened.store;
      });
    });
  }
}

let tenantCounter = 0;

/** A new tenant with a unique name, so tests sharing a store never see each other's rows. */
export async function freshTenant(store: Store): Promise<string> {
  tenantCounter += 1;
  const tenant = await store.ensureTenant(`t${tenantCounter}-${Math.random().toString(36).slice(2, 10)}`);
  return tenant.id;
}

/** Base instant of the usage tests: 2026-01-10T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 10);
export const HOUR = 3_600_000;

let eventCounter = 0;

/** A valid event to store, overridable field by field. */
export function usageEvent(overrides: Partial<NewUsageEvent> = {}): NewUsageEvent {
  eventCounter += 1;
  return {
    id: `evt_test${eventCounter.toString().padStart(8, '0')}${Math.random().toString(36).slice(2, 8)}`,
    idempotencyKey: `key-${eventCounter}-${Math.random().toString(36).slice(2, 10)}`,
    eventType: 'token_usage',
    metricName: 'llm_tokens_input',
    quantity: 100,
    subscriptionId: null,
    timestampMs: T0,
    receivedAtMs: T0 + 1,
    metadataJson: '{}',
    agentId: null,
    workflowId: null,
    tokenKind: 'input',
    costNanoUsd: 1_000,
    priced: true,
    priceSource: 'test',
    ...overrides,
  };
}
