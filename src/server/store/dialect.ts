/**
 * The SQL differences between the two engines, in one object per engine. The query core
 * (`usage-sql.ts`, `rollup-sql.ts`) writes each read once and asks the dialect for the few pieces that
 * differ; the engines only execute what it builds. See docs/architecture.md ("One query core") for
 * why this is a small module of our own rather than a query builder.
 */
import { INTEGER_METRIC_PREFIX } from '../../protocol/limits';

/** What differs between SQLite and PostgreSQL in the statements we share. */
export interface Dialect {
  /** The placeholder of the n-th (1-based) parameter: `?` or `$n`. */
  placeholder(n: number): string;
  /**
   * The quantities of one metric summed (the statement groups by `metric_name`), 0 over no rows:
   * SQLite's `TOTAL()`, a compensated (Kahan-Babuska-Neumaier) sum. PostgreSQL gives the same bits:
   * `bearlumen_total()`, the same summation in PL/pgSQL, for metrics whose quantities may be
   * fractional, and for `llm_tokens*` metrics, whose quantities are whole numbers, the exact sum
   * rounded once (see tokenSum), which is what the compensated sum gives there and far cheaper.
   */
  metricSum(expr: string): string;
  /**
   * Sum of token counts, 0 over no rows, as a double. Token counts are whole numbers (validation
   * refuses a fractional `llm_tokens*` quantity), and over whole numbers below 2^53 the compensated sum
   * is the exact sum rounded once: SQLite keeps `TOTAL()`; PostgreSQL sums them as integers (exact) and
   * rounds once, far cheaper per row than the PL/pgSQL `bearlumen_total()`
   * (docs/benchmarks.md, "Store at scale": where PostgreSQL's 1-day reads spend their time).
   */
  tokenSum(expr: string): string;
  /**
   * Sum of integer nano-USD, 0 over no rows. SQLite sums as a double (`TOTAL`; `SUM` raises on
   * overflow past 2^63), PostgreSQL as NUMERIC (exact); both exact below 2^53.
   */
  costSum(expr: string): string;
  /** `1` for an unpriced event row, else `0`, from the `priced` column. */
  unpriced(column: string): string;
  /** The `priced` column as 0/1. */
  pricedAsInt(column: string): string;
  /** The expression, compared byte by byte in ORDER BY (SQLite's default; PostgreSQL's C collation). */
  byteOrder(expr: string): string;
  /** A NULL that a BIGINT column of a result accepts. */
  readonly nullBigint: string;
  /** The smaller / larger of two values (upserts of rollup minima and maxima). */
  least(a: string, b: string): string;
  greatest(a: string, b: string): string;
  /**
   * A string-valued field of the `metadata` column (JSON text), or NULL when absent or not a string.
   * `key` must be a fixed identifier of ours, never user input.
   */
  metadataText(key: string): string;
  /**
   * `FROM … WHERE …` of a filter's rollup rows: `rowsWhere` (over `r`) for each dimension set that
   * `dimsWhere` (over `d`, its parameters added before `rowsWhere`'s) selects, as a nested loop from
   * `usage_dims` into the `(tenant_id, grain, dim_id, bucket)` index. SQLite keeps the left table of
   * a CROSS JOIN as the outer loop. PostgreSQL reorders joins by its statistics, which tables not
   * yet analysed lack: it then walked every rollup row of the range and, for each, every dimension
   * set of the tenant (1.4 s for a rare filter's page at 1M events). So it gets a LATERAL subquery
   * that `OFFSET 0` keeps from being flattened into a plain join: it can only run once per
   * dimension set. The result columns are `r.bucket`, `r.event_count`, `r.ts_min` and `r.ts_max`.
   */
  dimRollups(dimsWhere: string, rowsWhere: string): string;
}

/**
 * PostgreSQL: the metadata JSON text as `json`. PostgreSQL refuses to parse a document holding the
 * escapes `\u0000` or a lone surrogate (`\ud800`) anywhere, and both are valid JSON the server accepts
 * in metadata; they are replaced by `\ufffd` first, so one such event cannot break a tenant's report.
 * Only rows that hold such an escape pay for the regexp_replace.
 */
const POSTGRES_METADATA_JSON = `(CASE WHEN metadata ~ '\\\\u(0000|[dD][89a-fA-F])'
  THEN regexp_replace(metadata, '\\\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})', '\\\\ufffd', 'g') ELSE metadata END)::json`;

/** PostgreSQL: the row's metric counts whole numbers (validation refuses fractional `llm_tokens*` quantities). */
const WHOLE_METRIC = `starts_with(metric_name, '${INTEGER_METRIC_PREFIX}')`;
/**
 * The same test negated, as two byte-order comparisons: a text starts with P exactly when it sorts
 * (bytewise) at or after P and before P with its last character incremented. Evaluated on every row
 * of an aggregate, it costs less than `NOT starts_with(…)` (docs/benchmarks.md, "Hourly aggregation
 * on PostgreSQL").
 */
const NOT_WHOLE_METRIC = `(metric_name COLLATE "C" < '${INTEGER_METRIC_PREFIX}' OR metric_name COLLATE "C" >= '${INTEGER_METRIC_PREFIX.slice(0, -1)}${String.fromCharCode(INTEGER_METRIC_PREFIX.charCodeAt(INTEGER_METRIC_PREFIX.length - 1) + 1)}')`;
const EXACT_LIMIT = 2 ** 53;

/**
 * PostgreSQL: whole numbers summed exactly and rounded once to a double. Below 2^53 as BIGINT; a larger
 * one (far past any token count) as NUMERIC read from its text, since a float8 cast to NUMERIC keeps
 * only 15 digits.
 */
function postgresWholeSum(e: string): string {
  return `(COALESCE(SUM(CASE WHEN abs(${e}) < ${EXACT_LIMIT} THEN (${e})::bigint END), 0)
    + COALESCE(SUM(CASE WHEN abs(${e}) >= ${EXACT_LIMIT} THEN (${e})::text::numeric END), 0))::float8`;
}

export const SQLITE_DIALECT: Dialect = {
  placeholder: () => '?',
  metricSum: (e) => `TOTAL(${e})`,
  tokenSum: (e) => `TOTAL(${e})`,
  costSum: (e) => `TOTAL(${e})`,
  unpriced: (c) => `(1 - ${c})`,
  pricedAsInt: (c) => c,
  byteOrder: (e) => e,
  nullBigint: 'NULL',
  least: (a, b) => `MIN(${a}, ${b})`,
  greatest: (a, b) => `MAX(${a}, ${b})`,
  metadataText: (key) => `(CASE json_type(metadata, '$.${key}') WHEN 'text' THEN json_extract(metadata, '$.${key}') END)`,
  dimRollups: (dims, rows) => `FROM usage_dims d CROSS JOIN usage_rollups r WHERE ${dims} AND r.dim_id = d.id AND ${rows}`,
};

export const POSTGRES_DIALECT: Dialect = {
  placeholder: (n) => `$${n}`,
  // The statement groups by metric_name, so which sum applies is known per group: the whole-number
  // sum needs no FILTER (every row of a token metric's group is a token row); the compensated sum
  // keeps one, so that PL/pgSQL never runs for a token row. Per-row FILTERs were most of the
  // hourly aggregation's cost (docs/benchmarks.md, "Hourly aggregation on PostgreSQL").
  metricSum: (e) => `(CASE WHEN ${WHOLE_METRIC} THEN ${postgresWholeSum(e)} ELSE bearlumen_total(${e}) FILTER (WHERE ${NOT_WHOLE_METRIC}) END)`,
  tokenSum: (e) => postgresWholeSum(e),
  costSum: (e) => `COALESCE(SUM(${e}), 0)`,
  unpriced: (c) => `(CASE WHEN ${c} THEN 0 ELSE 1 END)`,
  pricedAsInt: (c) => `${c}::int`,
  byteOrder: (e) => `${e} COLLATE "C"`,
  nullBigint: 'NULL::bigint',
  least: (a, b) => `LEAST(${a}, ${b})`,
  greatest: (a, b) => `GREATEST(${a}, ${b})`,
  metadataText: (key) => `(CASE WHEN json_typeof(${POSTGRES_METADATA_JSON} -> '${key}') = 'string' THEN ${POSTGRES_METADATA_JSON} ->> '${key}' END)`,
  dimRollups: (dims, rows) =>
    `FROM usage_dims d CROSS JOIN LATERAL (SELECT r.bucket, r.event_count, r.ts_min, r.ts_max FROM usage_rollups r WHERE r.dim_id = d.id AND ${rows} OFFSET 0) r WHERE ${dims}`,
};

/** A statement under construction: parameters are appended in text order and named by the dialect. */
export class SqlParams {
  readonly values: unknown[] = [];
  constructor(readonly dialect: Dialect) {}

  /** Append a value; returns its placeholder for the SQL text. */
  add(value: unknown): string {
    this.values.push(value);
    return this.dialect.placeholder(this.values.length);
  }
}

/** SQL text and its parameters, ready for either driver. */
export interface BuiltQuery {
  sql: string;
  params: unknown[];
}
