/**
 * The usage half of the SQLite store: ingest and the reads behind query, aggregation, summary and
 * cost attribution. Aggregation happens in SQL on indexed/denormalised columns so it scales.
 */
import type Database from 'better-sqlite3';
import type { AggregationWindow, UsageEvent } from '../../protocol/types';
import { newId } from '../ids';
import { createSqliteIngest, type SqliteIngest } from './sqlite-ingest';
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

// Cost sums use TOTAL (a double), not SUM: SUM of integers raises "integer overflow" past 2^63,
// which a tenant could reach with huge metadata.cost values and so break its own reports. Below
// 2^53 nano-USD (about 9 million USD per group) the double sum is still exact.
const WINDOW_MS: Record<AggregationWindow, number> = { HOUR: 3_600_000, DAY: 86_400_000 };
/** Column per dimension; a fixed map, so no user input ever reaches the SQL text. */
const DIMENSION_COLUMN: Record<AttributionDimension, string> = { agent_id: 'agent_id', workflow_id: 'workflow_id' };
const MAX_CACHED_STATEMENTS = 200;

/** Build the WHERE clause of a usage filter. Only fixed column names enter the SQL text. */
export function whereOf(tenantId: string, f: UsageFilter): { sql: string; params: unknown[] } {
  let sql = 'tenant_id = ? AND ts >= ? AND ts < ?';
  const params: unknown[] = [tenantId, f.startMs, f.endMs];
  const optional: [string, string | undefined][] = [
    ['subscription_id', f.subscriptionId],
    ['metric_name', f.metricName],
    ['event_type', f.eventType],
    ['agent_id', f.agentId],
    ['workflow_id', f.workflowId],
  ];
  for (const [column, value] of optional) {
    if (value !== undefined) {
      sql += ` AND ${column} = ?`;
      params.push(value);
    }
  }
  return { sql, params };
}

/** `complete` of the one-argument form of insertUsageEvents: its overload only admits complete events. */
const completeAsIs = (event: UsageEventIdentity): NewUsageEvent => event as NewUsageEvent;

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
    const { sql, params } = whereOf(tenantId, filter);
    const total = (this.stmt(`SELECT COUNT(*) AS n FROM usage_events WHERE ${sql}`).get(...params) as { n: number }).n;
    const rows = this.stmt(
      `SELECT id, event_type, metric_name, quantity, subscription_id, idempotency_key, ts, received_at, metadata, cost_nano, priced
       FROM usage_events WHERE ${sql} ORDER BY ts DESC, seq DESC LIMIT ? OFFSET ?`,
    ).all(...params, limit, offset) as UsageEventRow[];
    return { events: rows.map(toUsageEvent), total };
  }

  async aggregateUsage(tenantId: string, filter: UsageFilter, window: AggregationWindow | null): Promise<UsageAggregateRow[]> {
    const { sql, params } = whereOf(tenantId, filter);
    const bucket = window === null ? 'NULL' : `(ts / ${WINDOW_MS[window]}) * ${WINDOW_MS[window]}`;
    const rows = this.stmt(
      `SELECT metric_name AS metricName, ${bucket} AS windowStartMs, TOTAL(quantity) AS totalQuantity, COUNT(*) AS eventCount,
         MIN(quantity) AS minQuantity, MAX(quantity) AS maxQuantity, TOTAL(cost_nano) AS costNanoUsd
       FROM usage_events WHERE ${sql} GROUP BY metric_name, windowStartMs ORDER BY metric_name, windowStartMs`,
    ).all(...params) as UsageAggregateRow[];
    return rows;
  }

  async summarizeUsage(tenantId: string, filter: UsageFilter): Promise<UsageSummaryTotals> {
    const { sql, params } = whereOf(tenantId, filter);
    const totals = this.stmt(
      `SELECT COUNT(*) AS totalEvents,
         TOTAL(CASE token_kind WHEN 'input' THEN quantity END) AS inputTokens,
         TOTAL(CASE token_kind WHEN 'output' THEN quantity END) AS outputTokens,
         TOTAL(CASE token_kind WHEN 'cache_read' THEN quantity END) AS cacheReadTokens,
         TOTAL(CASE token_kind WHEN 'cache_write' THEN quantity END) AS cacheWriteTokens,
         TOTAL(cost_nano) AS costNanoUsd,
         COALESCE(SUM(1 - priced), 0) AS unpricedEventCount
       FROM usage_events WHERE ${sql}`,
    ).get(...params) as Omit<UsageSummaryTotals, 'metrics'>;
    const metrics = this.stmt(
      `SELECT metric_name AS metricName, TOTAL(quantity) AS totalQuantity, COUNT(*) AS eventCount
       FROM usage_events WHERE ${sql} GROUP BY metric_name ORDER BY metric_name`,
    ).all(...params) as UsageSummaryTotals['metrics'];
    return { ...totals, metrics };
  }

  async costBreakdown(tenantId: string, dimension: AttributionDimension, filter: UsageFilter): Promise<CostBreakdownRow[]> {
    const { sql, params } = whereOf(tenantId, filter);
    const column = DIMENSION_COLUMN[dimension];
    return this.stmt(
      `SELECT ${column} AS value, TOTAL(cost_nano) AS costNanoUsd,
         TOTAL(CASE token_kind WHEN 'input' THEN quantity END) AS inputTokens,
         TOTAL(CASE token_kind WHEN 'output' THEN quantity END) AS outputTokens,
         COUNT(*) AS eventCount, COALESCE(SUM(1 - priced), 0) AS unpricedEventCount
       FROM usage_events WHERE ${sql} GROUP BY ${column}`,
    ).all(...params) as CostBreakdownRow[];
  }

  async attributionValues(tenantId: string, dimension: AttributionDimension, filter: UsageFilter): Promise<string[]> {
    const { sql, params } = whereOf(tenantId, filter);
    const column = DIMENSION_COLUMN[dimension];
    const rows = this.stmt(
      `SELECT DISTINCT ${column} AS value FROM usage_events WHERE ${sql} AND ${column} IS NOT NULL ORDER BY ${column}`,
    ).all(...params) as { value: string }[];
    return rows.map((r) => r.value);
  }
}
