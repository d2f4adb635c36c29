/**
 * The one capture function every integration calls with a provider response's usage block: one
 * `usage.record()` per non-zero billed kind, keyed so that a replay is a duplicate, never a charge.
 * It never throws into the caller's LLM request: every metering problem is logged and counted
 * (`integrationStats`). Rules and fields: docs/integrations.md.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { BearLumen } from '../client';
import { applyAttribution, mergeAttribution, type Attribution } from '../internal/attribution';
import type { Metadata, UsageRecordInput } from '../protocol/types';
import { countersOf, countUnmetered, type UnmeteredReason } from './stats';
import { mapUsage, type TokenKind, type UsageApi } from './usage-mapping';

/** The event type of every integration record. */
export const LLM_EVENT_TYPE = 'llm_usage';

const METRIC: Readonly<Record<TokenKind, string>> = {
  input: 'llm_tokens_input',
  cache_read: 'llm_tokens_cache_read',
  cache_write: 'llm_tokens_cache_write',
  cache_write_1h: 'llm_tokens_cache_write',
  output: 'llm_tokens_output',
};

/** What an integration knows about one provider response. */
export interface CaptureInput {
  /** Which usage rule applies. */
  api: UsageApi;
  /** `metadata.provider`, lower case as the pricer expects (`openai`, `azure`, `anthropic`, `google`); '' when unknown (left out). */
  provider: string;
  /** `metadata.operation`, e.g. `chat.completions.create`. */
  operation: string;
  /** The model the provider reports having used; the requested model when it reports none. */
  model: string | undefined;
  /** The provider's response id (`chatcmpl-…`, `resp_…`, `msg_…`), the root of the idempotency keys. */
  responseId: string | undefined;
  /** The provider's usage block. */
  usage: unknown;
  /** True for streamed responses (`metadata.stream`). */
  stream: boolean;
  /** Only these kinds are recorded (a stream cut before its final usage: the kinds already reported). */
  onlyKinds?: readonly TokenKind[];
  /** The wrapper's `defaults`: below every `withAttribution` scope. */
  defaults: Attribution | undefined;
  /**
   * The `withAttribution` scope in effect when the provider call was MADE. Taken then, not when the
   * response is read: SDK promises parse lazily, often after the scope's function has returned.
   */
  scope: Attribution | undefined;
}

// Keys of responses without an id: unique per process copy (random prefix) and per call (counter).
const GENERATED_PREFIX = `bl-llm-${randomBytes(6).toString('hex')}`;
let generated = 0;
const PRINTABLE_ID = /^[\x21-\x7e]{1,200}$/;

/** The root of a response's keys: `<provider>:<id>`, or a hash of an id that is too long or not printable ASCII. */
function keyRoot(provider: string, responseId: string | undefined): string {
  if (responseId === undefined || responseId === '') return `${GENERATED_PREFIX}-${(generated += 1)}`;
  const id = PRINTABLE_ID.test(responseId) ? responseId : `sha256-${createHash('sha256').update(responseId).digest('hex')}`;
  return `${provider === '' ? 'llm' : provider}:${id}`;
}

/**
 * Record the usage of one provider response. Returns the number of events handed to `usage.record()`
 * (0 when the block is missing or invalid; counted by reason and logged).
 */
export function captureUsage(client: BearLumen, input: CaptureInput): number {
  try {
    return capture(client, input);
  } catch (error) {
    // A bug here must not break the caller's LLM request either.
    countersOf(client).recordFailures += 1;
    client.logger.warn({ err: error, provider: input.provider, operation: input.operation }, 'bearlumen: LLM usage could not be recorded');
    return 0;
  }
}

function capture(client: BearLumen, input: CaptureInput): number {
  const mapped = mapUsage(input.api, input.usage);
  if (typeof mapped === 'string') {
    noteUnmetered(client, mapped === 'missing' ? 'usage_missing' : 'usage_invalid', input);
    return 0;
  }
  const attribution = effectiveAttribution(input.defaults, input.scope);
  const root = keyRoot(input.provider, input.responseId);
  const counters = countersOf(client);
  let events = 0;
  for (const kind of Object.keys(mapped.tokens) as TokenKind[]) {
    if (input.onlyKinds !== undefined && !input.onlyKinds.includes(kind)) continue;
    const metadata: Metadata = { operation: input.operation, request_input_tokens: mapped.requestInputTokens };
    if (input.provider !== '') metadata['provider'] = input.provider;
    if (input.model !== undefined) metadata['model'] = input.model;
    if (input.responseId !== undefined) metadata['response_id'] = input.responseId;
    if (input.stream) metadata['stream'] = true;
    if (kind === 'output' && mapped.reasoningTokens !== undefined && mapped.reasoningTokens > 0) metadata['reasoning_tokens'] = mapped.reasoningTokens;
    if (kind === 'cache_write_1h') metadata['cache_ttl'] = '1h';
    else if (kind === 'cache_write' && input.api === 'anthropic.messages') metadata['cache_ttl'] = '5m';
    const record: UsageRecordInput = {
      eventType: LLM_EVENT_TYPE,
      metricName: METRIC[kind],
      quantity: mapped.tokens[kind] as number,
      idempotencyKey: `${root}:${kind}`,
      metadata,
    };
    send(client, attribution === undefined ? record : applyAttribution(record, attribution), input);
    events += 1;
  }
  counters.events += events;
  if (input.onlyKinds === undefined) counters.metered += 1;
  else counters.partial += 1;
  return events;
}

/** The wrapper's defaults under the call's scope (the scope wins); undefined when neither is set. */
function effectiveAttribution(defaults: Attribution | undefined, scope: Attribution | undefined): Attribution | undefined {
  if (defaults === undefined) return scope;
  return scope === undefined ? defaults : mergeAttribution(defaults, scope);
}

/** Clients in a failure episode: the first failure is logged, the rest only counted until a record succeeds. */
const FAILING = new WeakSet<BearLumen>();

function send(client: BearLumen, record: UsageRecordInput, input: CaptureInput): void {
  client.usage.record(record).then(
    () => FAILING.delete(client),
    (error: unknown) => {
      countersOf(client).recordFailures += 1;
      // A full buffer or a closed client fails every record: one line per episode, not one per event.
      if (FAILING.has(client)) return;
      FAILING.add(client);
      client.logger.warn(
        { err: error, provider: input.provider, operation: input.operation, metricName: record.metricName, idempotencyKey: record.idempotencyKey },
        'bearlumen: LLM usage events are not being recorded (logged once until one is; see integrationStats().recordFailures)',
      );
    },
  );
}

/** Count and log a provider call that recorded nothing. */
export function noteUnmetered(client: BearLumen, reason: UnmeteredReason, input: Pick<CaptureInput, 'provider' | 'operation' | 'responseId'>): void {
  countUnmetered(client, reason);
  client.logger.warn({ provider: input.provider, operation: input.operation, responseId: input.responseId, reason }, 'bearlumen: LLM call not metered');
}
