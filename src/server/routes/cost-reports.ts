/** Cost reports: a breakdown by any dimension (agent, workflow, model, provider) and cost per time bucket. */
import type { Static } from 'typebox';
import { DEFAULT_TIMESERIES_SERIES } from '../../protocol/limits';
import { ROUTES } from '../../protocol/routes';
import type { RoutePlugin } from '../context';
import { bucketStarts, buildCostTimeseries, buildDimensionCosts } from '../cost-timeseries';
import { CostDimensionParamsSchema, CostDimensionResponseSchema, CostTimeseriesParamsSchema, CostTimeseriesResponseSchema } from '../schemas/cost-reports';
import type { UsageFilter } from '../store/store';
import { resolveRange } from '../time-range';

const tags = ['cost attribution'];

function filterOf(q: Static<typeof CostDimensionParamsSchema>, nowMs: number): UsageFilter {
  return {
    ...resolveRange(q.startDate, q.endDate, nowMs),
    ...(q.subscriptionId === undefined ? {} : { subscriptionId: q.subscriptionId }),
    ...(q.agentId === undefined ? {} : { agentId: q.agentId }),
    ...(q.workflowId === undefined ? {} : { workflowId: q.workflowId }),
  };
}

/** `GET /v1/cost-attribution/breakdown` and `GET /v1/cost-attribution/timeseries`. */
export const costReportRoutes: RoutePlugin = async (app, { store, now }) => {
  app.get(
    ROUTES.costBreakdown,
    {
      schema: {
        tags,
        summary: 'Cost, tokens by kind and events grouped by agent, workflow, model or provider',
        querystring: CostDimensionParamsSchema,
        response: { 200: CostDimensionResponseSchema },
      },
    },
    async (request) => {
      const filter = filterOf(request.query, now());
      const rows = await store.dimensionCosts(request.tenant.id, request.query.dimension, filter);
      return buildDimensionCosts(request.query.dimension, filter, rows);
    },
  );
  app.get(
    ROUTES.costTimeseries,
    {
      schema: {
        tags,
        summary: 'Cost per UTC hour or day, one series per agent, workflow, model or provider',
        querystring: CostTimeseriesParamsSchema,
        response: { 200: CostTimeseriesResponseSchema },
      },
    },
    async (request) => {
      const q = request.query;
      const filter = filterOf(q, now());
      // Checked before the read, so an over-long series costs no scan.
      const starts = bucketStarts(filter, q.bucket);
      const rows = await store.costSeries(request.tenant.id, q.dimension, q.bucket, filter);
      return buildCostTimeseries({ dimension: q.dimension, bucket: q.bucket, limit: q.limit ?? DEFAULT_TIMESERIES_SERIES }, filter, starts, rows);
    },
  );
};
