/**
 * SQLite schema migrations, numbered and applied in order at start (see `applyMigrations` in
 * `../sqlite.ts`). Embedded as strings so the built package ships them. Never edit a released
 * migration: add the next number.
 */
import type { Migration } from './migration';

export const SQLITE_MIGRATIONS: readonly Migration[] = [
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
];
