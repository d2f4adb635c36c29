/**
 * The statements and bookkeeping of PostgreSQL ingest that do not need the store's state: the
 * `unnest` insert, the read of stored keys, and how each event of a call is resolved against them.
 * `PostgresUsage.insertUsageEvents` runs them (and the COPY of `postgres-copy.ts`) in order.
 */
import type pg from 'pg';
import { sameBillable, type Conflict } from './ingest-keys';
import type { InsertUsageEventsResult, NewUsageEvent, UsageEventIdentity } from './store';

/**
 * One statement per batch, whatever its size: the columns travel as arrays and `unnest` turns them
 * into rows (one round trip; a VALUES list would need 16 parameters per event and a new plan per
 * batch size). Rows are inserted in input order. A key already stored, or committed meanwhile by
 * another replica, is skipped by the unique index and not returned.
 */
export const INSERT_EVENTS_SQL = `
INSERT INTO usage_events (id, tenant_id, idempotency_key, event_type, metric_name, quantity, subscription_id, ts,
  received_at, metadata, agent_id, workflow_id, token_kind, cost_nano, priced, price_source)
SELECT e.id, $1, e.key, e.event_type, e.metric_name, e.quantity, e.subscription_id, e.ts, e.received_at, e.metadata,
  e.agent_id, e.workflow_id, e.token_kind, e.cost_nano, e.priced, e.price_source
FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::text[], $8::bigint[], $9::bigint[],
  $10::text[], $11::text[], $12::text[], $13::text[], $14::bigint[], $15::boolean[], $16::text[])
  AS e(id, key, event_type, metric_name, quantity, subscription_id, ts, received_at, metadata, agent_id, workflow_id,
    token_kind, cost_nano, priced, price_source)
ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
RETURNING idempotency_key`;

/** Through a function that pins the unique-index plan (see the migration for why). */
const STORED_EVENTS_SQL = 'SELECT id, idempotency_key, event_type, metric_name, quantity, subscription_id FROM bearlumen_stored_events($1, $2::text[])';

/** The billable fields of an event: what decides whether a repeated key is a duplicate or a conflict. */
export interface BillableFields {
  id: string;
  eventType: string;
  metricName: string;
  quantity: number;
  subscriptionId: string | null;
}

export type Complete = (event: UsageEventIdentity, index: number) => NewUsageEvent;

interface StoredEventRow {
  id: string;
  idempotency_key: string;
  event_type: string;
  metric_name: string;
  quantity: number;
  subscription_id: string | null;
}


/** The stored events among `keys`, by key (billable fields only). */
export async function readStored(db: pg.Pool | pg.PoolClient, tenantId: string, keys: readonly string[]): Promise<Map<string, BillableFields>> {
  const { rows } = await db.query<StoredEventRow>({ name: 'bearlumen_stored_events', text: STORED_EVENTS_SQL, values: [tenantId, keys] });
  const stored = new Map<string, BillableFields>();
  for (const r of rows) {
    stored.set(r.idempotency_key, { id: r.id, eventType: r.event_type, metricName: r.metric_name, quantity: r.quantity, subscriptionId: r.subscription_id });
  }
  return stored;
}

/**
 * Each event's outcome, given what the store holds per key and the events this call inserted (by
 * key): the first event of an inserted key is recorded; every other event is a duplicate of the
 * stored (or inserted) one when the billable fields match, else a conflict (and then the call must
 * write nothing).
 */
export function resolve(
  events: readonly UsageEventIdentity[],
  stored: ReadonlyMap<string, BillableFields>,
  inserted: ReadonlyMap<string, NewUsageEvent>,
): InsertUsageEventsResult {
  const results: { eventId: string; recorded: boolean }[] = new Array(events.length);
  const conflicts: Conflict[] = [];
  const recordedNow = new Set<string>();
  events.forEach((e, index) => {
    const mine = inserted.get(e.idempotencyKey);
    if (mine !== undefined && !recordedNow.has(e.idempotencyKey)) {
      recordedNow.add(e.idempotencyKey);
      results[index] = { eventId: mine.id, recorded: true };
      return;
    }
    const existing = mine ?? stored.get(e.idempotencyKey);
    // Usage events are never deleted, so a key the insert skipped is always readable.
    if (existing === undefined) throw new Error(`usage event with idempotency key ${JSON.stringify(e.idempotencyKey)} vanished during insert`);
    if (sameBillable(existing, e)) results[index] = { eventId: existing.id, recorded: false };
    else conflicts.push({ index, idempotencyKey: e.idempotencyKey, existingEventId: existing.id });
  });
  return conflicts.length > 0 ? { ok: false, conflicts } : { ok: true, results, recordedCount: recordedNow.size };
}
