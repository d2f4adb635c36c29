/**
 * The usage half of the PostgreSQL store: ingest (its statements in `postgres-ingest.ts` and
 * `postgres-copy.ts`) and the reads behind query, aggregation, summary,
 * cost attribution and the cost reports. The reads come from the shared query core (`usage-sql.ts`,
 * `cost-report-sql.ts`) so both engines answer identically:
 * text sorts use the C collation (SQLite compares bytes), float sums use `bearlumen_total` (SQLite's
 * compensated TOTAL), BIGINT/NUMERIC come back as JS numbers (see `postgres-pool.ts`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { AggregationWindow, UsageEvent } from '../../protocol/types';
import type { CostDimension, CostSeriesRow, DimensionCostRow } from './cost-report-types';
import { costReportReads, finishCostSeries, finishDimensionCosts } from './cost-report-sql';
import { POSTGRES_DIALECT, type BuiltQuery } from './dialect';
import { completeAsIs } from './ingest-keys';
import { isRetryableTransactionError, withTransaction } from './postgres-pool';
import { loadEventCopy, UNIQUE_VIOLATION, type EventCopy } from './postgres-copy';
import { INSERT_EVENTS_SQL, readStored, resolve, type BillableFields, type Complete } from './postgres-ingest';
import { PostgresRollups, type RollupUpsert } from './postgres-rollups';
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
/**
 * A pause before running a deadlocked (or serialization-failed) batch again: the other writer,
 * which PostgreSQL let through, is still storing its rows, and a batch that starts again at once
 * meets them again (docs/benchmarks.md, "PostgreSQL ingest at 10M events"). Random, so two victims
 * do not meet again either.
 */
function afterDeadlock(attempt: number): Promise<void> {
  return sleep(DEADLOCK_BACKOFF_MS * (attempt + 1) * (0.5 + Math.random()));
}
const DEADLOCK_BACKOFF_MS = 25;

/** Batches a tenant reads its keys for after one held a stored key (`#countReadFirst`). */
const READ_FIRST_BATCHES = 10;
/** Events deleted per statement by retention. */
const RETENTION_SLICE = 10_000;

/** Base of `PostgresStore`: owns the pool and the usage queries. */
export class PostgresUsage {
  readonly #rollups = new PostgresRollups();
  readonly #copy = loadEventCopy();
  /**
   * Tenants whose batches read their keys before writing, and for how many more batches without a
   * stored key (`#insertExpectingNew`).
   */
  readonly #readFirst = new Map<string, number>();

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
