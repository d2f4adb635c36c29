/** Every path of the v1 API, fixed once. Ids are encoded segment by segment. */

const seg = (id: string): string => encodeURIComponent(id);

export const ROUTES = {
  health: '/healthz',
  endUsers: '/v1/end-users',
  endUser: (id: string) => `/v1/end-users/${seg(id)}`,
  endUserDeactivate: (id: string) => `/v1/end-users/${seg(id)}/deactivate`,
  endUserReactivate: (id: string) => `/v1/end-users/${seg(id)}/reactivate`,
  subscriptions: '/v1/subscriptions',
  subscription: (id: string) => `/v1/subscriptions/${seg(id)}`,
  subscriptionCancel: (id: string) => `/v1/subscriptions/${seg(id)}/cancel`,
  usageEvents: '/v1/usage/events',
  usageBatch: '/v1/usage/events/batch',
  usageAggregation: '/v1/usage/aggregation',
  usageSummary: '/v1/usage/summary',
  costByAgent: '/v1/cost-attribution/by-agent',
  costByWorkflow: '/v1/cost-attribution/by-workflow',
  costAgents: '/v1/cost-attribution/agents',
  costWorkflows: '/v1/cost-attribution/workflows',
  costBreakdown: '/v1/cost-attribution/breakdown',
  costTimeseries: '/v1/cost-attribution/timeseries',
  prices: '/v1/prices',
} as const;

/** Prefixes of server-assigned ids. */
export const ID_PREFIX = { endUser: 'eu_', subscription: 'sub_', event: 'evt_', request: 'req_' } as const;
