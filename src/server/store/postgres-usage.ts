/**
 * The usage half of the PostgreSQL store: ingest (in `postgres-ingest.ts`) and the reads behind
 * query, aggregation, summary, cost attribution and the cost reports. The reads come from the
 * shared query core (`usage-sql.ts`, `cost-report-sql.ts`) so both engines answer identically:
 * text sorts use the C collation (SQLite compares bytes), float sums use `bearlumen_total` (SQLite's
 * compensated TOTAL), BIGINT/NUMERIC come back as JS numbers (see `postgres-pool.ts`).
 */
import type pg from 'pg';
import type { AggregationWindow, UsageEvent } from '../../protocol/types';
import type { CostDimension, CostSeriesRow, DimensionCostRow } from './cost-report-types';
import { costReportReads, finishCostSeries, finishDimensionCosts } from './cost-report-sql';
import { POSTGRES_DIALECT, type BuiltQuery } from './dialect';
import { completeAsIs } from './ingest-keys';
import { PostgresIngest, type Complete } from './postgres-ingest';
import { RETAINED_FROM_KEY } from './rollup-sql';
import { DAY_MS } from './rollups';
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
/** Events deleted per statement by retention. */
const RETENTION_SLICE = 10_000;

/** Base of `PostgresStore`: owns the pool and the usage queries. */
export class PostgresUsage {
  readonly #ingest: PostgresIngest;

  protected constructor(protected readonly pool: pg.Pool) {
    this.#ingest = new PostgresIngest(pool);
  }

  async insertUsageEvents(tenantId: string, events: readonly NewUsageEvent[]): Promise<InsertUsageEventsResult>;
  async insertUsageEvents<E extends UsageEventIdentity>(
    tenantId: string,
    events: readonly E[],
    complete: (event: E, index: number) => NewUsageEvent,
  ): Promise<InsertUsageEventsResult>;
  async insertUsageEvents(tenantId: string, events: readonly UsageEventIdentity[], complete: Complete = completeAsIs): Promise<InsertUsageEventsResult> {
    return this.#ingest.insert(tenantId, events, complete);
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
