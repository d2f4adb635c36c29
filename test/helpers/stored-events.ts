/**
 * What the server actually committed, read through the Store interface (so it works for SQLite and
 * PostgreSQL alike): every usage event of one tenant, and checks that compare it with what a test
 * recorded. The fault and property tests end with these: no loss, no double count.
 */
import { hashApiKey, type Store } from '@bearlumen/node-sdk/server';
import type { UsageEvent } from '@bearlumen/node-sdk';

/** The tenant id behind an API key. @throws if the key is unknown. */
export async function tenantIdOf(store: Store, apiKey: string): Promise<string> {
  const tenant = await store.findTenantByKeyHash(hashApiKey(apiKey));
  if (tenant === null) throw new Error('unknown API key');
  return tenant.id;
}

const PAGE = 1000;
const DAY_MS = 86_400_000;

/** Every usage event of the tenant (any timestamp the server accepts), oldest page last. */
export async function readStoredEvents(store: Store, tenantId: string): Promise<UsageEvent[]> {
  const filter = { startMs: 0, endMs: Date.now() + DAY_MS };
  const events: UsageEvent[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await store.queryUsageEvents(tenantId, filter, PAGE, offset);
    events.push(...page.events);
    if (page.events.length < PAGE) return events;
  }
}

/** Stored events grouped two ways: by idempotency key, and by the test's own marker in `metadata[markerKey]`. */
export interface StoredSummary {
  rows: number;
  quantitySum: number;
  /** Rows per idempotency key (the unique index makes every count 1; checked anyway). */
  byKey: Map<string, UsageEvent[]>;
  /** Rows per marker: a logical event stored under two keys shows up here with a count of 2. */
  byMarker: Map<string, UsageEvent[]>;
}

/** Groups `events` (see StoredSummary). Events without a string marker are grouped under ''. */
export function summarize(events: readonly UsageEvent[], markerKey = 'n'): StoredSummary {
  const byKey = new Map<string, UsageEvent[]>();
  const byMarker = new Map<string, UsageEvent[]>();
  let quantitySum = 0;
  for (const event of events) {
    quantitySum += event.quantity;
    const keyed = byKey.get(event.idempotencyKey) ?? [];
    keyed.push(event);
    byKey.set(event.idempotencyKey, keyed);
    const raw = event.metadata[markerKey];
    const marker = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '';
    const marked = byMarker.get(marker) ?? [];
    marked.push(event);
    byMarker.set(marker, marked);
  }
  return { rows: events.length, quantitySum, byKey, byMarker };
}
