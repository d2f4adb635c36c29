/**
 * PostgreSQL ingest (`PostgresIngest`, which `PostgresUsage.insertUsageEvents` calls): the `unnest`
 * insert, the read of stored keys, how each event of a call is resolved against them, the COPY of
 * `postgres-copy.ts` and the rollups of `postgres-rollups.ts`, and when a tenant's batches skip the
 * read (docs/benchmarks.md, "PostgreSQL ingest at 10M events").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { sameBillable, type Conflict } from './ingest-keys';
import { loadEventCopy, UNIQUE_VIOLATION, type EventCopy } from './postgres-copy';
import { isRetryableTransactionError, withTransaction } from './postgres-pool';
import { PostgresRollups, type RollupUpsert } from './postgres-rollups';
import { rollupDeltas, type RollupDelta } from './rollups';
import type { InsertUsageEventsResult, NewUsageEvent, UsageEventIdentity } from './store';

/**
 * One statement per batch, whatever its size: the columns travel as arrays and `unnest` turns them
 * into rows (one round trip; a VALUES list would need 16 parameters per event and a new plan per
 * batch size). Rows are inserted in input order. A key already stored, or committed meanwhile by
 * another replica, is skipped by the unique index and not returned.
 */
const INSERT_EVENTS_SQL = `
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
interface BillableFields {
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
async function readStored(db: pg.Pool | pg.PoolClient, tenantId: string, keys: readonly string[]): Promise<Map<string, BillableFields>> {
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
function resolve(
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

/** A deadlock needs two replicas inserting overlapping keys in opposite orders; retrying once or twice settles it. */
const MAX_INSERT_ATTEMPTS = 3;
/** Base of the pause after a deadlock (`afterDeadlock`), ms. */
const DEADLOCK_BACKOFF_MS = 25;
/**
 * A pause before running a deadlocked (or serialization-failed) batch again: the other writer,
 * which PostgreSQL let through, is still storing its rows, and a batch that starts again at once
 * meets them again (docs/benchmarks.md, "PostgreSQL ingest at 10M events"). Random, so two victims
 * do not meet again either.
 */
function afterDeadlock(attempt: number): Promise<void> {
  return sleep(DEADLOCK_BACKOFF_MS * (attempt + 1) * (0.5 + Math.random()));
}

/** Batches a tenant reads its keys for after one held a stored key (`#countReadFirst`). */
const READ_FIRST_BATCHES = 10;

/**
 * PostgreSQL ingest: a tenant's batches go straight into COPY while they are all new, else the stored
 * keys are read first and only new events are written; rollups are added in the same transaction.
 */
export class PostgresIngest {
  readonly #rollups = new PostgresRollups();
  readonly #copy = loadEventCopy();
  /**
   * Tenants whose batches read their keys before writing, and for how many more batches without a
   * stored key (`#insertExpectingNew`).
   */
  readonly #readFirst = new Map<string, number>();

  constructor(private readonly pool: pg.Pool) {}

  /** `Store.insertUsageEvents` on PostgreSQL. */
  async insert(tenantId: string, events: readonly UsageEventIdentity[], complete: Complete): Promise<InsertUsageEventsResult> {
    if (events.length === 0) return { ok: true, results: [], recordedCount: 0 };
    // Only the first occurrence of a key in the call can be inserted; later ones are compared with it.
    const first = new Map<string, number>();
    events.forEach((e, index) => {
      if (!first.has(e.idempotencyKey)) first.set(e.idempotencyKey, index);
    });
    // Each key is completed (priced) at most once, whichever path stores it.
    const completed = new Map<string, NewUsageEvent>();
    const completeOnce = (key: string, index: number): NewUsageEvent => {
      let e = completed.get(key);
      if (e === undefined) {
        e = complete(events[index] as UsageEventIdentity, index);
        if (e.idempotencyKey !== key) throw new Error('complete() changed the idempotency key of an event');
        completed.set(key, e);
      }
      return e;
    };
    const copy = await this.#copy;
    let fellBack = false;
    if (copy !== null && !this.#readFirst.has(tenantId)) {
      const result = await this.#insertExpectingNew(copy, tenantId, events, first, completeOnce);
      if (result !== null) return result;
      fellBack = true;
    }
    // Stored keys are read first, outside any transaction: a stored event never changes, so what we
    // see stays true. A batch of duplicates (a retry after a lost response) then costs one indexed
    // read, is not priced (`complete` runs only for keys not stored) and writes nothing; a conflict
    // with a stored event is found before anything is written.
    const stored = await readStored(this.pool, tenantId, [...first.keys()]);
    this.#countReadFirst(tenantId, fellBack || stored.size > 0);
    const fresh = new Map<string, NewUsageEvent>();
    for (const [key, index] of first) {
      if (!stored.has(key)) fresh.set(key, completeOnce(key, index));
    }
    const planned = resolve(events, stored, fresh);
    if (fresh.size === 0 || !planned.ok) return planned;
    // Dimension sets get their ids before the transaction, so it holds its row locks briefly.
    const deltas = rollupDeltas(fresh.values());
    await this.#rollups.prepare(this.pool, tenantId, deltas);
    let viaCopy = copy;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const copyNow = viaCopy;
        return await withTransaction(this.pool, (client) => this.#insertFresh(client, copyNow, tenantId, events, fresh, new Map(stored), deltas), (result) => result.ok);
      } catch (error) {
        // A key stored by another replica since our read: the insert path skips it and reads it back.
        if (viaCopy !== null && (error as { code?: unknown }).code === UNIQUE_VIOLATION) {
          viaCopy = null;
          attempt -= 1;
          continue;
        }
        if (attempt >= MAX_INSERT_ATTEMPTS || !isRetryableTransactionError(error)) throw error;
        await afterDeadlock(attempt);
      }
    }
  }

  /**
   * After a batch that held a stored key, or whose all-new attempt failed, the tenant's next
   * READ_FIRST_BATCHES batches read their keys first: a run of retries, or another replica writing
   * the same keys, keeps the tenant there instead of failing a COPY (and, with keys in opposite
   * orders, deadlocking) every other batch. Then its batches are taken as all new again.
   */
  #countReadFirst(tenantId: string, contended: boolean): void {
    const left = contended ? READ_FIRST_BATCHES : (this.#readFirst.get(tenantId) ?? 1) - 1;
    if (left > 0) this.#readFirst.set(tenantId, left);
    else this.#readFirst.delete(tenantId);
  }

  /**
   * The batch stored as if none of its keys were (a live gateway's batches are all new): COPY without
   * first reading which keys are stored, one round trip and ~1.3 ms of the server's time fewer per
   * batch at 10M events (docs/benchmarks.md, "PostgreSQL ingest at 10M events"). A stored key fails
   * the COPY with a unique violation and nothing is written; null then sends the caller to the
   * read-first path, which the tenant's batches keep taking for a while (`#countReadFirst`), so a run
   * of retried batches pays for one failed COPY (and one batch priced for nothing), not one each.
   */
  async #insertExpectingNew(
    copy: EventCopy,
    tenantId: string,
    events: readonly UsageEventIdentity[],
    first: ReadonlyMap<string, number>,
    completeOnce: (key: string, index: number) => NewUsageEvent,
  ): Promise<InsertUsageEventsResult | null> {
    const fresh = new Map<string, NewUsageEvent>();
    for (const [key, index] of first) fresh.set(key, completeOnce(key, index));
    const planned = resolve(events, new Map(), fresh);
    // A key repeated in the call with other billable fields: the read-first path tells whether the
    // conflict's other side is a stored event or the call's first one.
    if (!planned.ok) return null;
    const deltas = rollupDeltas(fresh.values());
    await this.#rollups.prepare(this.pool, tenantId, deltas);
    try {
      await withTransaction(this.pool, (client) => this.#copyFresh(client, copy, tenantId, [...fresh.values()], deltas));
      return planned;
    } catch (error) {
      if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) return null;
      if (isRetryableTransactionError(error)) {
        await afterDeadlock(0);
        return null;
      }
      throw error;
    }
  }

  /** COPY the new events, then add them to the rollups (the upsert's parameters built while the server stores the rows). */
  async #copyFresh(client: pg.PoolClient, copy: EventCopy, tenantId: string, fresh: readonly NewUsageEvent[], deltas: readonly RollupDelta[]): Promise<void> {
    let upsert: RollupUpsert | null = null;
    await copy.insert(client, tenantId, fresh, () => (upsert = this.#rollups.upsertValues(tenantId, deltas)));
    await this.#rollups.upsert(client, upsert);
  }

  /**
   * Insert the keys not seen stored. Another replica may have committed some of them meanwhile: the
   * unique index skips those, and a new statement reads them back (it sees the other commit).
   */
  async #insertFresh(
    client: pg.PoolClient,
    copy: EventCopy | null,
    tenantId: string,
    events: readonly UsageEventIdentity[],
    freshByKey: ReadonlyMap<string, NewUsageEvent>,
    stored: Map<string, BillableFields>,
    deltas: readonly RollupDelta[],
  ): Promise<InsertUsageEventsResult> {
    const fresh = [...freshByKey.values()];
    if (copy !== null) {
      await this.#copyFresh(client, copy, tenantId, fresh, deltas);
      return resolve(events, stored, freshByKey);
    }
    const inserted = await client.query<{ idempotency_key: string }>({
      name: 'bearlumen_insert_events',
      text: INSERT_EVENTS_SQL,
      values: [
        tenantId,
        fresh.map((e) => e.id),
        fresh.map((e) => e.idempotencyKey),
        fresh.map((e) => e.eventType),
        fresh.map((e) => e.metricName),
        fresh.map((e) => e.quantity),
        fresh.map((e) => e.subscriptionId),
        fresh.map((e) => e.timestampMs),
        fresh.map((e) => e.receivedAtMs),
        fresh.map((e) => e.metadataJson),
        fresh.map((e) => e.agentId),
        fresh.map((e) => e.workflowId),
        fresh.map((e) => e.tokenKind),
        fresh.map((e) => e.costNanoUsd),
        fresh.map((e) => e.priced),
        fresh.map((e) => e.priceSource),
      ],
    });
    const insertedByKey = new Map<string, NewUsageEvent>();
    for (const r of inserted.rows) insertedByKey.set(r.idempotency_key, freshByKey.get(r.idempotency_key) as NewUsageEvent);
    if (insertedByKey.size < fresh.length) {
      const raced = fresh.filter((e) => !insertedByKey.has(e.idempotencyKey)).map((e) => e.idempotencyKey);
      for (const [key, row] of await readStored(client, tenantId, raced)) stored.set(key, row);
    }
    // A conflict with what another replica just stored: withTransaction rolls back (ok: false).
    const result = resolve(events, stored, insertedByKey);
    // Only the events this statement inserted add to the rollups (a raced key was counted by its writer).
    if (result.ok) await this.#rollups.add(client, tenantId, insertedByKey.size === fresh.length ? deltas : rollupDeltas(insertedByKey.values()));
    return result;
  }
}
