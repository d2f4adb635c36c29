/**
 * The usage half of the PostgreSQL store: ingest and the reads behind query, aggregation, summary,
 * cost attribution and the cost reports. The reads come from the shared query core (`usage-sql.ts`,
 * `cost-report-sql.ts`) so both engines answer identically:
 * text sorts use the C collation (SQLite compares bytes), float sums use `bearlumen_total` (SQLite's
 * compensated TOTAL), BIGINT/NUMERIC come back as JS numbers (see `postgres-pool.ts`).
 */
import type pg from 'pg';
import type { AggregationWindow, UsageEvent } from '../../protocol/types';
import type { CostDimension, CostSeriesRow, DimensionCostRow } from './cost-report-types';
import { costReportReads, finishCostSeries, finishDimensionCosts } from './cost-report-sql';
import { POSTGRES_DIALECT, type BuiltQuery } from './dialect';
import { completeAsIs, sameBillable, type Conflict } from './ingest-keys';
import { isRetryableTransactionError, withTransaction } from './postgres-pool';
import { loadEventCopy, UNIQUE_VIOLATION, type EventCopy } from './postgres-copy';
import { PostgresRollups } from './postgres-rollups';
import { RETAINED_FROM_KEY } from './rollup-sql';
import { DAY_MS, rollupDeltas, type RollupDelta } from './rollups';
import { readPage, type BucketCount, type PageRunner } from './usage-page';
import { usageReads } from './usage-sql';
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

const READS = usageReads(POSTGRES_DIALECT);
const COST_REPORTS = costReportReads(POSTGRES_DIALECT);
/** A deadlock needs two replicas inserting overlapping keys in opposite orders; retrying once or twice settles it. */
const MAX_INSERT_ATTEMPTS = 3;
/** Events deleted per statement by retention. */
const RETENTION_SLICE = 10_000;

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


/** Base of `PostgresStore`: owns the pool and the usage queries. */
export class PostgresUsage {
  readonly #rollups = new PostgresRollups();
  readonly #copy = loadEventCopy();

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
    // Dimension sets get their ids before the transaction, so it holds its row locks briefly.
    const deltas = rollupDeltas(fresh.values());
    await this.#rollups.prepare(this.pool, tenantId, deltas);
    let copy = await this.#copy;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const viaCopy = copy;
        return await withTransaction(this.pool, (client) => this.#insertFresh(client, viaCopy, tenantId, events, fresh, new Map(stored), deltas), (result) => result.ok);
      } catch (error) {
        // A key stored by another replica since our read: the insert path skips it and reads it back.
        if (copy !== null && (error as { code?: unknown }).code === UNIQUE_VIOLATION) {
          copy = null;
          attempt -= 1;
          continue;
        }
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
    copy: EventCopy | null,
    tenantId: string,
    events: readonly UsageEventIdentity[],
    freshByKey: ReadonlyMap<string, NewUsageEvent>,
    stored: Map<string, BillableFields>,
    deltas: readonly RollupDelta[],
  ): Promise<InsertUsageEventsResult> {
    const fresh = [...freshByKey.values()];
    if (copy !== null) {
      await copy.insert(client, tenantId, fresh);
      await this.#rollups.add(client, tenantId, deltas);
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

  async queryUsageEvents(tenantId: string, filter: UsageFilter, limit: number, offset: number): Promise<{ events: UsageEvent[]; total: number }> {
    // As on SQLite: page and total over the part of the range whose events are kept.
    const kept = { ...filter, startMs: Math.max(filter.startMs, await this.#retainedFromMs()) };
    if (kept.startMs >= kept.endMs) return { events: [], total: 0 };
    const rows = await readPage<UsageEventRow>(READS, this.#pageRunner, tenantId, kept, limit, offset);
    const total = await this.#pageRunner.count(READS.count(tenantId, kept));
    return { events: rows.map(toUsageEvent), total };
  }

  readonly #pageRunner: PageRunner<UsageEventRow> = {
    counts: (q) => this.#all<BucketCount>(q),
    count: async (q) => (await this.#all<{ n: number }>(q))[0]?.n ?? 0,
    rows: (q) => this.#all<UsageEventRow>(q),
  };

  async aggregateUsage(tenantId: string, filter: UsageFilter, window: AggregationWindow | null): Promise<UsageAggregateRow[]> {
    return this.#all<UsageAggregateRow>(READS.aggregate(tenantId, filter, window));
  }

  async summarizeUsage(tenantId: string, filter: UsageFilter): Promise<UsageSummaryTotals> {
    const [totals, metrics] = await Promise.all([
      this.#all<Omit<UsageSummaryTotals, 'metrics'>>(READS.summaryTotals(tenantId, filter)),
      this.#all<UsageSummaryTotals['metrics'][number]>(READS.summaryMetrics(tenantId, filter)),
    ]);
    const row = totals[0];
    if (row === undefined) throw new Error('summary query returned no row');
    return { ...row, metrics };
  }

  async costBreakdown(tenantId: string, dimension: AttributionDimension, filter: UsageFilter): Promise<CostBreakdownRow[]> {
    return this.#all<CostBreakdownRow>(READS.costBreakdown(tenantId, dimension, filter));
  }

  async attributionValues(tenantId: string, dimension: AttributionDimension, filter: UsageFilter): Promise<string[]> {
    return (await this.#all<{ value: string }>(READS.attributionValues(tenantId, dimension, filter))).map((r) => r.value);
  }

  async dimensionCosts(tenantId: string, dimension: CostDimension, filter: UsageFilter): Promise<DimensionCostRow[]> {
    return finishDimensionCosts(dimension, await this.#all<DimensionCostRow>(COST_REPORTS.dimensionCosts(tenantId, dimension, filter)));
  }

  async costSeries(tenantId: string, dimension: CostDimension, bucket: AggregationWindow, filter: UsageFilter): Promise<CostSeriesRow[]> {
    return finishCostSeries(dimension, await this.#all<CostSeriesRow>(COST_REPORTS.costSeries(tenantId, dimension, bucket, filter)));
  }

  async dropEventsBefore(cutoffMs: number): Promise<{ droppedBeforeMs: number; deletedCount: number }> {
    const droppedBeforeMs = Math.floor(cutoffMs / DAY_MS) * DAY_MS;
    // The watermark moves first, so reads never count events that are about to go; deletes run in
    // slices per tenant through the (tenant_id, ts) index, so no statement holds locks for long.
    await this.pool.query(
      'INSERT INTO store_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = GREATEST(store_state.value, excluded.value)',
      [RETAINED_FROM_KEY, droppedBeforeMs],
    );
    let deletedCount = 0;
    const tenants = await this.pool.query<{ id: string }>('SELECT id FROM tenants');
    for (const { id } of tenants.rows) {
      for (let changes = RETENTION_SLICE; changes === RETENTION_SLICE; ) {
        const result = await this.pool.query(
          `DELETE FROM usage_events WHERE seq IN (SELECT seq FROM usage_events WHERE tenant_id = $1 AND ts < $2 LIMIT ${RETENTION_SLICE})`,
          [id, droppedBeforeMs],
        );
        changes = result.rowCount ?? 0;
        deletedCount += changes;
      }
    }
    return { droppedBeforeMs, deletedCount };
  }

  /** Raw events before this instant were dropped by retention (0: none ever were). */
  async #retainedFromMs(): Promise<number> {
    const { rows } = await this.pool.query<{ value: number }>({ name: 'bearlumen_retained_from', text: 'SELECT value FROM store_state WHERE key = $1', values: [RETAINED_FROM_KEY] });
    return rows[0]?.value ?? 0;
  }

  async #all<R extends pg.QueryResultRow>(q: BuiltQuery): Promise<R[]> {
    return (await this.pool.query<R>(q.sql, q.params)).rows;
  }
}
