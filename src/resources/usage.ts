import { BearLumenError } from '../errors';
import { withScope } from '../internal/attribution';
import { createEventKeyGenerator } from '../internal/idempotency';
import { assertUsageAggregationParams, assertUsageQueryParams, assertUsageSummaryParams } from '../internal/validate-inputs';
import { toWireBatch, toWireEvent } from '../internal/validate-usage';
import { ROUTES } from '../protocol/routes';
import type {
  UsageAggregationParams,
  UsageAggregationResponse,
  UsageBatchResponse,
  UsageEvent,
  UsageEventInput,
  UsageQueryParams,
  UsageQueryResponse,
  UsageRecordInput,
  UsageRecordResponse,
  UsageSummaryParams,
  UsageSummaryResponse,
} from '../protocol/types';
import type { RequestOptions } from '../transport/request-options';
import { paginate, ITERATE_PAGE_SIZE } from './pagination';
import { APIResource, type ResourceContext } from './resource';

/** Record and query AI usage events for billing and cost analysis. */
export class Usage extends APIResource {
  readonly #nextKey: () => string;

  constructor(context: ResourceContext) {
    super(context);
    this.#nextKey = createEventKeyGenerator();
  }

  /**
   * Record one usage event. The event is validated now, then buffered and sent in a batch; the promise
   * resolves with `{ eventId, recorded }` once its batch is acknowledged (`recorded: false` means the
   * server already held this `idempotencyKey`). `agent_id` / `workflow_id` are folded into
   * `metadata.agent_id` / `metadata.workflow_id` and win over keys of the same name in `metadata`.
   * Inside `client.withAttribution(fields, fn)` the scope's fields fill what the call leaves out.
   * Invalid input REJECTS the returned promise (nothing is buffered; counted as dropped `invalid`);
   * delivery failures reject it too. No rejection is ever unhandled when you don't await it: it is
   * counted in `client.stats()`, logged and observable (`client.on('drop' | 'error')`).
   * @throws {BearLumenValidationError} (as a rejection) naming the field and rule.
   * @throws {BearLumenBufferFullError} when the buffer is full and `batching.overflow` is `'reject'`.
   * @throws {BearLumenClosedError} after `shutdown()`.
   */
  record(data: UsageRecordInput): Promise<UsageRecordResponse> {
    // Not `async`: an async wrapper would re-wrap the pipeline's promise in one that is NOT marked
    // handled, so a fire-and-forget call that fails would crash the app with an unhandled rejection.
    // Every failure below is counted by the pipeline and returned as an already handled rejection:
    // metering must never take the host down (docs/pipeline.md, "Invalid events").
    const pipeline = this.context.pipeline;
    let event: UsageEventInput;
    try {
      // Inside `withAttribution(…)` the scope fills the fields the call left out.
      event = toWireEvent(withScope(data), '', this.context.now);
    } catch (error) {
      return pipeline.refuse(error);
    }
    try {
      return pipeline.record(event);
    } catch (error) {
      return pipeline.refuse(error);
    }
  }

  /**
   * Record 1–1000 events in one request, all or nothing. Events without an `idempotencyKey` get one
   * before the first attempt, so a retried batch is deduplicated instead of double counted. Large
   * bodies are gzip-compressed.
   * @throws {BearLumenValidationError} naming `events[i].<field>` before any request.
   * @throws {BearLumenInvalidRequestError} `batch_validation_failed` with `details[{ index, … }]`.
   * @throws {BearLumenError} `invalid_response` when a 2xx does not carry one result per event (e.g. a
   * proxy's page): the outcome is unknown, so resend the same events with their idempotency keys.
   */
  async recordBatch(events: UsageRecordInput[], options?: RequestOptions): Promise<UsageBatchResponse> {
    const nowMs = this.context.now();
    const wire = toWireBatch(Array.isArray(events) ? events.map(withScope) : events, () => nowMs);
    for (const event of wire) event.idempotencyKey ??= this.#nextKey();
    const response = await this.context.request<UsageBatchResponse>({ method: 'POST', path: ROUTES.usageBatch, body: { events: wire }, compress: true }, options);
    // A 2xx that does not account for every event must not pass as success: the events may not be stored
    // (found by test/property/exactly-once.test.ts with a proxy answering 200 {"ok":true}).
    const results: unknown = (response as Partial<UsageBatchResponse> | undefined)?.results;
    if (!Array.isArray(results) || results.length !== wire.length) {
      throw new BearLumenError(`batch response has ${Array.isArray(results) ? results.length : 'no'} results for ${wire.length} events`, 'invalid_response');
    }
    return response;
  }

  /** Query usage events, newest first; filters by subscription, metric, event type, agent, workflow and date range. */
  async query(params?: UsageQueryParams, options?: RequestOptions): Promise<UsageQueryResponse> {
    assertUsageQueryParams(params);
    return this.context.request<UsageQueryResponse>({ method: 'GET', path: ROUTES.usageEvents, query: { ...params } }, options);
  }

  /** Aggregated usage per metric (and per `HOUR` / `DAY` window when `windowSize` is set). */
  async aggregation(params?: UsageAggregationParams, options?: RequestOptions): Promise<UsageAggregationResponse> {
    assertUsageAggregationParams(params);
    return this.context.request<UsageAggregationResponse>({ method: 'GET', path: ROUTES.usageAggregation, query: { ...params } }, options);
  }

  /** High-level totals over a range: events, tokens by kind, cost. */
  async summary(params?: UsageSummaryParams, options?: RequestOptions): Promise<UsageSummaryResponse> {
    assertUsageSummaryParams(params);
    return this.context.request<UsageSummaryResponse>({ method: 'GET', path: ROUTES.usageSummary, query: { ...params } }, options);
  }

  /** Iterate over every event matching `params` (newest first), fetching pages of `limit` (default 100). */
  async *iterate(params?: UsageQueryParams, options?: RequestOptions): AsyncGenerator<UsageEvent, void, undefined> {
    assertUsageQueryParams(params);
    yield* paginate(
      (offset, limit) => this.query({ ...params, offset, limit }, options),
      (page) => page.events,
      params?.offset ?? 0,
      params?.limit ?? ITERATE_PAGE_SIZE,
    );
  }
}
