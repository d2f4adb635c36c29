/**
 * The usage half of the PostgreSQL store: ingest and the reads behind query, aggregation, summary
 * and cost attribution. Every query mirrors `sqlite-usage.ts` so both engines answer identically:
 * text sorts use the C collation (SQLite compares bytes), float sums use `bearlumen_total` (SQLite's
 * compensated TOTAL), BIGINT/NUMERIC come back as JS numbers (see `postgres-pool.ts`).
 */
import type pg from 'pg';
import type { AggregationWindow, UsageEvent } from '../../protocol/types';
import { isRetryableTransactionError, withTransaction } from './postgres-pool';
import { toUsageEvent, type UsageEventRow } from './rows';
import type {
  AttributionDimension,
  CostBreakdownRow,
  InsertUsageEventsResult,
  NewUsageEvent,
  UsageAggregateRow,
  UsageEventIdentity,
  UsageFilter,
  UsageSummaryTotals,
} from './store';

const WINDOW_MS: Record<AggregationWindow, number> = { HOUR: 3_600_000, DAY: 86_400_000 };
/** Column per dimension; a fixed map, so no user input ever reaches the SQL text. */
const DIMENSION_COLUMN: Record<AttributionDimension, string> = { agent_id: 'agent_id', workflow_id: 'workflow_id' };
/** A deadlock needs two replicas inserting overlapping keys in opposite orders; retrying once or twice settles it. */
const MAX_INSERT_ATTEMPTS = 3;

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

type Complete = (event: UsageEventIdentity, index: number) => NewUsageEvent;

interface StoredEventRow {
  id: string;
  idempotency_key: string;
  event_type: string;
  metric_name: string;
  quantity: number;
  subscription_id: string | null;
}

type Conflict = { index: number; idempotencyKey: string; existingEventId: string };

const sameBillable = (a: BillableFields, b: UsageEventIdentity): boolean =>
  a.eventType === b.eventType && a.metricName === b.metricName && a.quantity === b.quantity && a.subscriptionId === b.subscriptionId;

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

/** `complete` of the one-argument form of insertUsageEvents: its overload only admits complete events. */
const completeAsIs = (event: UsageEventIdentity): NewUsageEvent => event as NewUsageEvent;

/** Build the WHERE clause of a usage filter with `$n` placeholders. Only fixed column names enter the SQL text. */
export function whereOf(tenantId: string, f: UsageFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [tenantId, f.startMs, f.endMs];
  let sql = 'tenant_id = $1 AND ts >= $2 AND ts < $3';
  const optional: [string, string | undefined][] = [
    ['subscription_id', f.subscriptionId],
    ['metric_name', f.metricName],
    ['event_type', f.eventType],
    ['agent_id', f.agentId],
    ['workflow_id', f.workflowId],
  ];
  for (const [column, value] of optional) {
    if (value === undefined) continue;
    params.push(value);
    sql += ` AND ${column} = $${params.length}`;
  }
  return { sql, params };
}

/** Base of `PostgresStore`: owns the pool and the usage queries. */
export class PostgresUsage {
  protected constructor(protected readonly pool: pg.Pool) {}

  async insertUsageEvents(tenantId: string, events: readonly NewUsageEvent[]): Promise<InsertUsageEventsResult>;
  async insertUsageEvents<E extends UsageEventIdentity>(
    tenantId: string,
    events: readonly E[],
    complete: (event: E, index: number) => NewUsageEvent,
  ): Promise<InsertUsageEventsResult>;
  async insertUsageEvents(tenantId: string, events: readonly UsageEventIdentity[], complete: Complete = completeAsIs): Promise<InsertUsageEventsResult> {
    if (events.length === 0) return { ok: true, results: [], recordedCount: 0 };
    // Only the first occurrence of a key in the call can be inserted; later ones are compared with it.
    const first = new Map<string, number>();
    events.forEach((e, index) => {
      if (!first.has(e.idempotencyKey)) first.set(e.idempotencyKey, index);
    });
    // Stored keys are read first, outside any transaction: a stored event never changes, so what we
    // see stays true. A batch of duplicates (a retry after a lost response) costs one indexed read,
    // is never priced (`complete` runs only for keys not stored) and writes nothing; a conflict with
    // a stored event is found before anything is written.
    const stored = await readStored(this.pool, tenantId, [...first.keys()]);
    const fresh = new Map<string, NewUsageEvent>();
    for (const [key, index] of first) {
      if (stored.has(key)) continue;
      const e = complete(events[index] as UsageEventIdentity, index);
      if (e.idempotencyKey !== key) throw new Error('complete() changed the idempotency key of an event');
      fresh.set(key, e);
    }
    const planned = resolve(events, stored, fresh);
    if (fresh.size === 0 || !planned.ok) return planned;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await withTransaction(this.pool, (client) => this.#insertFresh(client, tenantId, events, fresh, new Map(stored)), (result) => result.ok);
      } catch (error) {
        if (attempt >= MAX_INSERT_ATTEMPTS || !isRetryableTransactionError(error)) throw error;
      }
    }
  }

  /**
   * Insert the keys not seen stored. Another replica may have committed some of them meanwhile: the
   * unique index skips those, and a new statement reads them back (it sees the other commit).
   */
  async #insertFresh(
    client: pg.PoolClient,
    tenantId: string,
    events: readonly UsageEventIdentity[],
    freshByKey: ReadonlyMap<string, NewUsageEvent>,
    stored: Map<string, BillableFields>,
  ): Promise<InsertUsageEventsResult> {
    const fresh = [...freshByKey.values()];
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
    return resolve(events, stored, insertedByKey);
  }
  async queryUsageEvents(tenantId: string, filter: UsageFilter, limit: number, offset: number): Promise<{ events: UsageEvent[]; total: number }> {
    const { sql, params } = whereOf(tenantId, filter);
    const total = await this.pool.query<{ n: number }>(`SELECT COUNT(*) AS n FROM usage_events WHERE ${sql}`, params);
    const rows = await this.pool.query<UsageEventRow>(
      `SELECT id, event_type, metric_name, quantity, subscription_id, idempotency_key, ts, received_at, metadata, cost_nano,
         priced::int AS priced
       FROM usage_events WHERE ${sql} ORDER BY ts DESC, seq DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, limit, offset],
    );
    return { events: rows.rows.map(toUsageEvent), total: total.rows[0]?.n ?? 0 };
  }

  async aggregateUsage(tenantId: string, filter: UsageFilter, window: AggregationWindow | null): Promise<UsageAggregateRow[]> {
    const { sql, params } = whereOf(tenantId, filter);
    const bucket = window === null ? 'NULL::bigint' : `(ts / ${WINDOW_MS[window]}) * ${WINDOW_MS[window]}`;
    const rows = await this.pool.query<UsageAggregateRow>(
      `SELECT metric_name AS "metricName", ${bucket} AS "windowStartMs", bearlumen_total(quantity) AS "totalQuantity",
         COUNT(*) AS "eventCount", MIN(quantity) AS "minQuantity", MAX(quantity) AS "maxQuantity", SUM(cost_nano) AS "costNanoUsd"
       FROM usage_events WHERE ${sql} GROUP BY 1, 2 ORDER BY metric_name COLLATE "C", "windowStartMs"`,
      params,
    );
    return rows.rows;
  }

  async summarizeUsage(tenantId: string, filter: UsageFilter): Promise<UsageSummaryTotals> {
    const { sql, params } = whereOf(tenantId, filter);
    const totals = await this.pool.query<Omit<UsageSummaryTotals, 'metrics'>>(
      `SELECT COUNT(*) AS "totalEvents",
         bearlumen_total(quantity) FILTER (WHERE token_kind = 'input') AS "inputTokens",
         bearlumen_total(quantity) FILTER (WHERE token_kind = 'output') AS "outputTokens",
         bearlumen_total(quantity) FILTER (WHERE token_kind = 'cache_read') AS "cacheReadTokens",
         bearlumen_total(quantity) FILTER (WHERE token_kind = 'cache_write') AS "cacheWriteTokens",
         COALESCE(SUM(cost_nano), 0) AS "costNanoUsd",
         COUNT(*) FILTER (WHERE NOT priced) AS "unpricedEventCount"
       FROM usage_events WHERE ${sql}`,
      params,
    );
    const metrics = await this.pool.query<UsageSummaryTotals['metrics'][number]>(
      `SELECT metric_name AS "metricName", bearlumen_total(quantity) AS "totalQuantity", COUNT(*) AS "eventCount"
       FROM usage_events WHERE ${sql} GROUP BY 1 ORDER BY metric_name COLLATE "C"`,
      params,
    );
    const row = totals.rows[0];
    if (row === undefined) throw new Error('summary query returned no row');
    return { ...row, metrics: metrics.rows };
  }

  async costBreakdown(tenantId: string, dimension: AttributionDimension, filter: UsageFilter): Promise<CostBreakdownRow[]> {
    const { sql, params } = whereOf(tenantId, filter);
    const column = DIMENSION_COLUMN[dimension];
    const rows = await this.pool.query<CostBreakdownRow>(
      `SELECT ${column} AS value, COALESCE(SUM(cost_nano), 0) AS "costNanoUsd",
         bearlumen_total(quantity) FILTER (WHERE token_kind = 'input') AS "inputTokens",
         bearlumen_total(quantity) FILTER (WHERE token_kind = 'output') AS "outputTokens",
         COUNT(*) AS "eventCount", COUNT(*) FILTER (WHERE NOT priced) AS "unpricedEventCount"
       FROM usage_events WHERE ${sql} GROUP BY ${column}`,
      params,
    );
    return rows.rows;
  }

  async attributionValues(tenantId: string, dimension: AttributionDimension, filter: UsageFilter): Promise<string[]> {
    const { sql, params } = whereOf(tenantId, filter);
    const column = DIMENSION_COLUMN[dimension];
    const rows = await this.pool.query<{ value: string }>(
      `SELECT DISTINCT ${column} COLLATE "C" AS value FROM usage_events WHERE ${sql} AND ${column} IS NOT NULL ORDER BY 1`,
      params,
    );
    return rows.rows.map((r) => r.value);
  }
}
