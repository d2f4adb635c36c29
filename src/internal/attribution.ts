/**
 * Attribution scopes (`client.withAttribution(fields, fn)`): agent, workflow, subscription and metadata
 * that every usage record made inside `fn` carries unless the call sets its own. Held in an
 * AsyncLocalStorage, so the fields follow the async work started in `fn` (awaits, timers, streams)
 * without being passed through the app. Precedence: docs/integrations.md "Attribution".
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Metadata, UsageRecordInput } from '../protocol/types';
import { assertKnownKeys, assertObject, optionalMetadata, optionalString } from './validate';

/** The fields a scope (or an integration's `defaults`) attributes usage to. */
export interface Attribution {
  /** Folded into `metadata.agent_id`. 1–255 characters. */
  agent_id?: string;
  /** Folded into `metadata.workflow_id`. 1–255 characters. */
  workflow_id?: string;
  /** A subscription (`sub_…`) of your tenant. */
  subscriptionId?: string;
  /** Metadata merged under each record's own metadata (the record's keys win). */
  metadata?: Metadata;
}

const ATTRIBUTION_KEYS: ReadonlySet<string> = new Set(['agent_id', 'workflow_id', 'subscriptionId', 'metadata']);
const ID_RULE = { max: 255 };

/** One store per process copy of the SDK: scopes set through one client apply to records of every client. */
const store = new AsyncLocalStorage<Attribution>();

/**
 * Checks an attribution object (a scope's fields or an integration's `defaults`).
 * @throws {BearLumenValidationError} naming `<field>.<key>` and the rule.
 */
export function assertAttribution(value: unknown, field: string): asserts value is Attribution {
  assertObject(value, field);
  assertKnownKeys(value, ATTRIBUTION_KEYS, field);
  optionalString(value['agent_id'], `${field}.agent_id`, ID_RULE);
  optionalString(value['workflow_id'], `${field}.workflow_id`, ID_RULE);
  optionalString(value['subscriptionId'], `${field}.subscriptionId`, ID_RULE);
  optionalMetadata(value['metadata'], `${field}.metadata`);
}

/**
 * `inner` over `outer`: each field of `inner` wins; metadata is merged key by key (inner keys win).
 * The result is a fresh object; neither argument is changed.
 */
export function mergeAttribution(outer: Attribution | undefined, inner: Attribution): Attribution {
  if (outer === undefined) return { ...inner, ...(inner.metadata === undefined ? {} : { metadata: { ...inner.metadata } }) };
  const merged: Attribution = { ...outer, ...inner };
  if (outer.metadata !== undefined || inner.metadata !== undefined) merged.metadata = { ...outer.metadata, ...inner.metadata };
  return merged;
}

/** Run `fn` inside a scope that adds `fields` to the current one (nested scopes: inner fields win). */
export function runWithAttribution<R>(fields: Attribution, fn: () => R): R {
  return store.run(mergeAttribution(store.getStore(), fields), fn);
}

/** The attribution in effect here, or undefined outside every scope. Do not mutate. */
export function currentAttribution(): Attribution | undefined {
  return store.getStore();
}

/**
 * The record as it is sent from inside a scope: the call's own `subscriptionId`, `agent_id`,
 * `workflow_id` and metadata keys win; the scope fills what the call left out. The scope's agent and
 * workflow go under the call's metadata, so a call that sets `metadata.agent_id` keeps it.
 * Returns `input` itself when there is no scope (the hot path: one AsyncLocalStorage lookup).
 * Non-object input is returned as is, for the validator to reject.
 */
export function withScope<T extends UsageRecordInput>(input: T): T {
  const scope = store.getStore();
  if (scope === undefined || typeof input !== 'object' || input === null) return input;
  return applyAttribution(input, scope);
}

/** `input` with `attribution` filling what the call left out (see withScope). */
export function applyAttribution<T extends UsageRecordInput>(input: T, attribution: Attribution): T {
  const out: T = { ...input };
  if (out.subscriptionId === undefined && attribution.subscriptionId !== undefined) out.subscriptionId = attribution.subscriptionId;
  if (attribution.metadata !== undefined || attribution.agent_id !== undefined || attribution.workflow_id !== undefined) {
    const base: Metadata = { ...attribution.metadata };
    if (attribution.agent_id !== undefined) base['agent_id'] = attribution.agent_id;
    if (attribution.workflow_id !== undefined) base['workflow_id'] = attribution.workflow_id;
    // A non-object metadata is left for the validator to name.
    const own = input.metadata;
    out.metadata = own === undefined ? base : typeof own === 'object' && own !== null && !Array.isArray(own) ? { ...base, ...own } : own;
  }
  return out;
}
