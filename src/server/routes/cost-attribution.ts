/** Cost attribution: breakdown by agent / workflow, and their distinct values. */
import type { Static } from 'typebox';
import type { RoutePlugin } from '../context';
import { buildCostBreakdown } from '../cost-report';
import {
  AttributionValuesResponseSchema,
  CostAttributionParamsSchema,
  CostBreakdownResponseSchema,
} from '../schemas/cost-attribution';
import type { AttributionDimension, UsageFilter } from '../store/store';
import { resolveRange } from '../time-range';

const tags = ['cost attribution'];

function filterOf(q: Static<typeof CostAttributionParamsSchema>, nowMs: number): UsageFilter {
  const range = resolveRange(q.startDate, q.endDate, nowMs);
  return { ...range, ...(q.subscriptionId === undefined ? {} : { subscriptionId: q.subscriptionId }) };
}

/** Cost attribution routes: breakdown by agent / workflow and their distinct values. */
export const costAttributionRoutes: RoutePlugin = async (app, { store, now }) => {
  const breakdown = (path: string, dimension: AttributionDimension, summary: string): void => {
    app.get(path, { schema: { tags, summary, querystring: CostAttributionParamsSchema, response: { 200: CostBreakdownResponseSchema } } }, async (request) => {
      const filter = filterOf(request.query, now());
      const rows = await store.costBreakdown(request.tenant.id, dimension, filter);
      return buildCostBreakdown(dimension, filter, rows);
    });
  };
  const values = (path: string, dimension: AttributionDimension, summary: string): void => {
    app.get(path, { schema: { tags, summary, querystring: CostAttributionParamsSchema, response: { 200: AttributionValuesResponseSchema } } }, async (request) => {
      return { values: await store.attributionValues(request.tenant.id, dimension, filterOf(request.query, now())) };
    });
  };
  breakdown('/v1/cost-attribution/by-agent', 'agent_id', 'Cost breakdown by agent_id');
  breakdown('/v1/cost-attribution/by-workflow', 'workflow_id', 'Cost breakdown by workflow_id');
  values('/v1/cost-attribution/agents', 'agent_id', 'Distinct agent ids in the range');
  values('/v1/cost-attribution/workflows', 'workflow_id', 'Distinct workflow ids in the range');
};
