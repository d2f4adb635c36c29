import { assertCostAttributionParams } from '../internal/validate-inputs';
import { ROUTES } from '../protocol/routes';
import type { AttributionValuesResponse, CostAttributionParams, CostBreakdownResponse } from '../protocol/types';
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
}
