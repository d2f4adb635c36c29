/**
 * SQLite schema migrations, numbered and applied in order at start (see `applyMigrations` in
 * `../sqlite.ts`). Embedded as strings so the built package ships them. Never change what a released
 * migration did to a database that already ran it: add the next number. (Migration 3 now also
 * creates columns that migration 4 adds to older databases, because its backfill writes rollup
 * rows with today's writer; both paths end in the same schema.)
 */
import type Database from 'better-sqlite3';
import { backfillSqliteRollups } from '../sqlite-rollups';
import type { Migration } from './migration';

export const SQLITE_MIGRATIONS: readonly Migration<Database.Database>[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
);

CREATE TABLE api_keys (
  key_hash TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  prefix TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE end_users (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  external_id TEXT NOT NULL,
  name TEXT,
  email TEXT,
  metadata TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deactivated_at TEXT,
  UNIQUE (tenant_id, external_id)
);
CREATE INDEX end_users_tenant_status ON end_users (tenant_id, status);

CREATE TABLE subscriptions (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  user_id TEXT NOT NULL,
  pricing_plan_id TEXT NOT NULL,
  status TEXT NOT NULL,
  current_period_start TEXT NOT NULL,
  current_period_end TEXT NOT NULL,
  stripe_subscription_id TEXT,
  metadata TEXT NOT NULL,
  canceled_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX subscriptions_tenant ON subscriptions (tenant_id, user_id);

-- One row per event. ts/received_at are epoch ms; cost is integer nano-USD fixed at ingest.
-- agent_id/workflow_id/token_kind are denormalised from metadata/metricName so that cost
-- attribution groups on plain columns instead of parsing JSON per row.
CREATE TABLE usage_events (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  event_type TEXT NOT NULL,
  metric_name TEXT NOT NULL,
  quantity REAL NOT NULL,
  subscription_id TEXT,
  ts INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  metadata TEXT NOT NULL,
  agent_id TEXT,
  workflow_id TEXT,
  token_kind TEXT,
  cost_nano INTEGER NOT NULL,
  priced INTEGER NOT NULL,
  price_source TEXT
);
CREATE UNIQUE INDEX usage_events_key ON usage_events (tenant_id, idempotency_key);
CREATE INDEX usage_events_tenant_ts ON usage_events (tenant_id, ts);

CREATE TABLE request_keys (
  tenant_id TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  status_code INTEGER,
  body TEXT,
  PRIMARY KEY (tenant_id, key)
);
`,
  },
  {
    version: 2,
    name: 'api key ids',
    // The display column held the key's first 12 characters, secret ones included. It now holds the
    // key id, derived from the digest exactly as keyIdOfDigest() does (src/server/key-id.ts).
    sql: `
ALTER TABLE api_keys RENAME COLUMN prefix TO key_id;
UPDATE api_keys SET key_id = 'key_' || substr(key_hash, 1, 12);
`,
  },
  {
    version: 3,
    name: 'rollups',
    sql: `
-- A tenant's distinct dimension sets; rollup rows reference them by id. dim_key is the JSON array of
-- the values (see dimKeyOf in rollups.ts), unique per tenant, so null stays apart from every string.
CREATE TABLE usage_dims (
  id INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  dim_key TEXT NOT NULL,
  subscription_id TEXT,
  agent_id TEXT,
  workflow_id TEXT,
  model TEXT,
  provider TEXT,
  metric_name TEXT NOT NULL,
  event_type TEXT NOT NULL,
  token_kind TEXT,
  UNIQUE (tenant_id, dim_key)
);

-- Usage per tenant, bucket and dimension set, maintained at ingest in the event's transaction.
-- grain is the bucket width in ms (hour and day); bucket its start (epoch ms, UTC-aligned).
CREATE TABLE usage_rollups (
  tenant_id TEXT NOT NULL,
  grain INTEGER NOT NULL,
  bucket INTEGER NOT NULL,
  dim_id INTEGER NOT NULL,
  event_count INTEGER NOT NULL,
  quantity_sum REAL NOT NULL,
  cost_sum INTEGER NOT NULL,
  unpriced_count INTEGER NOT NULL,
  quantity_min REAL NOT NULL,
  quantity_max REAL NOT NULL,
  -- Earliest and latest event time of the row's events (ms); null on rows written before migration 4.
  ts_min INTEGER,
  ts_max INTEGER,
  -- The dimension set's values (equal to usage_dims'), so reads filter and group without a join.
  subscription_id TEXT,
  agent_id TEXT,
  workflow_id TEXT,
  model TEXT,
  provider TEXT,
  metric_name TEXT NOT NULL,
  event_type TEXT NOT NULL,
  token_kind TEXT,
  PRIMARY KEY (tenant_id, grain, bucket, dim_id)
) WITHOUT ROWID;

-- Small facts about the store's data, e.g. where event retention has dropped raw events up to.
CREATE TABLE store_state (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);

-- No per-filter indexes on usage_events: one (tenant_id, <column>, ts) index per filter column cost
-- 5x the ingest CPU (many insertion points per batch; measured in docs/architecture.md). A filtered
-- event list finds where its first page starts from the hour rollups instead (usage-sql.ts).
`,
    after: backfillSqliteRollups,
  },
  {
    version: 4,
    name: 'rollup time bounds and dimension index',
    // Where in its bucket a rollup row's events lie, so that a filtered event list reads only that
    // part of an hour (usage-page.ts). Migration 3 creates the columns since they were added; a
    // database that ran an older migration 3 gets them here, null (unknown) on the rows it has.
    // The index finds a filter's rollup rows through its dimension sets (usage_dims), so that
    // locating a sparse filter's hours reads its own rows, not every row of each hour. It grows
    // only when a row is created (the first event of a dimension set in an hour or a day); the
    // updates that follow change no indexed column.
    sql: `
CREATE INDEX IF NOT EXISTS usage_rollups_dim ON usage_rollups (tenant_id, grain, dim_id, bucket);
`,
    after: addRollupTimeBounds,
  },
];

/** Migration 4's step: add the time bound columns unless migration 3 created them. */
function addRollupTimeBounds(db: Database.Database): void {
  const columns = new Set((db.prepare('PRAGMA table_info(usage_rollups)').all() as { name: string }[]).map((c) => c.name));
  for (const column of ['ts_min', 'ts_max']) {
    if (!columns.has(column)) db.exec(`ALTER TABLE usage_rollups ADD COLUMN ${column} INTEGER`);
  }
}
