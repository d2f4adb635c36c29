/**
 * The usage half of the SQLite store: ingest and the reads behind query, aggregation, summary, cost
 * attribution and the cost reports. The SQL comes from the shared query core (`usage-sql.ts`,
 * `cost-report-sql.ts`); this class only runs it.
 */
import type Database from 'better-sqlite3';
import type { AggregationWindow, UsageEvent } from '../../protocol/types';
import { newId } from '../ids';
import type { CostDimension, CostSeriesRow, DimensionCostRow } from './cost-report-types';
import { costReportReads, finishCostSeries, finishDimensionCosts } from './cost-report-sql';
import { SQLITE_DIALECT, type BuiltQuery } from './dialect';
import { completeAsIs } from './ingest-keys';
import { RETAINED_FROM_KEY } from './rollup-sql';
import { DAY_MS } from './rollups';
import { createSqliteIngest, type SqliteIngest } from './sqlite-ingest';
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

const READS = usageReads(SQLITE_DIALECT);
const COST_REPORTS = costReportReads(SQLITE_DIALECT);
const MAX_CACHED_STATEMENTS = 200;
/** Events deleted per statement by retention. */
const RETENTION_SLICE = 10_000;


/** Base of `SqliteStore`: owns the connection and the prepared-statement cache. */
export class SqliteUsage {
  readonly #statements = new Map<string, Database.Statement>();
  readonly #insertEvents: SqliteIngest;

  protected constructor(protected readonly db: Database.Database) {
    this.#insertEvents = createSqliteIngest(db);
  }

  /** A cached prepared statement for this SQL text (bounded; the texts are a small fixed set). */
  protected stmt(sql: string): Database.Statement {
    let s = this.#statements.get(sql);
    if (s === undefined) {
      if (this.#statements.size >= MAX_CACHED_STATEMENTS) this.#statements.clear();
      s = this.db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  /** A new id; a method so subclasses and tests share one generator. */
  protected newId(prefix: string): string {
    return newId(prefix);
  }

  async insertUsageEvents(tenantId: string, events: readonly NewUsageEvent[]): Promise<InsertUsageEventsResult>;
  async insertUsageEvents<E extends UsageEventIdentity>(
    tenantId: string,
    events: readonly E[],
    complete: (event: E, index: number) => NewUsageEvent,
  ): Promise<InsertUsageEventsResult>;
  async insertUsageEvents(
    tenantId: string,
    events: readonly UsageEventIdentity[],
    complete: (event: UsageEventIdentity, index: number) => NewUsageEvent = completeAsIs,
  ): Promise<InsertUsageEventsResult> {
    return this.#insertEvents(tenantId, events, complete);
  }

  async queryUsageEvents(tenantId: string, filter: UsageFilter, limit: number, offset: number): Promise<{ events: UsageEvent[]; total: number }> {
    // Only the part of the range whose raw events are still kept (retention): the page and its
    // total (from the rollups, fast at any size) then always agree.
    const kept = { ...filter, startMs: Math.max(filter.startMs, this.#retainedFromMs()) };
    if (kept.startMs >= kept.endMs) return { events: [], total: 0 };
    const rows = await readPage<UsageEventRow>(READS, this.#pageRunner, tenantId, kept, limit, offset);
    const total = await this.#pageRunner.count(READS.count(tenantId, kept));
    return { events: rows.map(toUsageEvent), total };
  }

  readonly #pageRunner: PageRunner<UsageEventRow> = {
    counts: async (q) => this.#all(q) as BucketCount[],
    count: async (q) => (this.stmt(q.sql).get(...q.params) as { n: number }).n,
    rows: async (q) => this.#all(q) as UsageEventRow[],
  };

  async aggregateUsage(tenantId: string, filter: UsageFilter, window: AggregationWindow | null): Promise<UsageAggregateRow[]> {
    return this.#all(READS.aggregate(tenantId, filter, window)) as UsageAggregateRow[];
  }

  async summarizeUsage(tenantId: string, filter: UsageFilter): Promise<UsageSummaryTotals> {
    const q = READS.summaryTotals(tenantId, filter);
    const totals = this.stmt(q.sql).get(...q.params) as Omit<UsageSummaryTotals, 'metrics'>;
    const metrics = this.#all(READS.summaryMetrics(tenantId, filter)) as UsageSummaryTotals['metrics'];
    return { ...totals, metrics };
  }

  async costBreakdown(tenantId: string, dimension: AttributionDimension, filter: UsageFilter): Promise<CostBreakdownRow[]> {
    return this.#all(READS.costBreakdown(tenantId, dimension, filter)) as CostBreakdownRow[];
  }

  async attributionValues(tenantId: string, dimension: AttributionDimension, filter: UsageFilter): Promise<string[]> {
    return (this.#all(READS.attributionValues(tenantId, dimension, filter)) as { value: string }[]).map((r) => r.value);
  }

  async dimensionCosts(tenantId: string, dimension: CostDimension, filter: UsageFilter): Promise<DimensionCostRow[]> {
    return finishDimensionCosts(dimension, this.#all(COST_REPORTS.dimensionCosts(tenantId, dimension, filter)) as DimensionCostRow[]);
  }

  async costSeries(tenantId: string, dimension: CostDimension, bucket: AggregationWindow, filter: UsageFilter): Promise<CostSeriesRow[]> {
    return finishCostSeries(dimension, this.#all(COST_REPORTS.costSeries(tenantId, dimension, bucket, filter)) as CostSeriesRow[]);
  }

  async dropEventsBefore(cutoffMs: number): Promise<{ droppedBeforeMs: number; deletedCount: number }> {
    const droppedBeforeMs = Math.floor(cutoffMs / DAY_MS) * DAY_MS;
    let deletedCount = 0;
    // In slices, so the write lock is never held for long; the watermark moves first, so reads
    // never count events that are about to go.
    this.stmt(
      `INSERT INTO store_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = MAX(value, excluded.value)`,
    ).run(RETAINED_FROM_KEY, droppedBeforeMs);
    const slice = this.stmt(
      `DELETE FROM usage_events WHERE seq IN (SELECT seq FROM usage_events WHERE tenant_id = ? AND ts < ? LIMIT ${RETENTION_SLICE})`,
    );
    for (const tenantId of this.stmt('SELECT id FROM tenants').pluck().all() as string[]) {
      for (let changes = RETENTION_SLICE; changes === RETENTION_SLICE; ) {
        changes = slice.run(tenantId, droppedBeforeMs).changes;
        deletedCount += changes;
      }
    }
    return { droppedBeforeMs, deletedCount };
  }

  /** Raw events before this instant were dropped by retention (0: none ever were). */
  #retainedFromMs(): number {
    const row = this.stmt('SELECT value FROM store_state WHERE key = ?').get(RETAINED_FROM_KEY) as { value: number } | undefined;
    return row?.value ?? 0;
  }

  #all(q: BuiltQuery): unknown[] {
    return this.stmt(q.sql).all(...q.params);
  }
}
