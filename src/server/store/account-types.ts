/**
 * The store's records of accounts: tenants and their API keys, end users and subscriptions (inputs,
 * patches, list queries and pages). Part of the repository contract in `store.ts`, which re-exports
 * them; engine-neutral values only (see there).
 */
import type { EndUser, EndUserStatus, SubscriptionStatus } from '../../protocol/types';

/** A customer of the server operator; every API key and every row belongs to exactly one. */
export interface Tenant {
  /** Opaque id, `ten_…`. */
  id: string;
  /** Unique human name, e.g. `default` or `acme`. */
  name: string;
  createdAt: string;
}

/** What the store tells about an API key: never the key, never its digest. */
export interface ApiKeyInfo {
  /** `key_` + 12 hex digits of the key's digest (see `keyIdOfDigest`). */
  keyId: string;
  createdAt: string;
}

// ── End users ───────────────────────────────────────────────────────────────────────────────────

/** A validated end user to insert. Ids and times are chosen by the caller (the route). */
export interface NewEndUser {
  id: string;
  externalId: string;
  name: string | null;
  email: string | null;
  metadataJson: string;
  nowMs: number;
}

/** Fields to change on an end user; absent fields are left as they are, `null` clears. */
export interface EndUserPatch {
  name?: string | null;
  email?: string | null;
  metadataJson?: string;
}

/** Filter and page of `listEndUsers`. `limit`/`offset` are already validated. */
export interface EndUserListQuery {
  status?: EndUserStatus;
  limit: number;
  offset: number;
}

/** One page of end users in creation order, plus counts over the whole tenant. */
export interface EndUserPage {
  endUsers: EndUser[];
  /** Users matching `status` (all users when no status was given). */
  total: number;
  activeCount: number;
  deactivatedCount: number;
}

// ── Subscriptions ───────────────────────────────────────────────────────────────────────────────

/** A validated subscription to insert; `userId` has been checked to exist in the tenant. */
export interface NewSubscription {
  id: string;
  userId: string;
  pricingPlanId: string;
  currentPeriodStart: string;
  currentPeriodEnd: string;
  stripeSubscriptionId: string | null;
  metadataJson: string;
  nowMs: number;
}

/** Fields to change on a subscription; absent fields are kept, `null` clears. */
export interface SubscriptionPatch {
  pricingPlanId?: string;
  currentPeriodStart?: string;
  currentPeriodEnd?: string;
  stripeSubscriptionId?: string | null;
  metadataJson?: string;
}

/** Filter and page of `listSubscriptions`, in creation order. */
export interface SubscriptionListQuery {
  userId?: string;
  status?: SubscriptionStatus;
  limit: number;
  offset: number;
}

/** What ingest needs to know about a referenced subscription. */
export interface SubscriptionRef {
  id: string;
  status: SubscriptionStatus;
  /** Epoch ms of cancellation, or null while active. */
  canceledAtMs: number | null;
}
