/** Part of the wire contract (src/protocol/types.ts re-exports every part). */

/** Free-form JSON object attached to an entity or event. At most 10 KB as compact UTF-8 JSON. */
export type Metadata = Record<string, unknown>;
