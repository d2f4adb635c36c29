/**
 * New event rows through `COPY … FROM STDIN` instead of `INSERT … SELECT FROM unnest(arrays)`: the
 * server parses COPY's text rows for about half the cost of sixteen array literals, and this process
 * writes one escaped line per event where node-postgres would escape every array element with two
 * regular expressions (measurements: docs/benchmarks.md, "PostgreSQL ingest").
 *
 * COPY has no `ON CONFLICT`: a key that another replica committed after our read fails the whole
 * statement with a unique violation. The caller then runs the batch again through the `INSERT … ON
 * CONFLICT DO NOTHING` path, which settles the race exactly as before. COPY needs the client of
 * `pg-copy-streams` (an optional peer dependency); without it every batch takes the insert path.
 */
import { once } from 'node:events';
import type pg from 'pg';
import type { NewUsageEvent } from './store';

/** `pg-copy-streams`' `from`: a query whose stream takes the COPY data. */
type CopyFrom = (text: string) => NodeJS.WritableStream & pg.Submittable & { rowCount: number };

/** The COPY of a batch's event rows, or null when `pg-copy-streams` is not installed. */
export async function loadEventCopy(): Promise<EventCopy | null> {
  try {
    const mod = (await import('pg-copy-streams')) as { from?: CopyFrom; default?: { from?: CopyFrom } };
    const from = mod.from ?? mod.default?.from;
    return from === undefined ? null : new EventCopy(from);
  } catch {
    return null;
  }
}

const COPY_EVENTS_SQL = `COPY usage_events (id, tenant_id, idempotency_key, event_type, metric_name, quantity, subscription_id, ts,
  received_at, metadata, agent_id, workflow_id, token_kind, cost_nano, priced, price_source) FROM STDIN`;

/** SQLSTATE of a unique violation: a key stored by another replica since our read. */
export const UNIQUE_VIOLATION = '23505';

/** The characters COPY's text format gives a meaning to inside a column. */
const SPECIAL = /[\\\n\r\t]/;
const SPECIALS = /[\\\n\r\t]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const escapeOne = (c: string): string => ESCAPES[c] as string;

/** A text column: `\N` for null, else the string with COPY's specials escaped. */
function text(value: string | null): string {
  if (value === null) return '\\N';
  return SPECIAL.test(value) ? value.replace(SPECIALS, escapeOne) : value;
}

/** COPY's text format of the events' rows (column order of `COPY_EVENTS_SQL`). */
export function copyRows(tenantId: string, events: readonly NewUsageEvent[]): string {
  const tenant = text(tenantId);
  let out = '';
  for (const e of events) {
    // Numbers print as JavaScript prints them (the shortest text that reads back as the same double),
    // exactly as node-postgres sends them in an array.
    out +=
      `${text(e.id)}\t${tenant}\t${text(e.idempotencyKey)}\t${text(e.eventType)}\t${text(e.metricName)}\t${e.quantity}\t` +
      `${text(e.subscriptionId)}\t${e.timestampMs}\t${e.receivedAtMs}\t${text(e.metadataJson)}\t${text(e.agentId)}\t` +
      `${text(e.workflowId)}\t${text(e.tokenKind)}\t${e.costNanoUsd}\t${e.priced ? 't' : 'f'}\t${text(e.priceSource)}\n`;
  }
  return out;
}

/** Rows in the first COPY chunk: small, so the server starts storing rows while the rest is encoded. */
const FIRST_CHUNK = 64;
/** Rows per later chunk. */
const CHUNK = 256;

export class EventCopy {
  constructor(readonly from: CopyFrom) {}

  /**
   * Store every event of `events` (none of their keys stored) in the client's transaction. Rows go
   * out in chunks: once the server has accepted the COPY, it parses and indexes one chunk while this
   * process encodes the next, and `meanwhile` (the caller's next statement's parameters) runs after
   * the last chunk is sent, while the server finishes.
   */
  async insert(client: pg.PoolClient, tenantId: string, events: readonly NewUsageEvent[], meanwhile: () => void = () => {}): Promise<void> {
    const stream = client.query(this.from(COPY_EVENTS_SQL));
    // The COPY's error (a unique violation, a lost connection) reaches the caller through `done`.
    // After one, this insert writes nothing more and never ends the stream, so no second error is
    // known to follow; should a pg-copy-streams version emit one, this listener keeps it from being
    // an uncaught exception that ends the process.
    stream.on('error', () => {});
    const done = once(stream, 'finish');
    done.catch(() => {});
    // The first chunk is held until the server accepts the COPY; waiting for it here lets later
    // chunks reach the server as soon as they are written.
    const accepted = new Promise<void>((resolve) => stream.write(Buffer.from(copyRows(tenantId, events.slice(0, FIRST_CHUNK)), 'utf8'), () => resolve()));
    await Promise.race([accepted, done]);
    for (let start = FIRST_CHUNK; start < events.length; start += CHUNK) {
      // One chunk at a time through a full socket: rows queued inside pg-copy-streams when the COPY
      // fails would be flushed later, on a connection already handed back to the pool.
      if (!stream.write(Buffer.from(copyRows(tenantId, events.slice(start, start + CHUNK)), 'utf8'))) await Promise.race([once(stream, 'drain'), done]);
    }
    stream.end();
    meanwhile();
    await done;
    if (stream.rowCount !== events.length) throw new Error(`COPY stored ${stream.rowCount} of ${events.length} events`);
  }
}
