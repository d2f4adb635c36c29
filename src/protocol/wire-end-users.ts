/** The wire contract: End users: the customers of the app that records usage. (src/protocol/types.ts re-exports every part.) */

import type { Metadata } from './wire-metadata';

/** Lifecycle state of an end user. Deactivation is a soft delete: usage history is kept. */
export type EndUserStatus = 'ACTIVE' | 'DEACTIVATED';

/** A customer of yours whose AI usage you track. */
export interface EndUser {
  /** Server-assigned id, prefixed `eu_`. */
  id: string;
  /** Your own unique identifier for this user (unique per tenant). */
  externalId: string;
  name: string | null;
  email: string | null;
  metadata: Metadata;
  status: EndUserStatus;
  /** RFC 3339 UTC timestamps. */
  createdAt: string;
  updatedAt: string;
  deactivatedAt: string | null;
}

/** Body of `endUsers.create`. */
export interface EndUserCreateInput {
  /** Required: your unique identifier, 1–255 characters. */
  externalId: string;
  /** Optional display name, at most 255 characters. */
  name?: string;
  /** Optional email, for portal access. */
  email?: string;
  /** Optional metadata, at most 10 KB. */
  metadata?: Metadata;
}

/** Body of `endUsers.update`: every field optional; `null` clears `name` or `email`. */
export interface EndUserUpdateInput {
  name?: string | null;
  email?: string | null;
  /** Replaces the stored metadata object. */
  metadata?: Metadata;
}

/** Envelope of create, update, deactivate and reactivate. */
export interface EndUserResponse {
  endUser: EndUser;
}

/** Query of `endUsers.list`. */
export interface EndUserListParams {
  status?: EndUserStatus;
  /** 1–1000, default 100. */
  limit?: number;
  /** ≥ 0, default 0. */
  offset?: number;
}

/** Result of `endUsers.list`. `total` counts the users matching `status`; the counts cover the tenant. */
export interface EndUserListResponse {
  endUsers: EndUser[];
  total: number;
  activeCount: number;
  deactivatedCount: number;
  limit: number;
  offset: number;
}
