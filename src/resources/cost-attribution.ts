import { assertCostAttributionParams, assertCostReportParams } from '../internal/validate-inputs';
import { ROUTES } from '../protocol/routes';
import type {
  AttributionValuesResponse,
  CostAttributionParams,
  CostBreakdownResponse,
  CostDimensionParams,
  CostDimensionResponse,
  CostReportParams,
  CostTimeseriesParams,
  CostTimeseriesResponse,
} from '../protocol/types';
import type { RequestOptions } from '../transport/request-options';
import { APIResource } from './resource';

/**
 * Analyze AI costs by agent and workflow. Requires usage events recorded with `agent_id` / `workflow_id`
 * (or `metadata.agent_id` / `metadata.workflow_id`). Ranges are [startDate, endDate).
 */
export class CostAttribution extends APIResource {
  /** Cost breakdown grouped by agent; events without an agent form one item with `attributionValue: null`. */
  async byAgent(params: CostAttributionParams, options?: RequestOptions): Promise<CostBreakdownResponse> {
    assertCostAttributionParams(params);
    return this.context.request<CostBreakdownResponse>({ method: 'GET', path: ROUTES.costByAgent, query: { ...params } }, options);
  }

  /** Cost breakdown grouped by workflow; events without a workflow form one item with `attributionValue: null`. */
  async byWorkflow(params: CostAttributionParams, options?: RequestOptions): Promise<CostBreakdownResponse> {
    assertCostAttributionParams(params);
    return this.context.request<CostBreakdownResponse>({ method: 'GET', path: ROUTES.costByWorkflow, query: { ...params } }, options);
  }

  /** The distinct agent ids seen in the range, sorted. */
  async listAgents(params: CostAttributionParams, options?: RequestOptions): Promise<AttributionValuesResponse> {
    assertCostAttributionParams(params);
    return this.context.request<AttributionValuesResponse>({ method: 'GET', path: ROUTES.costAgents, query: { ...params } }, options);
  }

  /** The distinct workflow ids seen in the range, sorted. */
  async listWorkflows(params: CostAttributionParams, options?: RequestOptions): Promise<AttributionValuesResponse> {
    assertCostAttributionParams(params);
    return this.context.request<AttributionValuesResponse>({ method: 'GET', path: ROUTES.costWorkflows, query: { ...params } }, options);
  }

  /**
   * Cost, tokens by kind (input, output, cache read, cache write) and events grouped by agent,
   * workflow, model or provider; narrow with `agentId` / `workflowId` to drill down. Items sum to the
   * totals exactly in nano-USD.
   */
  async breakdown(params: CostDimensionParams, options?: RequestOptions): Promise<CostDimensionResponse> {
    assertCostReportParams(params, 'breakdown');
    return this.context.request<CostDimensionResponse>({ method: 'GET', path: ROUTES.costBreakdown, query: { ...params } }, options);
  }

  /** Cost by model (`metadata.model`): `breakdown` with `dimension: 'model'`. */
  async byModel(params: CostReportParams, options?: RequestOptions): Promise<CostDimensionResponse> {
    // A non-object is refused as such, not spread into odd keys.
    if (typeof params !== 'object' || params === null) assertCostReportParams(params, 'breakdown');
    return this.breakdown({ ...params, dimension: 'model' }, options);
  }

  /**
   * Cost per UTC hour or day, one series per value of the dimension (the `limit` costliest, the rest
   * summed into `other`), every bucket of the range present.
   */
  async timeseries(params: CostTimeseriesParams, options?: RequestOptions): Promise<CostTimeseriesResponse> {
    assertCostReportParams(params, 'timeseries');
    return this.context.request<CostTimeseriesResponse>({ method: 'GET', path: ROUTES.costTimeseries, query: { ...params } }, options);
  }
}
