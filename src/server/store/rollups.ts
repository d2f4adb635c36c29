/**
 * Rollups: pre-aggregated usage, maintained at ingest in the same transaction as the events (see
 * docs/server.md, "Rollups"). Every newly stored event adds to two rows, its hour and its UTC day,
 * keyed by a dimension set (subscription, agent, workflow, model, provider, metric, event type,
 * token kind). Dimension sets are stored once per tenant in `usage_dims` and referenced by id.
 *
 * The batch's contribution is summed here, in JavaScript, for both engines alike: a stored rollup
 * row is then the same bits on SQLite and PostgreSQL, whatever the engine's own float arithmetic.
 */
import { parseMetadata } from './rows';
import type { NewUsageEvent, TokenKind } from './store';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** Bucket widths kept, finest first. A rollup row's `grain` is its bucket width in ms. */
export const ROLLUP_GRAINS = [HOUR_MS, DAY_MS] as const;

/** The dimensions a rollup row is keyed by (besides tenant and bucket). */
export interface RollupDims {
  subscriptionId: string | null;
  agentId: string | null;
  workflowId: string | null;
  model: string | null;
  provider: string | null;
  metricName: string;
  eventType: string;
  tokenKind: TokenKind | null;
}

/** The sums one batch adds to one rollup row. */
export interface RollupDelta {
  grain: number;
  bucket: number;
  dimKey: string;
  dims: RollupDims;
  eventCount: number;
  quantitySum: number;
  costSum: number;
  unpricedCount: number;
  quantityMin: number;
  quantityMax: number;
  /** Earliest and latest event time (ms) among the events: where in the bucket they lie (usage-page.ts). */
  tsMin: number;
  tsMax: number;
}

/**
 * `metadata.provider` as rollups keep it: trimmed and lower-cased (JavaScript's `trim` and
 * `toLowerCase`), null when not a string or empty then. The cost reports apply it to the provider of
 * raw edge events too (`cost-report-sql.ts`), so both parts of a read group alike.
 */
export function normalisedProvider(provider: unknown): string | null {
  const p = typeof provider === 'string' ? provider.trim().toLowerCase() : '';
  return p === '' ? null : p;
}

/** `metadata.model` and `metadata.provider` as rollups keep them: the model a non-empty string, the provider normalised. */
export function modelAndProvider(metadata: Record<string, unknown> | undefined): { model: string | null; provider: string | null } {
  const model = metadata?.['model'];
  return { model: typeof model === 'string' && model !== '' ? model : null, provider: normalisedProvider(metadata?.['provider']) };
}

/** What rollups read of an event (`metadataJson` only when `model` or `provider` is left out). */
export type RollupEvent = Pick<
  NewUsageEvent,
  'subscriptionId' | 'agentId' | 'workflowId' | 'model' | 'provider' | 'metricName' | 'eventType' | 'tokenKind' | 'timestampMs' | 'quantity' | 'costNanoUsd' | 'priced'
> & { metadataJson?: string };

/**
 * The event with `model` and `provider` set: a caller of the store that left them out (ingest always
 * sets them) gets them from the metadata, as ingest would have, so the rollups group exactly like
 * reads of the raw events do (the cost reports combine both).
 */
function withModelAndProvider(e: RollupEvent): RollupEvent {
  if (e.model !== undefined && e.provider !== undefined) return e;
  const derived = modelAndProvider(e.metadataJson === undefined ? undefined : parseMetadata(e.metadataJson));
  return { ...e, model: e.model === undefined ? derived.model : e.model, provider: e.provider === undefined ? derived.provider : e.provider };
}

/** A stored event row as the rollup backfill reads it (both engines). */
export interface RollupSourceRow {
  seq: number;
  tenant_id: string;
  ts: number;
  quantity: number;
  cost_nano: number;
  priced: number | boolean;
  subscription_id: string | null;
  agent_id: string | null;
  workflow_id: string | null;
  metric_name: string;
  event_type: string;
  token_kind: TokenKind | null;
  metadata: string;
}

/** The rollup view of a stored event row (model and provider come from its metadata). */
export function rollupEventOf(row: RollupSourceRow): RollupEvent {
  return {
    ...modelAndProvider(parseMetadata(row.metadata)),
    subscriptionId: row.subscription_id,
    agentId: row.agent_id,
    workflowId: row.workflow_id,
    metricName: row.metric_name,
    eventType: row.event_type,
    tokenKind: row.token_kind,
    timestampMs: row.ts,
    quantity: row.quantity,
    costNanoUsd: row.cost_nano,
    priced: row.priced === true || row.priced === 1,
  };
}

/** The dimension set of an event. */
export function dimsOf(e: RollupEvent): RollupDims {
  return {
    subscriptionId: e.subscriptionId,
    agentId: e.agentId,
    workflowId: e.workflowId,
    model: e.model ?? null,
    provider: e.provider ?? null,
    metricName: e.metricName,
    eventType: e.eventType,
    tokenKind: e.tokenKind,
  };
}

/** The unique text of a dimension set within a tenant (JSON keeps null apart from every string). */
export function dimKeyOf(d: RollupDims): string {
  return JSON.stringify([d.subscriptionId, d.agentId, d.workflowId, d.model, d.provider, d.metricName, d.eventType, d.tokenKind]);
}

/** The deltas of one dimension set, by grain then bucket (numeric keys: cheap lookups). */
interface DimsDeltas {
  key: string;
  dims: RollupDims;
  byGrain: Map<number, RollupDelta>[];
}

/**
 * What `events` (all newly stored) add to the rollups: one delta per grain × bucket × dimension set,
 * sorted by grain, bucket and key, so concurrent writers lock rows in one order.
 */
export function rollupDeltas(events: Iterable<RollupEvent>): RollupDelta[] {
  // Dimension sets by agent, workflow and subscription, then told apart by comparing all eight
  // values: no per-event key string to build and hash, and the exact key (`dimKeyOf`, JSON) is built
  // once per set (docs/benchmarks.md, "PostgreSQL ingest at 10M events").
  const sets = new Map<string | null, Map<string | null, Map<string | null, DimsDeltas[]>>>();
  const all: RollupDelta[] = [];
  let lastEvent: RollupEvent | undefined;
  let current: DimsDeltas | undefined;
  for (const given of events) {
    const e = withModelAndProvider(given);
    // Consecutive events of one dimension set are common (a gateway's batch); skip re-keying them.
    if (current === undefined || lastEvent === undefined || !sameDims(lastEvent, e)) {
      const byWorkflow = child(sets, e.agentId, () => new Map<string | null, Map<string | null, DimsDeltas[]>>());
      const candidates = child(child(byWorkflow, e.workflowId, () => new Map<string | null, DimsDeltas[]>()), e.subscriptionId, (): DimsDeltas[] => []);
      current = candidates.find((set) => sameDims(set.dims, e));
      if (current === undefined) {
        const dims = dimsOf(e);
        current = { key: dimKeyOf(dims), dims, byGrain: ROLLUP_GRAINS.map(() => new Map<number, RollupDelta>()) };
        candidates.push(current);
      }
    }
    lastEvent = e;
    const unpriced = e.priced ? 0 : 1;
    for (let g = 0; g < ROLLUP_GRAINS.length; g++) {
      const grain = ROLLUP_GRAINS[g] as number;
      const bucket = Math.floor(e.timestampMs / grain) * grain;
      const buckets = current.byGrain[g] as Map<number, RollupDelta>;
      const d = buckets.get(bucket);
      if (d === undefined) {
        const delta: RollupDelta = {
          grain,
          bucket,
          dimKey: current.key,
          dims: current.dims,
          eventCount: 1,
          quantitySum: e.quantity,
          costSum: e.costNanoUsd,
          unpricedCount: unpriced,
          quantityMin: e.quantity,
          quantityMax: e.quantity,
          tsMin: e.timestampMs,
          tsMax: e.timestampMs,
        };
        buckets.set(bucket, delta);
        all.push(delta);
      } else {
        d.eventCount += 1;
        d.quantitySum += e.quantity;
        d.costSum += e.costNanoUsd;
        d.unpricedCount += unpriced;
        if (e.quantity < d.quantityMin) d.quantityMin = e.quantity;
        if (e.quantity > d.quantityMax) d.quantityMax = e.quantity;
        if (e.timestampMs < d.tsMin) d.tsMin = e.timestampMs;
        if (e.timestampMs > d.tsMax) d.tsMax = e.timestampMs;
      }
    }
  }
  return all.sort((a, b) => a.grain - b.grain || a.bucket - b.bucket || (a.dimKey < b.dimKey ? -1 : a.dimKey > b.dimKey ? 1 : 0));
}

/** The entry of `key` in `map`, created by `create` when missing. */
function child<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = create()));
  return value;
}

function sameDims(a: RollupDims | RollupEvent, b: RollupEvent): boolean {
  return (
    a.subscriptionId === b.subscriptionId &&
    a.agentId === b.agentId &&
    a.workflowId === b.workflowId &&
    (a.model ?? null) === (b.model ?? null) &&
    (a.provider ?? null) === (b.provider ?? null) &&
    a.metricName === b.metricName &&
    a.eventType === b.eventType &&
    a.tokenKind === b.tokenKind
  );
}

/** Most dimension ids a store keeps in memory; past it the cache starts over (ids are re-read). */
const MAX_CACHED_DIMS = 100_000;

/**
 * Dimension set → `usage_dims.id`, per tenant. Ids never change once committed, so the cache is
 * only filled after the transaction that may have created them commits.
 */
export class DimCache {
  readonly #byTenant = new Map<string, Map<string, number>>();
  #size = 0;

  get(tenantId: string, dimKey: string): number | undefined {
    return this.#byTenant.get(tenantId)?.get(dimKey);
  }

  /** Remember committed ids. */
  remember(tenantId: string, ids: ReadonlyMap<string, number>): void {
    if (this.#size + ids.size > MAX_CACHED_DIMS) this.clear();
    let tenant = this.#byTenant.get(tenantId);
    if (tenant === undefined) this.#byTenant.set(tenantId, (tenant = new Map()));
    for (const [key, id] of ids) {
      if (!tenant.has(key)) this.#size += 1;
      tenant.set(key, id);
    }
  }

  /** Forget everything. */
  clear(): void {
    this.#byTenant.clear();
    this.#size = 0;
  }
}

/**
 * Every rollup row of an upsert takes its dimension values from its `usage_dims` set, so a set that
 * has gone from the table (a restore, a hand edit) would drop its row silently and the rollups would
 * no longer sum the events. The upsert must insert or update one row per delta; when it did not,
 * this forgets the cached dimension ids (the next attempt creates the set again) and throws, so that
 * the batch's transaction rolls back and nothing is counted short.
 */
export function checkRollupRows(cache: DimCache, written: number, expected: number): void {
  if (written === expected) return;
  cache.clear();
  throw new Error(`usage_rollups: ${expected - written} of ${expected} rows name a dimension set missing from usage_dims; nothing was stored, retry the batch`);
}

/** The distinct dimension sets of `deltas` whose ids the cache does not know, by key. */
export function unknownDims(cache: DimCache, tenantId: string, deltas: readonly RollupDelta[]): Map<string, RollupDims> {
  const missing = new Map<string, RollupDims>();
  let last = '';
  for (const d of deltas) {
    if (d.dimKey === last) continue;
    last = d.dimKey;
    if (cache.get(tenantId, d.dimKey) === undefined) missing.set(d.dimKey, d.dims);
  }
  return missing;
}
