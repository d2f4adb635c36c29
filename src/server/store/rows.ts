/** Row shapes of the tables (both engines), their mapping to wire entities, and fixed column maps. */
import type { EndUser, EndUserStatus, Subscription, SubscriptionStatus, UsageEvent } from '../../protocol/types';

/** A row of `end_users`. */
export interface EndUserRow {
  id: string;
  external_id: string;
  name: string | null;
  email: string | null;
  metadata: string;
  status: string;
  created_at: string;
  updated_at: string;
  deactivated_at: string | null;
}

/** A row of `subscriptions`. */
export interface SubscriptionRow {
  id: string;
  user_id: string;
  pricing_plan_id: string;
  status: string;
  current_period_start: string;
  current_period_end: string;
  stripe_subscription_id: string | null;
  metadata: string;
  canceled_at: string | null;
  created_at: string;
  updated_at: string;
}

/** A row of `usage_events` as the query reads it. */
export interface UsageEventRow {
  id: string;
  event_type: string;
  metric_name: string;
  quantity: number;
  subscription_id: string | null;
  idempotency_key: string;
  ts: number;
  received_at: number;
  metadata: string;
  cost_nano: number;
  priced: number;
  price_source: string | null;
}

/** Column of each patchable subscription field; a fixed map, so no user input reaches the SQL text. */
export const SUBSCRIPTION_COLUMNS = {
  pricingPlanId: 'pricing_plan_id',
  currentPeriodStart: 'current_period_start',
  currentPeriodEnd: 'current_period_end',
  stripeSubscriptionId: 'stripe_subscription_id',
  metadataJson: 'metadata',
} as const;

/** Expired `Idempotency-Key` rows are deleted once per this many claims of a process (both engines). */
export const PURGE_EVERY_CLAIMS = 500;

/** Stored metadata is always a JSON object written by us; parse defensively anyway. */
export function parseMetadata(json: string): Record<string, unknown> {
  const value: unknown = JSON.parse(json);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Map an `end_users` row to the wire entity. */
export function toEndUser(row: EndUserRow): EndUser {
  return {
    id: row.id,
    externalId: row.external_id,
    name: row.name,
    email: row.email,
    metadata: parseMetadata(row.metadata),
    status: row.status as EndUserStatus,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deactivatedAt: row.deactivated_at,
  };
}

/** Map a `subscriptions` row to the wire entity. */
export function toSubscription(row: SubscriptionRow): Subscription {
  return {
    id: row.id,
    userId: row.user_id,
    pricingPlanId: row.pricing_plan_id,
    status: row.status as SubscriptionStatus,
    currentPeriodStart: row.current_period_start,
    currentPeriodEnd: row.current_period_end,
    stripeSubscriptionId: row.stripe_subscription_id,
    metadata: parseMetadata(row.metadata),
    canceledAt: row.canceled_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Map a `usage_events` row to the wire entity. */
export function toUsageEvent(row: UsageEventRow): UsageEvent {
  return {
    eventId: row.id,
    eventType: row.event_type,
    metricName: row.metric_name,
    quantity: row.quantity,
    subscriptionId: row.subscription_id,
    idempotencyKey: row.idempotency_key,
    timestamp: new Date(row.ts).toISOString(),
    receivedAt: new Date(row.received_at).toISOString(),
    metadata: parseMetadata(row.metadata),
    costUsd: nanoToUsd(row.cost_nano),
    costNanoUsd: row.cost_nano,
    priced: row.priced === 1,
    priceSource: row.price_source,
  };
}

/** Integer nano-USD to USD, rounded to 6 decimals (the wire's display precision). */
export function nanoToUsd(nano: number): number {
  return Math.round(nano / 1000) / 1e6;
}
