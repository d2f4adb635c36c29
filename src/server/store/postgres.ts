/**
 * The scale-out engine: PostgreSQL through a `pg` pool, so several stateless server replicas can
 * share one database. Chosen when `DATABASE_URL` is set. Semantics equal `sqlite.ts` exactly (one
 * conformance suite runs against both); concurrency between replicas is settled by unique indexes
 * and conditional updates, never by in-process state.
 */
import type { EndUser, EndUserStatus, Subscription } from '../../protocol/types';
import { newId } from '../ids';
import { keyIdOfDigest } from '../key-id';
import { POSTGRES_MIGRATIONS } from './migrations/postgres';
import { applyPostgresMigrations } from './postgres-migrate';
import { PostgresUsage } from './postgres-usage';
import { createPool, redactUrl, type PostgresPoolOptions } from './postgres-pool';
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

export type { PostgresPoolOptions as PostgresStoreOptions } from './postgres-pool';

const iso = (ms: number): string => new Date(ms).toISOString();
/** A released claim can be re-taken by a concurrent request between our statements; try a few times. */
const MAX_CLAIM_ROUNDS = 3;

/** `SET` list and parameters of a patch; only fixed column names enter the SQL text. */
function setClause(nowMs: number, fields: [column: string, value: unknown][]): { sets: string; params: unknown[] } {
  const params: unknown[] = [iso(nowMs)];
  const sets = ['updated_at = $1'];
  for (const [column, value] of fields) {
    if (value === undefined) continue;
    params.push(value);
    sets.push(`${column} = $${params.length}`);
  }
  return { sets: sets.join(', '), params };
}

/** Store on PostgreSQL. Construct with `await PostgresStore.open({ connectionString })`. */
export class PostgresStore extends PostgresUsage implements Store {
  readonly kind = 'postgres' as const;
  #closed: Promise<void> | undefined;
  #claimsSincePurge = 0;

  /**
   * Connect, and bring the schema up to date (safe when several replicas start at once).
   * @throws {Error} naming the server (password redacted) when it cannot be reached or migrated.
   */
  static async open(options: PostgresPoolOptions): Promise<PostgresStore> {
    const pool = createPool(options);
    try {
      await applyPostgresMigrations(pool, POSTGRES_MIGRATIONS);
    } catch (error) {
      await pool.end();
      throw new Error(`PostgreSQL at ${redactUrl(options.connectionString)}: ${(error as Error).message}`, { cause: error });
    }
    return new PostgresStore(pool);
  }

  async ensureTenant(name: string): Promise<Tenant> {
    const find = () =>
      this.pool.query<{ id: string; name: string; created_at: string }>('SELECT id, name, created_at FROM tenants WHERE name = $1', [name]);
    let row = (await find()).rows[0];
    if (row === undefined) {
      // Two replicas may create the same tenant at once; the unique name decides, both read the winner.
      const sql = 'INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING';
      await this.pool.query(sql, [newId('ten_'), name, iso(Date.now())]);
      row = (await find()).rows[0];
    }
    if (row === undefined) throw new Error(`tenant ${JSON.stringify(name)} could not be created`);
    return { id: row.id, name: row.name, createdAt: row.created_at };
  }

  async addApiKey(tenantId: string, keyHash: string): Promise<void> {
    const sql = 'INSERT INTO api_keys (key_hash, tenant_id, key_id, created_at) VALUES ($1, $2, $3, $4)';
    await this.pool.query(sql, [keyHash, tenantId, keyIdOfDigest(keyHash), iso(Date.now())]);
  }

  async listApiKeys(tenantId: string): Promise<ApiKeyInfo[]> {
    const sql = 'SELECT key_id, created_at FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, key_id';
    const { rows } = await this.pool.query<{ key_id: string; created_at: string }>(sql, [tenantId]);
    return rows.map((r) => ({ keyId: r.key_id, createdAt: r.created_at }));
  }

  async findTenantByKeyHash(keyHash: string): Promise<Tenant | null> {
    const { rows } = await this.pool.query<{ id: string; name: string; created_at: string }>(
      'SELECT t.id, t.name, t.created_at FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.key_hash = $1',
      [keyHash],
    );
    const row = rows[0];
    return row ? { id: row.id, name: row.name, createdAt: row.created_at } : null;
  }

  async countApiKeys(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM api_keys');
    return rows[0]?.n ?? 0;
  }

  async revokeApiKey(keyHash: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM api_keys WHERE key_hash = $1', [keyHash]);
    return (result.rowCount ?? 0) > 0;
  }

  async createEndUser(tenantId: string, input: NewEndUser): Promise<EndUser | 'external_id_taken'> {
    const now = iso(input.nowMs);
    const { rows } = await this.pool.query<EndUserRow>(
      `INSERT INTO end_users (id, tenant_id, external_id, name, email, metadata, status, created_at, updated_at, deactivated_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'ACTIVE', $7, $7, NULL) ON CONFLICT (tenant_id, external_id) DO NOTHING RETURNING *`,
      [input.id, tenantId, input.externalId, input.name, input.email, input.metadataJson, now],
    );
    return rows[0] ? toEndUser(rows[0]) : 'external_id_taken';
  }

  async getEndUser(tenantId: string, id: string): Promise<EndUser | null> {
    const { rows } = await this.pool.query<EndUserRow>('SELECT * FROM end_users WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return rows[0] ? toEndUser(rows[0]) : null;
  }

  async updateEndUser(tenantId: string, id: string, patch: EndUserPatch, nowMs: number): Promise<EndUser | null> {
    const { sets, params } = setClause(nowMs, [
      ['name', patch.name],
      ['email', patch.email],
      ['metadata', patch.metadataJson],
    ]);
    const { rows } = await this.pool.query<EndUserRow>(
      `UPDATE end_users SET ${sets} WHERE tenant_id = $${params.length + 1} AND id = $${params.length + 2} RETURNING *`,
      [...params, tenantId, id],
    );
    return rows[0] ? toEndUser(rows[0]) : null;
  }

  async setEndUserStatus(tenantId: string, id: string, status: EndUserStatus, nowMs: number): Promise<EndUser | null> {
    const deactivatedAt = status === 'DEACTIVATED' ? iso(nowMs) : null;
    await this.pool.query(
      'UPDATE end_users SET status = $1, deactivated_at = $2, updated_at = $3 WHERE tenant_id = $4 AND id = $5 AND status <> $1',
      [status, deactivatedAt, iso(nowMs), tenantId, id],
    );
    return this.getEndUser(tenantId, id);
  }

  async listEndUsers(tenantId: string, query: EndUserListQuery): Promise<EndUserPage> {
    const counts = await this.pool.query<{ total: number; active: number; deactivated: number }>(
      `SELECT COUNT(*) AS total, COUNT(*) FILTER (WHERE status = 'ACTIVE') AS active,
         COUNT(*) FILTER (WHERE status = 'DEACTIVATED') AS deactivated
       FROM end_users WHERE tenant_id = $1`,
      [tenantId],
    );
    const c = counts.rows[0] ?? { total: 0, active: 0, deactivated: 0 };
    const { rows } = await this.pool.query<EndUserRow>(
      'SELECT * FROM end_users WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2) ORDER BY seq LIMIT $3 OFFSET $4',
      [tenantId, query.status ?? null, query.limit, query.offset],
    );
    const total = query.status === undefined ? c.total : query.status === 'ACTIVE' ? c.active : c.deactivated;
    return { endUsers: rows.map(toEndUser), total, activeCount: c.active, deactivatedCount: c.deactivated };
  }

  async createSubscription(tenantId: string, input: NewSubscription): Promise<Subscription> {
    const now = iso(input.nowMs);
    const { rows } = await this.pool.query<SubscriptionRow>(
      `INSERT INTO subscriptions (id, tenant_id, user_id, pricing_plan_id, status, current_period_start, current_period_end,
         stripe_subscription_id, metadata, canceled_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, 'ACTIVE', $5, $6, $7, $8, NULL, $9, $9) RETURNING *`,
      [
        input.id,
        tenantId,
        input.userId,
        input.pricingPlanId,
        input.currentPeriodStart,
        input.currentPeriodEnd,
        input.stripeSubscriptionId,
        input.metadataJson,
        now,
      ],
    );
    if (rows[0] === undefined) throw new Error('INSERT … RETURNING returned no subscription row');
    return toSubscription(rows[0]);
  }

  async getSubscription(tenantId: string, id: string): Promise<Subscription | null> {
    const { rows } = await this.pool.query<SubscriptionRow>('SELECT * FROM subscriptions WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return rows[0] ? toSubscription(rows[0]) : null;
  }

  async updateSubscription(tenantId: string, id: string, patch: SubscriptionPatch, nowMs: number): Promise<Subscription | null> {
    const fields = (Object.keys(SUBSCRIPTION_COLUMNS) as (keyof SubscriptionPatch)[]).map(
      (field): [string, unknown] => [SUBSCRIPTION_COLUMNS[field], patch[field]],
    );
    const { sets, params } = setClause(nowMs, fields);
    const { rows } = await this.pool.query<SubscriptionRow>(
      `UPDATE subscriptions SET ${sets} WHERE tenant_id = $${params.length + 1} AND id = $${params.length + 2} RETURNING *`,
      [...params, tenantId, id],
    );
    return rows[0] ? toSubscription(rows[0]) : null;
  }

  async cancelSubscription(tenantId: string, id: string, nowMs: number): Promise<Subscription | null> {
    await this.pool.query(
      `UPDATE subscriptions SET status = 'CANCELED', canceled_at = $1, updated_at = $1 WHERE tenant_id = $2 AND id = $3 AND status <> 'CANCELED'`,
      [iso(nowMs), tenantId, id],
    );
    return this.getSubscription(tenantId, id);
  }

  async listSubscriptions(tenantId: string, query: SubscriptionListQuery): Promise<{ data: Subscription[]; total: number }> {
    const params: unknown[] = [tenantId];
    let where = 'tenant_id = $1';
    for (const [column, value] of [['user_id', query.userId], ['status', query.status]] as const) {
      if (value === undefined) continue;
      params.push(value);
      where += ` AND ${column} = $${params.length}`;
    }
    const total = await this.pool.query<{ n: number }>(`SELECT COUNT(*) AS n FROM subscriptions WHERE ${where}`, params);
    const { rows } = await this.pool.query<SubscriptionRow>(
      `SELECT * FROM subscriptions WHERE ${where} ORDER BY seq LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, query.limit, query.offset],
    );
    return { data: rows.map(toSubscription), total: total.rows[0]?.n ?? 0 };
  }

  async findSubscriptionRefs(tenantId: string, ids: readonly string[]): Promise<Map<string, SubscriptionRef>> {
    const found = new Map<string, SubscriptionRef>();
    if (ids.length === 0) return found;
    const { rows } = await this.pool.query<{ id: string; status: 'ACTIVE' | 'CANCELED'; canceled_at: string | null }>(
      'SELECT id, status, canceled_at FROM subscriptions WHERE tenant_id = $1 AND id = ANY($2::text[])',
      [tenantId, [...ids]],
    );
    for (const row of rows) {
      found.set(row.id, { id: row.id, status: row.status, canceledAtMs: row.canceled_at === null ? null : Date.parse(row.canceled_at) });
    }
    return found;
  }

  /**
   * Atomic without a transaction: each step is one statement that either takes the key or observes
   * who holds it. Of two concurrent claims, the unique key (insert) or the row lock plus re-checked
   * WHERE (takeover) lets exactly one through.
   */
  async claimRequestKey(tenantId: string, key: string, fingerprint: string, nowMs: number, ttlMs: number): Promise<IdempotencyClaim> {
    // Without a purge every create POST's key would stay forever. Each replica purges on its own
    // count; concurrent purges just delete the same rows.
    this.#claimsSincePurge += 1;
    if (this.#claimsSincePurge >= PURGE_EVERY_CLAIMS) {
      this.#claimsSincePurge = 0;
      await this.pool.query('DELETE FROM request_keys WHERE created_at <= $1', [nowMs - ttlMs]);
    }
    for (let round = 0; round < MAX_CLAIM_ROUNDS; round += 1) {
      const inserted = await this.pool.query(
        `INSERT INTO request_keys (tenant_id, key, fingerprint, created_at, status_code, body) VALUES ($1, $2, $3, $4, NULL, NULL)
         ON CONFLICT (tenant_id, key) DO NOTHING`,
        [tenantId, key, fingerprint, nowMs],
      );
      if (inserted.rowCount === 1) return { state: 'claimed' };
      // Expired (TTL) or abandoned (a claim whose process died) keys are taken over.
      const taken = await this.pool.query(
        `UPDATE request_keys SET fingerprint = $3, created_at = $4, status_code = NULL, body = NULL
         WHERE tenant_id = $1 AND key = $2 AND (created_at + $5 <= $4 OR (status_code IS NULL AND created_at + $6 <= $4))`,
        [tenantId, key, fingerprint, nowMs, ttlMs, CLAIM_ABANDONED_MS],
      );
      if (taken.rowCount === 1) return { state: 'claimed' };
      const { rows } = await this.pool.query<{ fingerprint: string; status_code: number | null; body: string | null }>(
        'SELECT fingerprint, status_code, body FROM request_keys WHERE tenant_id = $1 AND key = $2',
        [tenantId, key],
      );
      const row = rows[0];
      if (row === undefined) continue; // released between our statements: try to claim again
      if (row.fingerprint !== fingerprint) return { state: 'mismatch' };
      if (row.status_code === null || row.body === null) return { state: 'in_progress' };
      return { state: 'completed', statusCode: row.status_code, body: row.body };
    }
    return { state: 'in_progress' };
  }

  async completeRequestKey(tenantId: string, key: string, statusCode: number, body: string): Promise<void> {
    const sql = 'UPDATE request_keys SET status_code = $1, body = $2 WHERE tenant_id = $3 AND key = $4';
    await this.pool.query(sql, [statusCode, body, tenantId, key]);
  }

  async releaseRequestKey(tenantId: string, key: string): Promise<void> {
    await this.pool.query('DELETE FROM request_keys WHERE tenant_id = $1 AND key = $2 AND status_code IS NULL', [tenantId, key]);
  }

  async close(): Promise<void> {
    this.#closed ??= this.pool.end();
    return this.#closed;
  }
}
