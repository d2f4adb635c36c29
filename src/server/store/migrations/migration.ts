/**
 * One numbered schema step of a store engine. Applied once, in `version` order, in a transaction.
 * `Db` is the engine's connection type, for steps that also move data in code.
 */
export interface Migration<Db = never> {
  /** 1, 2, 3, … without gaps. */
  readonly version: number;
  /** Short description, kept in the migrations table. */
  readonly name: string;
  /** The SQL of this step, in the engine's dialect. */
  readonly sql: string;
  /** Runs after `sql`, in the same transaction (e.g. to fill a new table from existing rows). */
  readonly after?: (db: Db) => void | Promise<void>;
}
