/**
 * The idempotency rules of ingest that both engines apply: when a repeated key is a duplicate and
 * how a conflict is reported (see `Store.insertUsageEvents`).
 */
import type { NewUsageEvent, UsageEventIdentity } from './store';

/** A key already stored (or earlier in the batch) with different billable fields. */
export type Conflict = { index: number; idempotencyKey: string; existingEventId: string };

/** Same billable fields (eventType, metricName, quantity, subscriptionId): a repeat is a duplicate, not a conflict. */
export function sameBillable(a: Omit<UsageEventIdentity, 'idempotencyKey'>, b: Omit<UsageEventIdentity, 'idempotencyKey'>): boolean {
  return a.eventType === b.eventType && a.metricName === b.metricName && a.quantity === b.quantity && a.subscriptionId === b.subscriptionId;
}

/** `complete` of the one-argument form of insertUsageEvents: its overload only admits complete events. */
export const completeAsIs = (event: UsageEventIdentity): NewUsageEvent => event as NewUsageEvent;
