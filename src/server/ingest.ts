/**
 * Ingest of usage events, shared by the single-event and batch routes: validate every event,
 * check referenced subscriptions, then store all in one transaction (all or nothing). Events are
 * priced, given ids and serialised only when the store finds their key new: a replayed batch (the
 * SDK retrying after a lost response) skips that work entirely.
 */
import type { ErrorDetail, UsageBatchResponse } from '../protocol/types';
import { ApiError } from './errors';
import { newId } from './ids';
import type { Pricer } from './pricing';
import { modelAndProvider } from './store/rollups';
import type { NewUsageEvent, Store, UsageEventIdentity } from './store/store';
import { isProblem, metadataJsonOfEvent, validateEvent, type EventProblem, type ValidEvent } from './validate-event';

/** What ingest needs from the app. */
export interface IngestContext {
  store: Store;
  pricer: Pricer;
  tenantId: string;
  nowMs: number;
}

/** Per-event problems, by index (empty when every event is valid). */
type Problems = Map<number, EventProblem>;

async function checkSubscriptions(ctx: IngestContext, events: readonly (ValidEvent | EventProblem)[], problems: Problems): Promise<void> {
  const ids = new Set<string>();
  for (const e of events) if (!isProblem(e) && e.subscriptionId !== null) ids.add(e.subscriptionId);
  if (ids.size === 0) return;
  const found = await ctx.store.findSubscriptionRefs(ctx.tenantId, [...ids]);
  events.forEach((e, index) => {
    if (isProblem(e) || e.subscriptionId === null) return;
    const ref = found.get(e.subscriptionId);
    if (ref === undefined) {
      problems.set(index, { code: 'resource_missing', param: 'subscriptionId', message: `subscriptionId ${e.subscriptionId} does not exist in this tenant` });
    } else if (ref.canceledAtMs !== null && e.timestampMs >= ref.canceledAtMs) {
      problems.set(index, {
        code: 'subscription_canceled',
        param: 'subscriptionId',
        message: `subscriptionId ${e.subscriptionId} was canceled at ${new Date(ref.canceledAtMs).toISOString()}, before this event`,
      });
    }
  });
}

/** A valid event on its way to the store: its key (assigned by the server when the client sent none) and billable fields. */
interface PendingEvent extends UsageEventIdentity {
  valid: ValidEvent;
  /** The id of an event sent without a key, which is also its key; null when the client sent a key. */
  keylessId: string | null;
}

function toPending(e: ValidEvent): PendingEvent {
  // An event sent without a key gets its own id as key: unique, and shown by usage.query.
  const keylessId = e.idempotencyKey === null ? newId('evt_') : null;
  return {
    idempotencyKey: e.idempotencyKey ?? (keylessId as string),
    eventType: e.eventType,
    metricName: e.metricName,
    quantity: e.quantity,
    subscriptionId: e.subscriptionId,
    valid: e,
    keylessId,
  };
}

/** The stored row of a new event: id, price and metadata JSON. The store calls this only for keys it does not hold. */
function toNewEvent(p: PendingEvent, ctx: IngestContext): NewUsageEvent {
  const e = p.valid;
  const price = ctx.pricer.price(e.metricName, e.quantity, e.metadata, e.timestampMs);
  return {
    id: p.keylessId ?? newId('evt_'),
    idempotencyKey: p.idempotencyKey,
    eventType: e.eventType,
    metricName: e.metricName,
    quantity: e.quantity,
    subscriptionId: e.subscriptionId,
    timestampMs: e.timestampMs,
    receivedAtMs: ctx.nowMs,
    metadataJson: metadataJsonOfEvent(e),
    agentId: e.agentId,
    workflowId: e.workflowId,
    tokenKind: price.tokenKind,
    costNanoUsd: price.costNanoUsd,
    priced: price.priced,
    priceSource: price.source,
    ...modelAndProvider(e.metadata),
  };
}

/**
 * Validate and store events. `single` selects the error style: a single event's problem is the
 * error itself; a batch's problems are `batch_validation_failed` with one detail per event.
 * @throws {ApiError} 400 on invalid events, 422 `idempotency_key_reused` on a key reused with other billable fields.
 */
export async function ingestEvents(ctx: IngestContext, rawEvents: readonly unknown[], single: boolean): Promise<UsageBatchResponse> {
  const validated = rawEvents.map((raw) => validateEvent(raw, ctx.nowMs));
  const problems: Problems = new Map();
  validated.forEach((v, i) => {
    if (isProblem(v)) problems.set(i, v);
  });
  await checkSubscriptions(ctx, validated, problems);
  if (problems.size > 0) {
    if (single) {
      const p = problems.get(0) as EventProblem;
      throw new ApiError(p.code, p.message, { param: p.param });
    }
    const details: ErrorDetail[] = [...problems.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([index, p]) => {
        const key = (rawEvents[index] as { idempotencyKey?: unknown } | null)?.idempotencyKey;
        return { index, code: p.code, message: p.message, param: p.param, ...(typeof key === 'string' ? { idempotencyKey: key } : {}) };
      });
    throw new ApiError('batch_validation_failed', `${details.length} of ${rawEvents.length} events are invalid; nothing was recorded`, { details });
  }

  const events = (validated as ValidEvent[]).map(toPending);
  const result = await ctx.store.insertUsageEvents(ctx.tenantId, events, (p) => toNewEvent(p, ctx));
  if (!result.ok) {
    const details: ErrorDetail[] = result.conflicts.map((c) => ({
      index: c.index,
      code: 'idempotency_key_reused',
      message: `idempotencyKey ${c.idempotencyKey} was already used by event ${c.existingEventId} with different eventType, metricName, quantity or subscriptionId`,
      param: 'idempotencyKey',
      idempotencyKey: c.idempotencyKey,
    }));
    const first = details[0] as ErrorDetail;
    throw new ApiError('idempotency_key_reused', single ? first.message : `${details.length} events reuse an idempotencyKey with different billable fields; nothing was recorded`, {
      param: 'idempotencyKey',
      ...(single ? {} : { details }),
    });
  }
  return { recordedCount: result.recordedCount, skippedCount: events.length - result.recordedCount, results: result.results };
}
