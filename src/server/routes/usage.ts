/** Usage: record one event, record a batch, query, aggregation, summary. */
import type { FastifySchemaCompiler } from 'fastify';
import type { Static } from 'typebox';
import { DEFAULT_LIST_LIMIT, MAX_BATCH_SIZE } from '../../protocol/limits';
import type { AggregationWindow, UsageAggregationResponse, UsageSummaryResponse } from '../../protocol/types';
import type { RoutePlugin } from '../context';
import { ApiError, describeValue } from '../errors';
import { ingestEvents } from '../ingest';
import { ErrorBodySchema } from '../schemas/common';
import {
  UsageAggregationParamsSchema,
  UsageAggregationResponseSchema,
  UsageBatchRequestSchema,
  UsageBatchResponseSchema,
  UsageEventInputSchema,
  UsageFilterParamsSchema,
  UsageQueryParamsSchema,
  UsageQueryResponseSchema,
  UsageRecordResponseSchema,
  UsageSummaryResponseSchema,
} from '../schemas/usage';
import { nanoToUsd } from '../store/rows';
import type { UsageFilter } from '../store/store';
import { resolveRange } from '../time-range';

const tags = ['usage'];
const WINDOW_MS: Record<AggregationWindow, number> = { HOUR: 3_600_000, DAY: 86_400_000 };

/**
 * Event bodies are validated by validate-event.ts, which reports every failing event of a batch
 * with its own code; the schema stays on the route for documentation only.
 */
const passThrough: FastifySchemaCompiler<unknown> = () => (value) => ({ value });

/** The store filter of a usage query. @throws {ApiError} 400 for a bad or empty range. */
export function filterOf(q: Static<typeof UsageQueryParamsSchema>, nowMs: number): UsageFilter {
  const { startMs, endMs } = resolveRange(q.startDate, q.endDate, nowMs);
  return {
    startMs,
    endMs,
    ...(q.subscriptionId === undefined ? {} : { subscriptionId: q.subscriptionId }),
    ...(q.metricName === undefined ? {} : { metricName: q.metricName }),
    ...(q.eventType === undefined ? {} : { eventType: q.eventType }),
    ...(q.agent_id === undefined ? {} : { agentId: q.agent_id }),
    ...(q.workflow_id === undefined ? {} : { workflowId: q.workflow_id }),
  };
}

/** Usage routes: record one event, record a batch, query, aggregation, summary. */
export const usageRoutes: RoutePlugin = async (app, { store, pricer, now }) => {
  app.post(
    '/v1/usage/events',
    {
      validatorCompiler: passThrough,
      schema: { tags, summary: 'Record one usage event', body: UsageEventInputSchema, response: { 200: UsageRecordResponseSchema, 400: ErrorBodySchema, 422: ErrorBodySchema } },
    },
    async (request) => {
      const body: unknown = request.body;
      if (body === undefined || body === null) throw new ApiError('parameter_missing', 'Request body (a usage event) is required');
      const result = await ingestEvents({ store, pricer, tenantId: request.tenant.id, nowMs: now() }, [body], true);
      return result.results[0];
    },
  );

  app.post(
    '/v1/usage/events/batch',
    {
      validatorCompiler: passThrough,
      schema: {
        tags,
        summary: 'Record 1-1000 usage events, all or nothing',
        body: UsageBatchRequestSchema,
        response: { 200: UsageBatchResponseSchema, 400: ErrorBodySchema, 422: ErrorBodySchema },
      },
    },
    async (request) => {
      const body: unknown = request.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new ApiError('parameter_invalid', `Request body must be an object { events: [...] } (got ${describeValue(body)})`);
      }
      const events = (body as { events?: unknown }).events;
      if (events === undefined) throw new ApiError('parameter_missing', 'events is required', { param: 'events' });
      if (!Array.isArray(events)) throw new ApiError('parameter_invalid', `events must be an array (got ${describeValue(events)})`, { param: 'events' });
      if (events.length === 0) throw new ApiError('batch_empty', 'events must contain at least one event', { param: 'events' });
      if (events.length > MAX_BATCH_SIZE) {
        throw new ApiError('batch_too_large', `events must contain at most ${MAX_BATCH_SIZE} events (got ${events.length})`, { param: 'events' });
      }
      for (const key of Object.keys(body)) {
        if (key !== 'events') throw new ApiError('parameter_invalid', `${key} is not a known field`, { param: key });
      }
      return ingestEvents({ store, pricer, tenantId: request.tenant.id, nowMs: now() }, events, false);
    },
  );

  app.get(
    '/v1/usage/events',
    { schema: { tags, summary: 'Query usage events, newest first', querystring: UsageQueryParamsSchema, response: { 200: UsageQueryResponseSchema } } },
    async (request) => {
      const { limit = DEFAULT_LIST_LIMIT, offset = 0 } = request.query;
      const page = await store.queryUsageEvents(request.tenant.id, filterOf(request.query, now()), limit, offset);
      return { ...page, limit, offset };
    },
  );

  app.get(
    '/v1/usage/aggregation',
    {
      schema: { tags, summary: 'Aggregate usage by metric (and window)', querystring: UsageAggregationParamsSchema, response: { 200: UsageAggregationResponseSchema } },
    },
    async (request): Promise<UsageAggregationResponse> => {
      const filter = filterOf(request.query, now());
      const window = request.query.windowSize ?? null;
      const rows = await store.aggregateUsage(request.tenant.id, filter, window);
      const aggregations = rows.map((r) => {
        // Edge windows are clipped to the range, so every row reports the span it actually covers.
        const start = r.windowStartMs === null || window === null ? filter.startMs : Math.max(r.windowStartMs, filter.startMs);
        const end = r.windowStartMs === null || window === null ? filter.endMs : Math.min(r.windowStartMs + WINDOW_MS[window], filter.endMs);
        return {
          metricName: r.metricName,
          windowStart: new Date(start).toISOString(),
          windowEnd: new Date(end).toISOString(),
          totalQuantity: r.totalQuantity,
          eventCount: r.eventCount,
          minQuantity: r.minQuantity,
          maxQuantity: r.maxQuantity,
          totalCost: nanoToUsd(r.costNanoUsd),
          totalCostNanoUsd: r.costNanoUsd,
        };
      });
      return { startDate: new Date(filter.startMs).toISOString(), endDate: new Date(filter.endMs).toISOString(), windowSize: window, aggregations };
    },
  );

  app.get(
    '/v1/usage/summary',
    { schema: { tags, summary: 'Usage totals over a range', querystring: UsageFilterParamsSchema, response: { 200: UsageSummaryResponseSchema } } },
    async (request): Promise<UsageSummaryResponse> => {
      const filter = filterOf(request.query, now());
      const t = await store.summarizeUsage(request.tenant.id, filter);
      return {
        startDate: new Date(filter.startMs).toISOString(),
        endDate: new Date(filter.endMs).toISOString(),
        totalEvents: t.totalEvents,
        metricCount: t.metrics.length,
        inputTokens: t.inputTokens,
        outputTokens: t.outputTokens,
        cacheReadTokens: t.cacheReadTokens,
        cacheWriteTokens: t.cacheWriteTokens,
        totalCost: nanoToUsd(t.costNanoUsd),
        totalCostNanoUsd: t.costNanoUsd,
        unpricedEventCount: t.unpricedEventCount,
        metrics: t.metrics,
      };
    },
  );
};
