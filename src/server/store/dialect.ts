/**
 * The SQL differences between the two engines, in one object per engine. The query core
 * (`usage-sql.ts`, `rollup-sql.ts`) writes each read once and asks the dialect for the few pieces that
 * differ; the engines only execute what it builds. See docs/architecture.md ("One query core") for
 * why this is a small module of our own rather than a query builder.
 */

/** What differs between SQLite and PostgreSQL in the statements we share. */
export interface Dialect {
  /** The placeholder of the n-th (1-based) parameter: `?` or `$n`. */
  placeholder(n: number): string;
  /**
   * Compensated float sum, 0 over no rows: SQLite's `TOTAL()`, PostgreSQL's `bearlumen_total()`
   * (the same Kahan-Babuska-Neumaier summation, so both engines return the same bits).
   */
  floatSum(expr: string): string;
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
}

export const SQLITE_DIALECT: Dialect = {
  placeholder: () => '?',
  floatSum: (e) => `TOTAL(${e})`,
  costSum: (e) => `TOTAL(${e})`,
  unpriced: (c) => `(1 - ${c})`,
  pricedAsInt: (c) => c,
  byteOrder: (e) => e,
  nullBigint: 'NULL',
  least: (a, b) => `MIN(${a}, ${b})`,
  greatest: (a, b) => `MAX(${a}, ${b})`,
};

export const POSTGRES_DIALECT: Dialect = {
  placeholder: (n) => `$${n}`,
  floatSum: (e) => `bearlumen_total(${e})`,
  costSum: (e) => `COALESCE(SUM(${e}), 0)`,
  unpriced: (c) => `(CASE WHEN ${c} THEN 0 ELSE 1 END)`,
  pricedAsInt: (c) => `${c}::int`,
  byteOrder: (e) => `${e} COLLATE "C"`,
  nullBigint: 'NULL::bigint',
  least: (a, b) => `LEAST(${a}, ${b})`,
  greatest: (a, b) => `GREATEST(${a}, ${b})`,
};

/** A statement under construction: parameters are appended in text order and named by the dialect. */
export class SqlParams {
  readonly values: unknown[] = [];
  constructor(private readonly dialect: Dialect) {}

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
