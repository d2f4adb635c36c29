/**
 * Event ingest on SQLite, the hot path of the server. One IMMEDIATE transaction per call (SQLite
 * has a single writer, so what we read inside it cannot change under us). Stored keys of the
 * batch are fetched first with one `IN (…)` lookup per 1000 keys, so a batch of duplicates (a
 * retried batch whose response was lost) costs index reads only and is never priced (`complete` runs
 * for new events only); new events are inserted with prepared statements, several rows per
 * statement. Keys repeated inside the batch resolve against the first copy.
 */
import type Database from 'better-sqlite3';
import type { InsertUsageEventsResult, NewUsageEvent, UsageEventIdentity } from './store';

/**
 * A stored (or just planned) event as the lookup returns it: a raw row, because better-sqlite3
 * builds an array per row much faster than an object with named properties (about 0.4 µs per key).
 */
type KnownEvent = [key: string, id: string, eventType: string, metricName: string, quantity: number, subscriptionId: string | null];

type Conflict = { index: number; idempotencyKey: string; existingEventId: string };

/** Keys per lookup statement: a whole batch (MAX_BATCH_SIZE), well under SQLite's 32766 bound parameters. */
const LOOKUP_CHUNK = 1000;
/** Rows per INSERT statement (16 parameters each). */
const INSERT_CHUNK = 25;
const COLUMNS = 16;

/** Thrown inside the transaction to roll it back when keys conflict; carries the conflicts out. */
class ConflictRollback extends Error {
  constructor(readonly conflicts: Conflict[]) {
    super('idempotency conflict');
  }
}

/** The ingest function of a connection: `insertUsageEvents` in its two-argument form (see store.ts). */
export type SqliteIngest = (
  tenantId: string,
  events: readonly UsageEventIdentity[],
  complete: (event: UsageEventIdentity, index: number) => NewUsageEvent,
) => InsertUsageEventsResult;

/** Build the ingest function for a connection (statements are prepared once). */
export function createSqliteIngest(db: Database.Database): SqliteIngest {
  const inserts = new Map<number, Database.Statement>();
  const insert = (rows: number): Database.Statement => {
    let st = inserts.get(rows);
    if (st === undefined) {
      const one = `(${new Array<string>(COLUMNS).fill('?').join(',')})`;
      st = db.prepare(
        `INSERT INTO usage_events (id, tenant_id, idempotency_key, event_type, metric_name, quantity, subscription_id, ts,
           received_at, metadata, agent_id, workflow_id, token_kind, cost_nano, priced, price_source)
         VALUES ${new Array<string>(rows).fill(one).join(',')} ON CONFLICT (tenant_id, idempotency_key) DO NOTHING`,
      );
      inserts.set(rows, st);
    }
    return st;
  };
  const lookups = new Map<number, Database.Statement>();
  const lookup = (size: number): Database.Statement => {
    let s = lookups.get(size);
    if (s === undefined) {
      s = db
        .prepare(
          `SELECT idempotency_key, id, event_type, metric_name, quantity, subscription_id FROM usage_events
           WHERE tenant_id = ? AND idempotency_key IN (${new Array<string>(size).fill('?').join(',')})`,
        )
        .raw(true);
      lookups.set(size, s);
    }
    return s;
  };

  const run = db.transaction((tenantId: string, events: readonly UsageEventIdentity[], complete: Parameters<SqliteIngest>[2]): InsertUsageEventsResult => {
    const known = new Map<string, KnownEvent>();
    for (let start = 0; start < events.length; start += LOOKUP_CHUNK) {
      const keys = events.slice(start, start + LOOKUP_CHUNK).map((e) => e.idempotencyKey);
      for (const row of lookup(keys.length).all(tenantId, ...keys) as KnownEvent[]) known.set(row[0], row);
    }
    const results: { eventId: string; recorded: boolean }[] = new Array(events.length);
    const conflicts: Conflict[] = [];
    /** Indexes of the first event of each key not stored: the events to complete and insert. */
    const freshIndexes: number[] = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i] as UsageEventIdentity;
      const existing = known.get(e.idempotencyKey);
      if (existing !== undefined) {
        const same = existing[2] === e.eventType && existing[3] === e.metricName && existing[4] === e.quantity && existing[5] === e.subscriptionId;
        // A key first seen in this batch has no id yet (''): it is filled in once that event is completed.
        if (same) results[i] = { eventId: existing[1], recorded: false };
        else conflicts.push({ index: i, idempotencyKey: e.idempotencyKey, existingEventId: existing[1] });
        continue;
      }
      freshIndexes.push(i);
      known.set(e.idempotencyKey, [e.idempotencyKey, '', e.eventType, e.metricName, e.quantity, e.subscriptionId]);
    }
    if (conflicts.length > 0) {
      // A conflict with an event first seen in this batch names that event's id, as it would be stored.
      const ids = new Map<string, string>();
      for (const c of conflicts) {
        if (c.existingEventId !== '') continue;
        let id = ids.get(c.idempotencyKey);
        if (id === undefined) {
          const first = events.findIndex((e) => e.idempotencyKey === c.idempotencyKey);
          id = complete(events[first] as UsageEventIdentity, first).id;
          ids.set(c.idempotencyKey, id);
        }
        c.existingEventId = id;
      }
      // Throwing rolls the whole transaction back: a batch with a conflicting key writes nothing.
      throw new ConflictRollback(conflicts);
    }
    // Only now are new events priced and given ids: a replayed batch never gets here.
    const fresh: NewUsageEvent[] = new Array(freshIndexes.length);
    for (let f = 0; f < freshIndexes.length; f++) {
      const i = freshIndexes[f] as number;
      const e = complete(events[i] as UsageEventIdentity, i);
      if (e.idempotencyKey !== (events[i] as UsageEventIdentity).idempotencyKey) throw new Error('complete() changed the idempotency key of an event');
      fresh[f] = e;
      (known.get(e.idempotencyKey) as KnownEvent)[1] = e.id;
      results[i] = { eventId: e.id, recorded: true };
    }
    if (fresh.length < events.length) {
      // Repeats of keys first seen in this batch point at that event's id.
      for (let i = 0; i < events.length; i++) {
        const r = results[i] as { eventId: string; recorded: boolean };
        if (!r.recorded && r.eventId === '') r.eventId = (known.get((events[i] as UsageEventIdentity).idempotencyKey) as KnownEvent)[1];
      }
    }
    // Multi-row INSERTs: one statement per INSERT_CHUNK events is ~35 % cheaper than one per event.
    for (let start = 0; start < fresh.length; start += INSERT_CHUNK) {
      const chunk = fresh.slice(start, start + INSERT_CHUNK);
      const params: unknown[] = [];
      for (const e of chunk) {
        params.push(
          e.id,
          tenantId,
          e.idempotencyKey,
          e.eventType,
          e.metricName,
          e.quantity,
          e.subscriptionId,
          e.timestampMs,
          e.receivedAtMs,
          e.metadataJson,
          e.agentId,
          e.workflowId,
          e.tokenKind,
          e.costNanoUsd,
          e.priced ? 1 : 0,
          e.priceSource,
        );
      }
      const info = insert(chunk.length).run(...params);
      // Keys were looked up under the write lock, so every row must be new.
      if (info.changes !== chunk.length) throw new Error(`usage events appeared during an IMMEDIATE transaction (${info.changes} of ${chunk.length} inserted)`);
    }
    return { ok: true, results, recordedCount: fresh.length };
  });

  return (tenantId, events, complete) => {
    try {
      return run.immediate(tenantId, events, complete);
    } catch (error) {
      if (error instanceof ConflictRollback) return { ok: false, conflicts: error.conflicts };
      throw error;
    }
  };
}
