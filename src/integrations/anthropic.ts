/**
 * `@bearlumen/node-sdk/anthropic`: meter every Anthropic Messages call with one line.
 *
 * ```ts
 * const anthropic = instrumentAnthropic(new Anthropic(), bearLumen, { workflow_id: 'triage' });
 * ```
 * Covers `messages.create` (plain and `stream: true`) and `messages.stream()` (built on `create`).
 * Cache writes are recorded split by TTL (`metadata.cache_ttl` `5m` / `1h`) so 1-hour writes are
 * priced at their own rate. Token mapping and stream rules: docs/integrations.md "Anthropic".
 */
import type { Anthropic } from '@anthropic-ai/sdk';
import type { BearLumen } from '../client';
import { beginCall, captureInput, meterResponse, settleStream, type Call, type ClientSettings, type Reported, type StreamReport } from './call';
import type { TokenKind } from './usage-mapping';
import { isWatchableStream, mapApiPromise, patchMethod, resolveDefaults, watchStream, type IntegrationDefaults } from './wrap';

export { integrationStats, type IntegrationStats, type UnmeteredReason } from './stats';
export type { IntegrationDefaults } from './wrap';

const INSTRUMENTED = new WeakSet<object>();
const OPERATION = 'messages.create';
/** Reported in `message_start` and final there: what a stream cut before `message_delta` still records. */
const INPUT_KINDS: readonly TokenKind[] = ['input', 'cache_read', 'cache_write', 'cache_write_1h'];

/**
 * Instrument an `Anthropic` client in place and return it (same object, same type). Every message
 * through it records one usage event per billed token kind, with `metadata.model` as Anthropic
 * reports it. Metering never throws into your call: problems are counted in
 * `integrationStats(bearLumen)` and logged. Instrumenting the same client twice has no further effect.
 * @param defaults attribution for every record of this client (a `withAttribution` scope wins), and `provider`.
 * @throws {BearLumenValidationError} for an invalid `bearLumen` or `defaults`, or a client without `messages.create`.
 */
export function instrumentAnthropic<C extends Anthropic>(client: C, bearLumen: BearLumen, defaults?: IntegrationDefaults): C {
  const resolved = resolveDefaults(bearLumen, defaults);
  if (INSTRUMENTED.has(client)) return client;
  const settings: ClientSettings = { bearLumen, defaults: resolved, provider: resolved.provider ?? 'anthropic' };
  patchMethod(client.messages, 'create', 'anthropic.messages.create', (original) => (body, options) => {
    const call = beginCall(settings);
    const params = (body ?? {}) as { stream?: unknown; model?: unknown };
    if (params.stream !== true) return meterResponse(original(body, options), call, 'anthropic.messages', OPERATION);
    return mapApiPromise(original(body, options), (stream) => meterMessageStream(stream, call, params.model));
  });
  INSTRUMENTED.add(client);
  return client;
}

/** The stream events the wrapper reads. */
interface StreamEvent {
  type?: unknown;
  message?: Reported;
  usage?: Record<string, unknown> | null;
}

/**
 * `message_start` carries the id, the model and the input side of the usage (input, cache reads and
 * writes by TTL); `message_delta` carries cumulative counts (output, and in newer API versions the
 * input side again). The final usage is the start's, overlaid with the last delta's non-null counts.
 */
function meterMessageStream(stream: unknown, call: Call, requestedModel: unknown): unknown {
  if (!isWatchableStream(stream)) return stream;
  const report: StreamReport = { final: undefined, id: undefined };
  let start: Reported | undefined;
  let usage: Record<string, unknown> = {};
  return watchStream<unknown, StreamEvent>(stream, {
    onItem(event) {
      if (event.type === 'message_start' && typeof event.message === 'object' && event.message !== null) {
        start = event.message;
        if (typeof start.id === 'string') report.id = start.id;
        usage = typeof start.usage === 'object' && start.usage !== null ? { ...(start.usage as Record<string, unknown>) } : {};
        report.partial = { input: captureInput(call, 'anthropic.messages', OPERATION, { ...start, usage: { ...usage, output_tokens: 0 } }, true, requestedModel), kinds: INPUT_KINDS };
      } else if (event.type === 'message_delta' && typeof event.usage === 'object' && event.usage !== null) {
        for (const [key, value] of Object.entries(event.usage)) if (value !== null && value !== undefined) usage[key] = value;
        report.final = captureInput(call, 'anthropic.messages', OPERATION, { ...start, usage: { ...usage } }, true, requestedModel);
      }
      return true;
    },
    onEnd(outcome) {
      settleStream(call, report, outcome, OPERATION);
    },
  });
}
