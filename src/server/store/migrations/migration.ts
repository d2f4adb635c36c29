/** One numbered schema step of a store engine. Applied once, in `version` order, in a transaction. */
export interface Migration {
  /** 1, 2, 3, … without gaps. */
  readonly version: number;
  /** Short description, kept in the migrations table. */
  readonly name: string;
  /** The SQL of this step, in the engine's dialect. */
  readonly sql: string;
}
