/**
 * The embedded engine: better-sqlite3 12 in WAL mode, prepared statements, one transaction per
 * batch. Default file `.bearlumen/bearlumen.db`; `:memory:` for throwaway servers.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { keyIdOfDigest } from '../key-id';
import { loadSqliteDriver } from './driver';
import type { EndUser, EndUserStatus, Subscription } from '../../protocol/types';
import { SQLITE_MIGRATIONS } from './migrations/sqlite';
import { SqliteUsage } from './sqlite-usage';
import type { Migration } from './migrations/migration';
import { PURGE_EVERY_CLAIMS, SUBSCRIPTION_COLUMNS, toEndUser, toSubscription, type EndUserRow, type SubscriptionRow } from './rows';
import {
  CLAIM_ABANDONED_MS,
  type ApiKeyInfo,
  type EndUserListQuery,
  type EndUserPage,
  type EndUserPatch,
  type IdempotencyClaim,
  type NewEndUser,
  type NewSubscription,
  type Store,
  type SubscriptionListQuery,
  type SubscriptionPatch,
  type SubscriptionRef,
  type Tenant,
} from './store';

/** Default database file of `bearlumen serve`, relative to the working directory. */
export const DEFAULT_SQLITE_PATH = '.bearlumen/bearlumen.db';

const iso = (ms: number): string => new Date(ms).toISOString();

/** Apply every migration newer than the database's `user_version`, each in its own transaction. */
export function applyMigrations(db: Database.Database, migrations: readonly Migration<Database.Database>[]): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      void m.after?.(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}

/** Store on SQLite. Construct with `SqliteStore.open(path)`. */
export class SqliteStore extends SqliteUsage implements Store {
  readonly kind = 'sqlite' as const;
  #claimsSincePurge = 0;

  /**
   * Open (creating if needed) the database at `path` and migrate it.
   * @param path a file path, or `:memory:`. Parent directories are created.
   * @throws {StoreDriverMissingError} when better-sqlite3 is not installed or does not load.
   */
  static open(path: string = DEFAULT_SQLITE_PATH): SqliteStore {
    const Driver = loadSqliteDriver();
    if (path !== ':memory:' && !path.startsWith('file:')) mkdirSync(dirname(path), { recursive: true });
    const db = new Driver(path);
    db.pragma('journal_mode = WAL');
    // NORMAL is durable across application crashes in WAL mode; only an OS crash may lose the last commits.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    applyMigrations(db, SQLITE_MIGRATIONS);
    return new SqliteStore(db);
  }

  async ensureTenant(name: string): Promise<Tenant> {
    const find = this.stmt('SELECT id, name, created_at FROM tenants WHERE name = ?');
    const existing = find.get(name) as { id: string; name: string; created_at: string } | undefined;
    if (existing) return { id: existing.id, name: existing.name, createdAt: existing.created_at };
    const tenant: Tenant = { id: this.newId('ten_'), name, createdAt: iso(Date.now()) };
    this.stmt('INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)').run(tenant.id, tenant.name, tenant.createdAt);
    return tenant;
  }

  async addApiKey(tenantId: string, keyHash: string): Promise<void> {
    this.stmt('INSERT INTO api_keys (key_hash, tenant_id, key_id, created_at) VALUES (?, ?, ?, ?)').run(keyHash, tenantId, keyIdOfDigest(keyHash), iso(Date.now()));
  }

  async listApiKeys(tenantId: string): Promise<ApiKeyInfo[]> {
    const rows = this.stmt('SELECT key_id, created_at FROM api_keys WHERE tenant_id = ? ORDER BY created_at, key_id').all(tenantId) as { key_id: string; created_at: string }[];
    return rows.map((r) => ({ keyId: r.key_id, createdAt: r.created_at }));
  }

  async findTenantByKeyHash(keyHash: string): Promise<Tenant | null> {
    const row = this.stmt(
      'SELECT t.id, t.name, t.created_at FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.key_hash = ?',
    ).get(keyHash) as { id: string; name: string; created_at: string } | undefined;
    return row ? { id: row.id, name: row.name, createdAt: row.created_at } : null;
  }

  async countApiKeys(): Promise<number> {
    return (this.stmt('SELECT COUNT(*) AS n FROM api_keys').get() as { n: number }).n;
  }

  async revokeApiKey(keyHash: string): Promise<boolean> {
    return this.stmt('DELETE FROM api_keys WHERE key_hash = ?').run(keyHash).changes > 0;
  }

  async createEndUser(tenantId: string, input: NewEndUser): Promise<EndUser | 'external_id_taken'> {
    const now = iso(input.nowMs);
    const result = this.stmt(
      `INSERT INTO end_users (id, tenant_id, external_id, name, email, metadata, status, created_at, updated_at, deactivated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'ACTIVE', ?, ?, NULL) ON CONFLICT (tenant_id, external_id) DO NOTHING`,
    ).run(input.id, tenantId, input.externalId, input.name, input.email, input.metadataJson, now, now);
    if (result.changes === 0) return 'external_id_taken';
    return (await this.getEndUser(tenantId, input.id)) as EndUser;
  }

  async getEndUser(tenantId: string, id: string): Promise<EndUser | null> {
    const row = this.stmt('SELECT * FROM end_users WHERE tenant_id = ? AND id = ?').get(tenantId, id) as EndUserRow | undefined;
    return row ? toEndUser(row) : null;
  }

  async updateEndUser(tenantId: string, id: string, patch: EndUserPatch, nowMs: number): Promise<EndUser | null> {
    const sets: string[] = ['updated_at = ?'];
    const params: unknown[] = [iso(nowMs)];
    if (patch.name !== undefined) {
      sets.push('name = ?');
      params.push(patch.name);
    }
    if (patch.email !== undefined) {
      sets.push('email = ?');
      params.push(patch.email);
    }
    if (patch.metadataJson !== undefined) {
      sets.push('metadata = ?');
      params.push(patch.metadataJson);
    }
    const result = this.stmt(`UPDATE end_users SET ${sets.join(', ')} WHERE tenant_id = ? AND id = ?`).run(...params, tenantId, id);
    return result.changes === 0 ? null : this.getEndUser(tenantId, id);
  }

  async setEndUserStatus(tenantId: string, id: string, status: EndUserStatus, nowMs: number): Promise<EndUser | null> {
    const deactivatedAt = status === 'DEACTIVATED' ? iso(nowMs) : null;
    this.stmt(
      'UPDATE end_users SET status = ?, deactivated_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND status <> ?',
    ).run(status, deactivatedAt, iso(nowMs), tenantId, id, status);
    return this.getEndUser(tenantId, id);
  }

  async listEndUsers(tenantId: string, query: EndUserListQuery): Promise<EndUserPage> {
    const counts = this.stmt(
      `SELECT COUNT(*) AS total, COALESCE(SUM(status = 'ACTIVE'), 0) AS active, COALESCE(SUM(status = 'DEACTIVATED'), 0) AS deactivated
       FROM end_users WHERE tenant_id = ?`,
    ).get(tenantId) as { total: number; active: number; deactivated: number };
    const rows = (
      query.status === undefined
        ? this.stmt('SELECT * FROM end_users WHERE tenant_id = ? ORDER BY seq LIMIT ? OFFSET ?').all(tenantId, query.limit, query.offset)
        : this.stmt('SELECT * FROM end_users WHERE tenant_id = ? AND status = ? ORDER BY seq LIMIT ? OFFSET ?').all(
            tenantId,
            query.status,
            query.limit,
            query.offset,
          )
    ) as EndUserRow[];
    const total = query.status === undefined ? counts.total : query.status === 'ACTIVE' ? counts.active : counts.deactivated;
    return { endUsers: rows.map(toEndUser), total, activeCount: counts.active, deactivatedCount: counts.deactivated };
  }

  async createSubscription(tenantId: string, input: NewSubscription): Promise<Subscription> {
    const now = iso(input.nowMs);
    this.stmt(
      `INSERT INTO subscriptions (id, tenant_id, user_id, pricing_plan_id, status, current_period_start, current_period_end,
         stripe_subscription_id, metadata, canceled_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'ACTIVE', ?, ?, ?, ?, NULL, ?, ?)`,
    ).run(
      input.id,
      tenantId,
      input.userId,
      input.pricingPlanId,
      input.currentPeriodStart,
      input.currentPeriodEnd,
      input.stripeSubscriptionId,
      input.metadataJson,
      now,
      now,
    );
    return (await this.getSubscription(tenantId, input.id)) as Subscription;
  }

  async getSubscription(tenantId: string, id: string): Promise<Subscription | null> {
    const row = this.stmt('SELECT * FROM subscriptions WHERE tenant_id = ? AND id = ?').get(tenantId, id) as SubscriptionRow | undefined;
    return row ? toSubscription(row) : null;
  }

  async updateSubscription(tenantId: string, id: string, patch: SubscriptionPatch, nowMs: number): Promise<Subscription | null> {
    const sets: string[] = ['updated_at = ?'];
    const params: unknown[] = [iso(nowMs)];
    for (const [field, column] of Object.entries(SUBSCRIPTION_COLUMNS) as [keyof SubscriptionPatch, string][]) {
      if (patch[field] !== undefined) {
        sets.push(`${column} = ?`);
        params.push(patch[field]);
      }
    }
    const result = this.stmt(`UPDATE subscriptions SET ${sets.join(', ')} WHERE tenant_id = ? AND id = ?`).run(...params, tenantId, id);
    return result.changes === 0 ? null : this.getSubscription(tenantId, id);
  }

  async cancelSubscription(tenantId: string, id: string, nowMs: number): Promise<Subscription | null> {
    this.stmt(
      `UPDATE subscriptions SET status = 'CANCELED', canceled_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND status <> 'CANCELED'`,
    ).run(iso(nowMs), iso(nowMs), tenantId, id);
    return this.getSubscription(tenantId, id);
  }

  async listSubscriptions(tenantId: string, query: SubscriptionListQuery): Promise<{ data: Subscription[]; total: number }> {
    let where = 'tenant_id = ?';
    const params: unknown[] = [tenantId];
    if (query.userId !== undefined) {
      where += ' AND user_id = ?';
      params.push(query.userId);
    }
    if (query.status !== undefined) {
      where += ' AND status = ?';
      params.push(query.status);
    }
    const total = (this.stmt(`SELECT COUNT(*) AS n FROM subscriptions WHERE ${where}`).get(...params) as { n: number }).n;
    const rows = this.stmt(`SELECT * FROM subscriptions WHERE ${where} ORDER BY seq LIMIT ? OFFSET ?`).all(
      ...params,
      query.limit,
      query.offset,
    ) as SubscriptionRow[];
    return { data: rows.map(toSubscription), total };
  }

  async findSubscriptionRefs(tenantId: string, ids: readonly string[]): Promise<Map<string, SubscriptionRef>> {
    const found = new Map<string, SubscriptionRef>();
    const get = this.stmt('SELECT id, status, canceled_at FROM subscriptions WHERE tenant_id = ? AND id = ?');
    for (const id of ids) {
      const row = get.get(tenantId, id) as { id: string; status: 'ACTIVE' | 'CANCELED'; canceled_at: string | null } | undefined;
      if (row) found.set(id, { id: row.id, status: row.status, canceledAtMs: row.canceled_at === null ? null : Date.parse(row.canceled_at) });
    }
    return found;
  }

  async claimRequestKey(tenantId: string, key: string, fingerprint: string, nowMs: number, ttlMs: number): Promise<IdempotencyClaim> {
    // Expired keys would otherwise stay forever (each create POST may bring a new one): purge them
    // now and then, which keeps the table at about one TTL's worth of keys.
    this.#claimsSincePurge += 1;
    if (this.#claimsSincePurge >= PURGE_EVERY_CLAIMS) {
      this.#claimsSincePurge = 0;
      this.stmt('DELETE FROM request_keys WHERE created_at <= ?').run(nowMs - ttlMs);
    }
    return this.db.transaction((): IdempotencyClaim => {
      const row = this.stmt('SELECT fingerprint, created_at, status_code, body FROM request_keys WHERE tenant_id = ? AND key = ?').get(
        tenantId,
        key,
      ) as { fingerprint: string; created_at: number; status_code: number | null; body: string | null } | undefined;
      const expired = row !== undefined && row.created_at + ttlMs <= nowMs;
      const abandoned = row !== undefined && row.status_code === null && row.created_at + CLAIM_ABANDONED_MS <= nowMs;
      if (row === undefined || expired || abandoned) {
        this.stmt(
          `INSERT INTO request_keys (tenant_id, key, fingerprint, created_at, status_code, body) VALUES (?, ?, ?, ?, NULL, NULL)
           ON CONFLICT (tenant_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, created_at = excluded.created_at,
             status_code = NULL, body = NULL`,
        ).run(tenantId, key, fingerprint, nowMs);
        return { state: 'claimed' };
      }
      if (row.fingerprint !== fingerprint) return { state: 'mismatch' };
      if (row.status_code === null || row.body === null) return { state: 'in_progress' };
      return { state: 'completed', statusCode: row.status_code, body: row.body };
    }).immediate();
  }

  async completeRequestKey(tenantId: string, key: string, statusCode: number, body: string): Promise<void> {
    this.stmt('UPDATE request_keys SET status_code = ?, body = ? WHERE tenant_id = ? AND key = ?').run(statusCode, body, tenantId, key);
  }

  async releaseRequestKey(tenantId: string, key: string): Promise<void> {
    this.stmt('DELETE FROM request_keys WHERE tenant_id = ? AND key = ? AND status_code IS NULL').run(tenantId, key);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
