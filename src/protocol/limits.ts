/** Limits of the wire contract. The SDK validates against them before any request; the server enforces them. */

/** Most events in one `recordBatch` request. */
export const MAX_BATCH_SIZE = 1000;
/** Most bytes of one metadata object, as compact UTF-8 JSON. */
export const MAX_METADATA_BYTES = 10_240;
/** Longest idempotency key (printable ASCII, 0x20–0x7E). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** Longest eventType / metricName. */
export const MAX_NAME_LENGTH = 100;
/** Characters allowed in eventType / metricName. */
export const NAME_PATTERN = /^[A-Za-z0-9_.:-]+$/;
/** Longest id-like string (externalId, pricingPlanId, agent_id, workflow_id, …). */
export const MAX_ID_LENGTH = 255;
/** Largest quantity accepted. */
export const MAX_QUANTITY = 1e15;
/** Metrics whose quantity must be an integer (token counts). */
export const INTEGER_METRIC_PREFIX = 'llm_tokens';
/** How far back an event timestamp may lie: 35 days, equal to the idempotency retention. */
export const MAX_EVENT_AGE_MS = 35 * 24 * 60 * 60 * 1000;
/** How far ahead an event timestamp may lie (clock skew). */
export const MAX_EVENT_SKEW_MS = 5 * 60 * 1000;
/** Largest request body, after decompression. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** List pagination. */
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;
/** How long a create POST's `Idempotency-Key` replays the stored response. */
export const REQUEST_IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** Default range of usage queries when no startDate is given. */
export const DEFAULT_RANGE_MS = 30 * 24 * 60 * 60 * 1000;
/** Prefix of every API key. */
export const API_KEY_PATTERN = /^bl_(live|test)_[A-Za-z0-9_-]{16,}$/;
/** Most buckets one cost time series may have (hourly: about 416 days). Keeps responses bounded. */
export const MAX_TIMESERIES_BUCKETS = 10_000;
/** Series a cost time series returns separately (the rest are summed into `other`): default and maximum. */
export const DEFAULT_TIMESERIES_SERIES = 10;
export const MAX_TIMESERIES_SERIES = 50;
