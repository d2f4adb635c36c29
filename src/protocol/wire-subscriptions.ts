/** The wire contract: Subscriptions: an end user's plan and billing period. (src/protocol/types.ts re-exports every part.) */

import type { Metadata } from './wire-metadata';

export type SubscriptionStatus = 'ACTIVE' | 'CANCELED';

/** Links an end user to a pricing plan for a billing period. */
export interface Subscription {
  /** Server-assigned id, prefixed `sub_`. */
  id: string;
  /** The end user's id (`eu_…`). */
  userId: string;
  pricingPlanId: string;
  status: SubscriptionStatus;
  currentPeriodStart: string;
  currentPeriodEnd: string;
  stripeSubscriptionId: string | null;
  metadata: Metadata;
  canceledAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Body of `subscriptions.create`. */
export interface SubscriptionCreateInput {
  /** Required: the end user's id (`eu_…`), which must exist in your tenant. */
  userId: string;
  /** Required: 1–255 characters. */
  pricingPlanId: string;
  /** Required: ISO 8601 date (`2024-01-01`, read as 00:00 UTC) or RFC 3339 date-time with offset. */
  currentPeriodStart: string;
  /** Required: ISO 8601 date (`2024-02-01`, read as 00:00 UTC) or RFC 3339 date-time, after `currentPeriodStart`. */
  currentPeriodEnd: string;
  stripeSubscriptionId?: string;
  metadata?: Metadata;
}

/** Body of `subscriptions.update`: every field optional. */
export interface SubscriptionUpdateInput {
  pricingPlanId?: string;
  /** ISO 8601 date (read as 00:00 UTC) or RFC 3339 date-time. */
  currentPeriodStart?: string;
  /** ISO 8601 date (read as 00:00 UTC) or RFC 3339 date-time, after the (new or current) start. */
  currentPeriodEnd?: string;
  stripeSubscriptionId?: string | null;
  metadata?: Metadata;
}

/** Query of `subscriptions.list`. */
export interface SubscriptionListParams {
  userId?: string;
  status?: SubscriptionStatus;
  /** 1–1000, default 100. */
  limit?: number;
  offset?: number;
}

/** Result of `subscriptions.list`. */
export interface SubscriptionListResponse {
  data: Subscription[];
  total: number;
  limit: number;
  offset: number;
}
