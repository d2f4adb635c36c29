/**
 * PostgreSQL schema migrations, numbered and applied in order at start under an advisory lock (see
 * `applyPostgresMigrations` in `../postgres-migrate.ts`). The tables mirror `./sqlite.ts` column for
 * column, so both engines answer identically: instants of entities are RFC 3339 text exactly as the
 * route produced them, event times are epoch ms (BIGINT), metadata is the JSON text as received
 * (TEXT keeps key order; jsonb would reorder it), cost is integer nano-USD. Never change what a
 * released migration did to a database that already ran it: add the next number (see `./sqlite.ts`
 * on migration 3's time bound columns).
 */
import type pg from 'pg';
import { backfillPostgresRollups } from '../postgres-rollups';
import type { Migration } from './migration';

export const POSTGRES_MIGRATIONS: readonly Migration<pg.PoolClient>[] = [
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
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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

-- The unique index on (tenant_id, idempotency_key) is what makes ingest exactly-once across
-- replicas: concurrent inserts of one key serialise on it (INSERT … ON CONFLICT DO NOTHING).
CREATE TABLE usage_events (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  event_type TEXT NOT NULL,
  metric_name TEXT NOT NULL,
  quantity DOUBLE PRECISION NOT NULL,
  subscription_id TEXT,
  ts BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  metadata TEXT NOT NULL,
  agent_id TEXT,
  workflow_id TEXT,
  token_kind TEXT,
  cost_nano BIGINT NOT NULL,
  priced BOOLEAN NOT NULL,
  price_source TEXT
);
CREATE UNIQUE INDEX usage_events_key ON usage_events (tenant_id, idempotency_key);
CREATE INDEX usage_events_tenant_ts ON usage_events (tenant_id, ts);

CREATE TABLE request_keys (
  tenant_id TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  status_code INTEGER,
  body TEXT,
  PRIMARY KEY (tenant_id, key)
);

-- Which of a batch's keys are stored (ingest reads this before inserting). A function, so that the
-- plan can be pinned: until autovacuum first analyses the table there are no statistics, and the
-- planner then guesses that "key = ANY(1000 keys)" matches most rows and scans the whole table on
-- every batch (measured: 300 ms per batch at 60k rows instead of 2 ms). The unique index is always
-- the right access path for this lookup.
CREATE FUNCTION bearlumen_stored_events(p_tenant TEXT, p_keys TEXT[])
RETURNS TABLE (id TEXT, idempotency_key TEXT, event_type TEXT, metric_name TEXT, quantity DOUBLE PRECISION, subscription_id TEXT)
LANGUAGE sql STABLE SET enable_seqscan = off AS $$
  SELECT e.id, e.idempotency_key, e.event_type, e.metric_name, e.quantity, e.subscription_id
  FROM usage_events e WHERE e.tenant_id = p_tenant AND e.idempotency_key = ANY(p_keys)
$$;

-- Float sums must equal SQLite's to the last bit. SQLite (>= 3.43) sums REAL values with
-- Kahan-Babuska-Neumaier compensation; Postgres' sum(float8) adds naively and differs in the last
-- digits for most fractional inputs (measured: 61 % of random sums differ, 0 % with this aggregate).
CREATE FUNCTION bearlumen_kbn_step(state DOUBLE PRECISION[], r DOUBLE PRECISION) RETURNS DOUBLE PRECISION[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE t DOUBLE PRECISION := state[1] + r;
BEGIN
  IF abs(state[1]) > abs(r) THEN state[2] := state[2] + ((state[1] - t) + r);
  ELSE state[2] := state[2] + ((r - t) + state[1]);
  END IF;
  state[1] := t;
  RETURN state;
END $$;
CREATE FUNCTION bearlumen_kbn_final(state DOUBLE PRECISION[]) RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT state[1] + state[2] $$;
-- Like SQLite's TOTAL(): 0 over no rows.
CREATE AGGREGATE bearlumen_total(DOUBLE PRECISION) (
  SFUNC = bearlumen_kbn_step, STYPE = DOUBLE PRECISION[], INITCOND = '{0,0}', FINALFUNC = bearlumen_kbn_final
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
-- See the SQLite migration 3 for the meaning of each table; the columns match.
CREATE TABLE usage_dims (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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

-- cost_sum is NUMERIC: a bucket's sum may pass BIGINT's range (many events at the largest cost),
-- and an overflow would make ingest fail.
CREATE TABLE usage_rollups (
  tenant_id TEXT NOT NULL,
  grain BIGINT NOT NULL,
  bucket BIGINT NOT NULL,
  dim_id BIGINT NOT NULL,
  event_count BIGINT NOT NULL,
  quantity_sum DOUBLE PRECISION NOT NULL,
  cost_sum NUMERIC NOT NULL,
  unpriced_count BIGINT NOT NULL,
  quantity_min DOUBLE PRECISION NOT NULL,
  quantity_max DOUBLE PRECISION NOT NULL,
  ts_min BIGINT,
  ts_max BIGINT,
  subscription_id TEXT,
  agent_id TEXT,
  workflow_id TEXT,
  model TEXT,
  provider TEXT,
  metric_name TEXT NOT NULL,
  event_type TEXT NOT NULL,
  token_kind TEXT,
  PRIMARY KEY (tenant_id, grain, bucket, dim_id)
);

CREATE TABLE store_state (
  key TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);

-- As on SQLite, no per-filter indexes on usage_events (ingest cost); the event list's first page is
-- located through the hour rollups.
`,
    after: backfillPostgresRollups,
  },
  {
    version: 4,
    name: 'rollup fillfactor, time bounds and dimension index',
    // Every batch updates the rows of its hour and day. With full pages an updated row moves to
    // another page and gets a new index entry; the dead versions left behind made the rollups ~11x
    // their live size at 10M events, and reads scanned those pages. Half-full pages let most updates
    // stay on their page (HOT: no new index entry, old versions pruned in place). Pages written
    // before this step keep their layout until a VACUUM FULL (docs/deployment.md).
    //
    // The time bounds and the dimension index: see SQLite's migration 4 (migration 3 creates the
    // bounds since they were added).
    sql: `
ALTER TABLE usage_rollups SET (fillfactor = 50);
ALTER TABLE usage_rollups ADD COLUMN IF NOT EXISTS ts_min BIGINT, ADD COLUMN IF NOT EXISTS ts_max BIGINT;
CREATE INDEX IF NOT EXISTS usage_rollups_dim ON usage_rollups (tenant_id, grain, dim_id, bucket);
`,
  },
];
