import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createApiKey, createStore, hashApiKey, keyIdOfDigest, type Store } from '@bearlumen/node-sdk/server';
import { applyMigrations } from '../../../src/server/store/sqlite';
import { applyPostgresMigrations } from '../../../src/server/store/postgres-migrate';
import { SQLITE_MIGRATIONS } from '../../../src/server/store/migrations/sqlite';
import { POSTGRES_MIGRATIONS } from '../../../src/server/store/migrations/postgres';
import { createTestSchema } from '../../helpers/postgres-database';
import { POSTGRES } from './engines';

// Migration 2 replaces the stored key prefix (12 characters of the key, secret ones included) by the
// key id derived from the digest. A database written by version 1 is opened by the current code:
// its old rows get the same id a new key would, and nothing of the key is left in the table.

const KEY = 'bl_test_SECRETsecretSECRETsecret';
const HASH = hashApiKey(KEY);
const T = '2026-01-05T12:00:00.000Z';

async function expectMigrated(store: Store): Promise<void> {
  const tenant = await store.ensureTenant('old');
  expect(await store.listApiKeys(tenant.id)).toEqual([{ keyId: keyIdOfDigest(HASH), createdAt: T }]);
  expect(await store.findTenantByKeyHash(HASH)).toMatchObject({ name: 'old' });
  // New keys get their id the same way.
  const fresh = await createApiKey(store, 'old');
  expect((await store.listApiKeys(tenant.id)).map((k) => k.keyId)).toContain(keyIdOfDigest(hashApiKey(fresh)));
}

describe('migration 2: API key ids', () => {
  it('SQLite: rows of version 1 get the key id derived from their digest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bearlumen-keyid-'));
    const path = join(dir, 'v1.db');
    try {
      const v1 = new Database(path);
      applyMigrations(v1, SQLITE_MIGRATIONS.filter((m) => m.version === 1));
      v1.prepare("INSERT INTO tenants (id, name, created_at) VALUES ('ten_old', 'old', ?)").run(T);
      v1.prepare("INSERT INTO api_keys (key_hash, tenant_id, prefix, created_at) VALUES (?, 'ten_old', ?, ?)").run(HASH, KEY.slice(0, 12), T);
      v1.close();

      const store = await createStore({ dbPath: path });
      try {
        await expectMigrated(store);
      } finally {
        await store.close();
      }
      const reader = new Database(path, { readonly: true });
      const dump = JSON.stringify(reader.prepare('SELECT * FROM api_keys').all());
      expect(reader.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(2);
      reader.close();
      expect(dump).not.toContain(KEY.slice(0, 12));
      expect(dump).not.toContain('SECRET');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!POSTGRES.available())('PostgreSQL: rows of version 1 get the key id derived from their digest', async () => {
    const schema = await createTestSchema('keyid');
    try {
      const pool = new pg.Pool({ connectionString: schema.url, max: 1 });
      try {
        await applyPostgresMigrations(pool, POSTGRES_MIGRATIONS.filter((m) => m.version === 1));
        await pool.query("INSERT INTO tenants (id, name, created_at) VALUES ('ten_old', 'old', $1)", [T]);
        await pool.query("INSERT INTO api_keys (key_hash, tenant_id, prefix, created_at) VALUES ($1, 'ten_old', $2, $3)", [HASH, KEY.slice(0, 12), T]);
      } finally {
        await pool.end();
      }
      const store = await createStore({ databaseUrl: schema.url, poolSize: 2 });
      try {
        await expectMigrated(store);
      } finally {
        await store.close();
      }
      const reader = new pg.Client({ connectionString: schema.url });
      await reader.connect();
      try {
        const { rows } = await reader.query('SELECT * FROM api_keys');
        expect(JSON.stringify(rows)).not.toContain('SECRET');
      } finally {
        await reader.end();
      }
    } finally {
      await schema.drop();
    }
  });
});
