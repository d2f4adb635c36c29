/**
 * The repository contract the routes depend on. Routes never write SQL: they validate, price and
 * shape responses, and call these methods. Two engines implement it (SQLite in `sqlite.ts`,
 * PostgreSQL in `postgres.ts`), so every method is async and speaks only engine-neutral values:
 * ids are strings, instants are epoch milliseconds (numbers) on input and RFC 3339 UTC strings in
 * returned entities, money is integer nano-USD, metadata travels as compact JSON text on the way
 * in (already measured by the validator) and as parsed objects on the way out.
 *
 * Every method that touches tenant data takes `tenantId` first and must never read or change a
 * row of another tenant: that is the isolation guarantee of the API (docs/design-decisions.md, "Tenant isolation").
 */
import type {
  AggregationWindow,
  EndUser,
  EndUserStatus,
  Subscription,
  UsageEvent,
  UsageRecordResponse,
} from '../../protocol/types';
import type { ApiKeyInfo, EndUserListQuery, EndUserPage, EndUserPatch, NewEndUser, NewSubscription, SubscriptionListQuery, SubscriptionPatch, SubscriptionRef, Tenant } from './account-types';
import type { CostDimension, CostSeriesRow, DimensionCostRow } from './cost-report-types';

/** Which engine backs a store; reported by `GET /healthz`. */
export type StoreKind = 'sqlite' | 'postgres';

export type * from './account-types';

// ── Usage ───────────────────────────────────────────────────────────────────────────────────────

/** Token kind of an LLM token event, derived from `metricName` (and `metadata.token_type`). */
export type TokenKind = 'input' | 'output' | 'cache_read' | 'cache_write';

/**
 * What decides an event's fate at ingest: its key, and the billable fields compared when the key is
 * already stored (same fields: a duplicate; different: a conflict).
 */
export interface UsageEventIdentity {
  idempotencyKey: string;
  eventType: string;
  metricName: string;
  quantity: number;
  subscriptionId: string | null;
}

/** A validated, priced usage event ready to store. */
export interface NewUsageEvent extends UsageEventIdentity {
  /** Pre-generated `evt_…` id, used only if this event is new. */
  id: string;
  timestampMs: number;
  receivedAtMs: number;
  /** Compact JSON of the metadata object (agent_id / workflow_id already folded in). */
  metadataJson: string;
  /** `metadata.agent_id` / `metadata.workflow_id` when they are strings, denormalised for grouping. */
  agentId: string | null;
  workflowId: string | null;
  tokenKind: TokenKind | null;
  costNanoUsd: number;
  /** False for an LLM token event whose model had no price (cost 0). */
  priced: boolean;
  /** Where the cost came from: `metadata`, `override`, `genai-prices@<version>`, or null. */
  priceSource: string | null;
  /**
   * `metadata.model` / `metadata.provider` as the rollups key them (see `modelAndProvider` in
   * rollups.ts); when absent the store reads them from `metadataJson` the same way. Not stored on the
   * event row (the metadata holds them).
   */
  model?: string | null;
  provider?: string | null;
}

/**
 * Outcome of `insertUsageEvents`. Either every event was handled (`results` in input order) or
 * some key was already stored (or repeated in the batch) with different billable fields, in which
 * case nothing at all was written and `conflicts` lists those events.
 */
export type InsertUsageEventsResult =
  | { ok: true; results: UsageRecordResponse[]; recordedCount: number }
  | { ok: false; conflicts: { index: number; idempotencyKey: string; existingEventId: string }[] };

/** Filter shared by every usage read. The range is half-open: [startMs, endMs). */
export interface UsageFilter {
  startMs: number;
  endMs: number;
  subscriptionId?: string;
  metricName?: string;
  eventType?: string;
  agentId?: string;
  workflowId?: string;
}

/** One row of `aggregateUsage`: a metric, in one window when a window size was asked for. */
export interface UsageAggregateRow {
  metricName: string;
  /** Start of the window (epoch ms, aligned to UTC hour/day), or null without a window. */
  windowStartMs: number | null;
  totalQuantity: number;
  eventCount: number;
  minQuantity: number;
  maxQuantity: number;
  costNanoUsd: number;
}

/** Totals of `summarizeUsage`. */
export interface UsageSummaryTotals {
  totalEvents: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costNanoUsd: number;
  unpricedEventCount: number;
  /** Sorted by metricName. */
  metrics: { metricName: string; totalQuantity: number; eventCount: number }[];
}

/** The attribution dimensions, stored denormalised on each event. */
export type AttributionDimension = 'agent_id' | 'workflow_id';

/** One group of `costBreakdown` (unsorted; the caller sorts and computes shares). */
export interface CostBreakdownRow {
  value: string | null;
  costNanoUsd: number;
  inputTokens: number;
  outputTokens: number;
  eventCount: number;
  unpricedEventCount: number;
}

// ── Request idempotency (Idempotency-Key header on create POSTs) ───────────────────────────────

/** Result of claiming an `Idempotency-Key` for a request. */
export type IdempotencyClaim =
  /** The key is now held by this request; call `completeRequestKey` or `releaseRequestKey`. */
  | { state: 'claimed' }
  /** Another request with this key is still running. */
  | { state: 'in_progress' }
  /** The key was used (within the TTL) for a request with a different fingerprint. */
  | { state: 'mismatch' }
  /** The key finished before: replay this response. */
  | { state: 'completed'; statusCode: number; body: string };

/** A claim in progress this long is considered abandoned (its process died) and may be re-claimed. */
export const CLAIM_ABANDONED_MS = 60_000;

// ── The contract ────────────────────────────────────────────────────────────────────────────────

/** Persistence for the reference server. See the file comment for conventions. */
export interface Store {
  /** The engine, reported by `GET /healthz`. */
  readonly kind: StoreKind;

  // Tenants and keys
  /** Create a tenant, or return the existing one with that name. */
  ensureTenant(name: string): Promise<Tenant>;
  /**
   * Store a key's SHA-256 hex digest for a tenant (the key itself is never stored), with its public
   * key id `key_` + the digest's first 12 hex digits (`keyIdOfDigest` in auth.ts).
   */
  addApiKey(tenantId: string, keyHash: string): Promise<void>;
  /** The keys of a tenant by key id (never the key or its digest), oldest first. */
  listApiKeys(tenantId: string): Promise<ApiKeyInfo[]>;
  /** The tenant owning the key with this SHA-256 hex digest, or null. */
  findTenantByKeyHash(keyHash: string): Promise<Tenant | null>;
  /** Number of API keys in the store (the CLI creates a development key when it is 0). */
  countApiKeys(): Promise<number>;
  /**
   * Revoke the key with this SHA-256 hex digest: it is deleted, so `findTenantByKeyHash` no longer
   * finds it. Returns false when no such key exists. Servers stop accepting it within their key
   * cache lifetime (see `auth.ts`).
   */
  revokeApiKey(keyHash: string): Promise<boolean>;

  // End users
  /** Insert an end user; returns `'external_id_taken'` if the tenant already has that externalId. */
  createEndUser(tenantId: string, input: NewEndUser): Promise<EndUser | 'external_id_taken'>;
  /** One end user of the tenant, or null. */
  getEndUser(tenantId: string, id: string): Promise<EndUser | null>;
  /** Apply a patch and bump `updatedAt`; null if the user does not exist in the tenant. */
  updateEndUser(tenantId: string, id: string, patch: EndUserPatch, nowMs: number): Promise<EndUser | null>;
  /**
   * Set the status (`DEACTIVATED` stamps `deactivatedAt`, `ACTIVE` clears it). Setting the
   * current status again is a no-op that returns the user unchanged. Null if not found.
   */
  setEndUserStatus(tenantId: string, id: string, status: EndUserStatus, nowMs: number): Promise<EndUser | null>;
  /** A page of end users in creation order, with counts. */
  listEndUsers(tenantId: string, query: EndUserListQuery): Promise<EndUserPage>;

  // Subscriptions
  /** Insert a subscription (status ACTIVE). */
  createSubscription(tenantId: string, input: NewSubscription): Promise<Subscription>;
  /** One subscription of the tenant, or null. */
  getSubscription(tenantId: string, id: string): Promise<Subscription | null>;
  /** Apply a patch and bump `updatedAt`; null if not found. */
  updateSubscription(tenantId: string, id: string, patch: SubscriptionPatch, nowMs: number): Promise<Subscription | null>;
  /** Mark CANCELED and stamp `canceledAt` (a second cancel returns it unchanged); null if not found. */
  cancelSubscription(tenantId: string, id: string, nowMs: number): Promise<Subscription | null>;
  /** A page of subscriptions in creation order and the number matching the filter. */
  listSubscriptions(tenantId: string, query: SubscriptionListQuery): Promise<{ data: Subscription[]; total: number }>;
  /** The subscriptions among `ids` that exist in the tenant, keyed by id. */
  findSubscriptionRefs(tenantId: string, ids: readonly string[]): Promise<Map<string, SubscriptionRef>>;

  // Usage
  /**
   * Store events atomically (one transaction). For each event, in order: a new key is inserted
   * (`recorded: true`, its own id); a key already stored — earlier in this same call or before —
   * with the same billable fields (eventType, metricName, quantity, subscriptionId) yields
   * `recorded: false` and the stored event's id; the same key with different billable fields
   * aborts the whole call (nothing written) and is reported in `conflicts`.
   */
  insertUsageEvents(tenantId: string, events: readonly NewUsageEvent[]): Promise<InsertUsageEventsResult>;
  /**
   * The same, for events not yet priced: the store calls `complete(event, index)` for the events it
   * is about to insert (the first event of each key not stored), at most once per key, and never for
   * a later event of a key. PostgreSQL stores a tenant's batches as all new until one turns out to
   * hold a stored key, so the first replayed batch of a run is completed (for nothing) and later ones
   * are not; SQLite reads the keys first, always. `complete` must return the event's key unchanged;
   * results and conflicts are exactly those of the first form.
   */
  insertUsageEvents<E extends UsageEventIdentity>(
    tenantId: string,
    events: readonly E[],
    complete: (event: E, index: number) => NewUsageEvent,
  ): Promise<InsertUsageEventsResult>;
  /** Events matching the filter, newest first (timestamp, then insertion order), and their count. */
  queryUsageEvents(tenantId: string, filter: UsageFilter, limit: number, offset: number): Promise<{ events: UsageEvent[]; total: number }>;
  /** Per-metric (and per-window) aggregates, sorted by metricName then window start. */
  aggregateUsage(tenantId: string, filter: UsageFilter, window: AggregationWindow | null): Promise<UsageAggregateRow[]>;
  /** Totals over the filter. */
  summarizeUsage(tenantId: string, filter: UsageFilter): Promise<UsageSummaryTotals>;
  /** Cost grouped by the dimension; events without it form the group with `value: null`. */
  costBreakdown(tenantId: string, dimension: AttributionDimension, filter: UsageFilter): Promise<CostBreakdownRow[]>;
  /** Distinct non-null values of the dimension in the filter, sorted ascending. */
  attributionValues(tenantId: string, dimension: AttributionDimension, filter: UsageFilter): Promise<string[]>;
  /** Cost, tokens by kind and events grouped by the dimension (`null` groups events without it); see `cost-report-types.ts`. */
  dimensionCosts(tenantId: string, dimension: CostDimension, filter: UsageFilter): Promise<DimensionCostRow[]>;
  /** Cost per UTC-aligned bucket per value of the dimension; only non-empty cells. */
  costSeries(tenantId: string, dimension: CostDimension, bucket: AggregationWindow, filter: UsageFilter): Promise<CostSeriesRow[]>;

  /**
   * Retention: delete the raw events of every tenant timestamped before `cutoffMs` rounded down to
   * a UTC day, keeping the rollups. Aggregate reads over the dropped days still answer from the
   * rollups; `queryUsageEvents` finds (and counts) only events still kept. See docs/server.md.
   */
  dropEventsBefore(cutoffMs: number): Promise<{ droppedBeforeMs: number; deletedCount: number }>;

  // Request idempotency
  /**
   * Claim `key` for a request with this fingerprint. Keys older than `ttlMs` are forgotten first,
   * and a claim still in progress after `CLAIM_ABANDONED_MS` (a crashed replica) may be taken over.
   * Engines also delete expired keys from time to time, so the table holds about one TTL of keys.
   * Atomic: of two concurrent claims, one gets `claimed` and the other `in_progress`.
   */
  claimRequestKey(tenantId: string, key: string, fingerprint: string, nowMs: number, ttlMs: number): Promise<IdempotencyClaim>;
  /** Store the response of a claimed key so later requests replay it. */
  completeRequestKey(tenantId: string, key: string, statusCode: number, body: string): Promise<void>;
  /** Forget a claimed key (the request failed), so a retry runs again. */
  releaseRequestKey(tenantId: string, key: string): Promise<void>;

  /** Release the connection(s). Further calls fail. */
  close(): Promise<void>;
}
