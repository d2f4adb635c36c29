/** The wire contract: Usage events: recording, querying, aggregating. (src/protocol/types.ts re-exports every part.) */

import type { Metadata } from './wire-metadata';

/** One usage event, as `usage.record` and `usage.recordBatch` take it. */
export interface UsageRecordInput {
  /** Required: 1–100 characters of `[A-Za-z0-9_.:-]`, e.g. `token_usage`. */
  eventType: string;
  /** Required: 1–100 characters of `[A-Za-z0-9_.:-]`, e.g. `llm_tokens_input`. */
  metricName: string;
  /** Required: finite, ≥ 0, ≤ 1e15; an integer for `llm_tokens*` metrics. */
  quantity: number;
  /** Optional: a subscription (`sub_…`) of your tenant. */
  subscriptionId?: string;
  /** Recommended: 1–255 printable ASCII characters. The SDK generates one when absent. */
  idempotencyKey?: string;
  /** Optional event time, RFC 3339, within [now − 35 days, now + 5 minutes]. Default: the call time. */
  timestamp?: string;
  /** Optional metadata (≤ 10 KB). `model` and `provider` price LLM token events. */
  metadata?: Metadata;
  /** Convenience: folded into `metadata.agent_id`. 1–255 characters. */
  agent_id?: string;
  /** Convenience: folded into `metadata.workflow_id`. 1–255 characters. */
  workflow_id?: string;
}

/** The event as sent on the wire (agent_id / workflow_id already folded into metadata). */
export interface UsageEventInput {
  eventType: string;
  metricName: string;
  quantity: number;
  subscriptionId?: string;
  idempotencyKey?: string;
  timestamp?: string;
  metadata?: Metadata;
}

/** The server's answer for one event (the wire shape, one per event in a batch response). */
export interface UsageRecordResult {
  /** The event's id (`evt_…`); for a duplicate, the id of the original event. */
  eventId: string;
  /** `true` if this call stored the event, `false` if its idempotency key was already stored. */
  recorded: boolean;
}

/** Result of one recorded event (`usage.record()`): the server's answer, or `spooled`. */
export interface UsageRecordResponse extends UsageRecordResult {
  /**
   * The event was accepted while the memory bound was full and is held on disk only; it will be
   * delivered with its idempotency key (by this process, or replayed by the next); the server's answer
   * is not reported. Only with `batching.spoolDir`; `eventId` is then `''` and `recorded` is `true`.
   */
  spooled?: true;
}

/** Body of `POST /v1/usage/events/batch`. */
export interface UsageBatchRequest {
  events: UsageEventInput[];
}

/** Result of `usage.recordBatch`: `recordedCount + skippedCount === events.length`. */
export interface UsageBatchResponse {
  recordedCount: number;
  skippedCount: number;
  /** One result per input event, in input order. */
  results: UsageRecordResult[];
}

/** A stored usage event, as `usage.query` returns it. */
export interface UsageEvent {
  /** `evt_…` */
  eventId: string;
  eventType: string;
  metricName: string;
  quantity: number;
  subscriptionId: string | null;
  idempotencyKey: string;
  /** Event time, RFC 3339 UTC. */
  timestamp: string;
  /** When the server stored it, RFC 3339 UTC. */
  receivedAt: string;
  metadata: Metadata;
  /** Cost computed at ingest, USD. */
  costUsd: number;
  /** Cost in integer nano-USD (exact). */
  costNanoUsd: number;
  /** `false` when no price was found (cost 0). */
  priced: boolean;
  /**
   * What priced it: `metadata` (the event's own `metadata.cost`), `override` (the operator's price
   * file), `genai-prices@<version>` (the bundled data), `genai-prices-data:<file>@sha256:<hash>` (a
   * `--prices-data` file), or null when nothing priced it.
   */
  priceSource: string | null;
}
