/** Validators for the inputs of the end-user, subscription, query and cost-attribution methods. */
import { MAX_LIST_LIMIT, MAX_NAME_LENGTH, MAX_TIMESERIES_SERIES, NAME_PATTERN } from '../protocol/limits';
import {
  assertDateOrDateTime,
  assertInteger,
  assertKnownKeys,
  assertObject,
  assertString,
  fail,
  nullableString,
  optionalEnum,
  optionalMetadata,
  optionalString,
  type Fields,
} from './validate';

const keys = (...names: string[]): ReadonlySet<string> => new Set(names);
const EMAIL = { pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, patternRule: 'must be an email address such as name@example.com' };
const NAME_RULE = { max: MAX_NAME_LENGTH, pattern: NAME_PATTERN, patternRule: 'must contain only letters, digits and _ . : -' };

/** Validates a params object that may be omitted; returns it as a record. */
function optionalParams(value: unknown, field: string, allowed: ReadonlySet<string>): Fields {
  if (value === undefined) return {};
  assertObject(value, field);
  assertKnownKeys(value, allowed, field);
  return value;
}

/** `limit` 1–1000 and `offset` ≥ 0, both optional. */
function pagination(params: Fields, field: string): void {
  if (params['limit'] !== undefined) assertInteger(params['limit'], `${field}.limit`, 1, MAX_LIST_LIMIT);
  if (params['offset'] !== undefined) assertInteger(params['offset'], `${field}.offset`, 0, Number.MAX_SAFE_INTEGER);
}

const END_USER_CREATE = keys('externalId', 'name', 'email', 'metadata');
const END_USER_UPDATE = keys('name', 'email', 'metadata');
const END_USER_LIST = keys('status', 'limit', 'offset');

/** `endUsers.create` body. */
export function assertEndUserCreateInput(input: unknown): void {
  assertObject(input, 'data');
  assertKnownKeys(input, END_USER_CREATE, 'data');
  assertString(input['externalId'], 'data.externalId');
  optionalString(input['name'], 'data.name');
  optionalString(input['email'], 'data.email', EMAIL);
  optionalMetadata(input['metadata'], 'data.metadata');
}

/** `endUsers.update` body; `null` clears `name` / `email`. */
export function assertEndUserUpdateInput(input: unknown): void {
  assertObject(input, 'data');
  assertKnownKeys(input, END_USER_UPDATE, 'data');
  nullableString(input['name'], 'data.name');
  nullableString(input['email'], 'data.email', EMAIL);
  optionalMetadata(input['metadata'], 'data.metadata');
}

/** `endUsers.list` params. */
export function assertEndUserListParams(params: unknown): void {
  const p = optionalParams(params, 'params', END_USER_LIST);
  optionalEnum(p['status'], 'params.status', ['ACTIVE', 'DEACTIVATED']);
  pagination(p, 'params');
}

const SUB_CREATE = keys('userId', 'pricingPlanId', 'currentPeriodStart', 'currentPeriodEnd', 'stripeSubscriptionId', 'metadata');
const SUB_UPDATE = keys('pricingPlanId', 'currentPeriodStart', 'currentPeriodEnd', 'stripeSubscriptionId', 'metadata');
const SUB_LIST = keys('userId', 'status', 'limit', 'offset');

/** A period bound: an ISO 8601 date (00:00 UTC that day, for start and end alike) or an RFC 3339 date-time. */
function assertPeriodBound(value: unknown, field: string): number {
  return assertDateOrDateTime(value, field, 'start');
}

function periodOrder(start: number | undefined, end: number | undefined): void {
  if (start !== undefined && end !== undefined && end <= start) fail('data.currentPeriodEnd', 'must be after currentPeriodStart');
}

/** `subscriptions.create` body. */
export function assertSubscriptionCreateInput(input: unknown): void {
  assertObject(input, 'data');
  assertKnownKeys(input, SUB_CREATE, 'data');
  assertString(input['userId'], 'data.userId');
  assertString(input['pricingPlanId'], 'data.pricingPlanId');
  const start = assertPeriodBound(input['currentPeriodStart'], 'data.currentPeriodStart');
  const end = assertPeriodBound(input['currentPeriodEnd'], 'data.currentPeriodEnd');
  periodOrder(start, end);
  optionalString(input['stripeSubscriptionId'], 'data.stripeSubscriptionId');
  optionalMetadata(input['metadata'], 'data.metadata');
}

/** `subscriptions.update` body. */
export function assertSubscriptionUpdateInput(input: unknown): void {
  assertObject(input, 'data');
  assertKnownKeys(input, SUB_UPDATE, 'data');
  optionalString(input['pricingPlanId'], 'data.pricingPlanId');
  const start = input['currentPeriodStart'] === undefined ? undefined : assertPeriodBound(input['currentPeriodStart'], 'data.currentPeriodStart');
  const end = input['currentPeriodEnd'] === undefined ? undefined : assertPeriodBound(input['currentPeriodEnd'], 'data.currentPeriodEnd');
  periodOrder(start, end);
  nullableString(input['stripeSubscriptionId'], 'data.stripeSubscriptionId');
  optionalMetadata(input['metadata'], 'data.metadata');
}

/** `subscriptions.list` params. */
export function assertSubscriptionListParams(params: unknown): void {
  const p = optionalParams(params, 'params', SUB_LIST);
  optionalString(p['userId'], 'params.userId');
  optionalEnum(p['status'], 'params.status', ['ACTIVE', 'CANCELED']);
  pagination(p, 'params');
}

const FILTER_KEYS = ['subscriptionId', 'metricName', 'eventType', 'startDate', 'endDate'];
const QUERY = keys(...FILTER_KEYS, 'agent_id', 'workflow_id', 'limit', 'offset');
const AGGREGATION = keys(...FILTER_KEYS, 'windowSize');
const SUMMARY = keys(...FILTER_KEYS);

/** A [startDate, endDate) range where either bound may be absent; when both are given, start < end. */
function dateRange(p: Fields, required: boolean): void {
  const start = p['startDate'] === undefined && !required ? undefined : assertDateOrDateTime(p['startDate'], 'params.startDate', 'start');
  const end = p['endDate'] === undefined && !required ? undefined : assertDateOrDateTime(p['endDate'], 'params.endDate', 'end');
  if (start !== undefined && end !== undefined && end <= start) fail('params.endDate', 'must be after startDate', p['endDate']);
}

function usageFilters(p: Fields): void {
  optionalString(p['subscriptionId'], 'params.subscriptionId');
  optionalString(p['metricName'], 'params.metricName', NAME_RULE);
  optionalString(p['eventType'], 'params.eventType', NAME_RULE);
  dateRange(p, false);
}

/** `usage.query` params. */
export function assertUsageQueryParams(params: unknown): void {
  const p = optionalParams(params, 'params', QUERY);
  usageFilters(p);
  optionalString(p['agent_id'], 'params.agent_id');
  optionalString(p['workflow_id'], 'params.workflow_id');
  pagination(p, 'params');
}

/** `usage.aggregation` params. */
export function assertUsageAggregationParams(params: unknown): void {
  const p = optionalParams(params, 'params', AGGREGATION);
  usageFilters(p);
  optionalEnum(p['windowSize'], 'params.windowSize', ['HOUR', 'DAY']);
}

/** `usage.summary` params. */
export function assertUsageSummaryParams(params: unknown): void {
  usageFilters(optionalParams(params, 'params', SUMMARY));
}

const ATTRIBUTION = keys('startDate', 'endDate', 'subscriptionId');

/** Cost-attribution params: `startDate` and `endDate` required, `subscriptionId` optional. */
export function assertCostAttributionParams(params: unknown): void {
  assertObject(params, 'params');
  assertKnownKeys(params, ATTRIBUTION, 'params');
  dateRange(params, true);
  optionalString(params['subscriptionId'], 'params.subscriptionId');
}

const COST_DIMENSIONS = ['agent_id', 'workflow_id', 'model', 'provider'] as const;
const COST_REPORT = keys('startDate', 'endDate', 'subscriptionId', 'agentId', 'workflowId', 'dimension');
const COST_TIMESERIES = keys(...COST_REPORT, 'bucket', 'limit');

/** A required value of `allowed`. */
function requiredEnum(value: unknown, field: string, allowed: readonly string[]): void {
  if (value === undefined) fail(field, `is required (one of ${allowed.map((v) => `'${v}'`).join(', ')})`);
  optionalEnum(value, field, allowed);
}

/**
 * `costAttribution.breakdown` / `timeseries` params: the cost-attribution range and narrowing, plus
 * `dimension` (and for a time series `bucket`, and `limit` 1–max series).
 */
export function assertCostReportParams(params: unknown, kind: 'breakdown' | 'timeseries'): void {
  assertObject(params, 'params');
  assertKnownKeys(params, kind === 'breakdown' ? COST_REPORT : COST_TIMESERIES, 'params');
  dateRange(params, true);
  optionalString(params['subscriptionId'], 'params.subscriptionId');
  optionalString(params['agentId'], 'params.agentId');
  optionalString(params['workflowId'], 'params.workflowId');
  requiredEnum(params['dimension'], 'params.dimension', COST_DIMENSIONS);
  if (kind === 'timeseries') {
    requiredEnum(params['bucket'], 'params.bucket', ['HOUR', 'DAY']);
    if (params['limit'] !== undefined) assertInteger(params['limit'], 'params.limit', 1, MAX_TIMESERIES_SERIES);
  }
}
