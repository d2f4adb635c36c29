/**
 * `@bearlumen/node-sdk/openai`: meter every OpenAI (and Azure OpenAI) call with one line.
 *
 * ```ts
 * const openai = instrumentOpenAI(new OpenAI(), bearLumen, { agent_id: 'support-bot' });
 * ```
 * Covers `chat.completions.create` (plain and streaming, and the `parse()` / `stream()` helpers built on
 * it), `responses.create` (plain and streaming, and `responses.stream()`), `embeddings.create`.
 * Token mapping and stream rules: docs/integrations.md "OpenAI".
 */
import type { OpenAI } from 'openai';
import type { BearLumen } from '../client';
import { beginCall, captureInput, meterResponse, settleStream, type Call, type ClientSettings, type Reported, type StreamReport } from './call';
import { isWatchableStream, mapApiPromise, patchMethod, resolveDefaults, watchStream, type IntegrationDefaults } from './wrap';

export { integrationStats, type IntegrationStats, type UnmeteredReason } from './stats';
export type { IntegrationDefaults } from './wrap';

const INSTRUMENTED = new WeakSet<object>();

/**
 * Instrument an `OpenAI` or `AzureOpenAI` client in place and return it (same object, same type).
 * Every call through it records one usage event per billed token kind, with `metadata.model` as the
 * provider reports it. Metering never throws into your call: problems are counted in
 * `integrationStats(bearLumen)` and logged. Instrumenting the same client twice has no further effect.
 * @param defaults attribution for every record of this client (a `withAttribution` scope wins), and `provider`.
 * @throws {BearLumenValidationError} for an invalid `bearLumen` or `defaults`, or a client without the methods above.
 */
export function instrumentOpenAI<C extends OpenAI>(client: C, bearLumen: BearLumen, defaults?: IntegrationDefaults): C {
  const resolved = resolveDefaults(bearLumen, defaults);
  if (INSTRUMENTED.has(client)) return client;
  const settings: ClientSettings = { bearLumen, defaults: resolved, provider: resolved.provider ?? detectProvider(client) };
  const begin = (): Call => beginCall(settings);

  patchMethod(client.chat?.completions, 'create', 'openai.chat.completions.create', (original) => (body, options) => {
    const call = begin();
    const params = (body ?? {}) as { stream?: unknown; stream_options?: { include_usage?: unknown } | null };
    if (params.stream !== true) return meterResponse(original(body, options), call, 'openai.chat', 'chat.completions.create');
    // Usage only comes in a stream's last chunk when asked for: ask, and hide it again if the caller had not.
    const callerAsked = params.stream_options?.include_usage === true;
    const sent = callerAsked ? body : { ...params, stream_options: { ...params.stream_options, include_usage: true } };
    return mapApiPromise(original(sent, options), (stream) => meterChatStream(stream, call, callerAsked));
  });
  patchMethod(client.responses, 'create', 'openai.responses.create', (original) => (body, options) => {
    const call = begin();
    const params = (body ?? {}) as { stream?: unknown };
    if (params.stream !== true) return meterResponse(original(body, options), call, 'openai.responses', 'responses.create');
    return mapApiPromise(original(body, options), (stream) => meterResponsesStream(stream, call));
  });
  patchMethod(client.embeddings, 'create', 'openai.embeddings.create', (original) => (body, options) =>
    meterResponse(original(body, options), begin(), 'openai.embeddings', 'embeddings.create'),
  );
  INSTRUMENTED.add(client);
  return client;
}

/** `azure` for an AzureOpenAI client (which reports the deployment's model), else `openai`. */
function detectProvider(client: object): string {
  for (let proto: unknown = Object.getPrototypeOf(client); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    if ((proto as { constructor?: { name?: string } }).constructor?.name === 'AzureOpenAI') return 'azure';
  }
  return 'openai';
}

function meterChatStream(stream: unknown, call: Call, callerAsked: boolean): unknown {
  if (!isWatchableStream(stream)) return stream;
  const report: StreamReport = { final: undefined, id: undefined };
  return watchStream<unknown, Reported & { choices?: unknown }>(stream, {
    onItem(chunk) {
      if (typeof chunk.id === 'string') report.id = chunk.id;
      if (chunk.usage !== undefined && chunk.usage !== null) {
        report.final = captureInput(call, 'openai.chat', 'chat.completions.create', chunk, true);
        // The usage-only chunk (no choices) exists only because we asked for it.
        if (!callerAsked && Array.isArray(chunk.choices) && chunk.choices.length === 0) return false;
      }
      // With include_usage every other chunk carries `"usage": null`; without it the field is absent.
      if (!callerAsked && chunk.usage === null) delete chunk.usage;
      return true;
    },
    onEnd(outcome) {
      settleStream(call, report, outcome, 'chat.completions.create');
    },
  });
}

/** Responses API stream: usage is on the terminal event's `response` (completed, incomplete or failed). */
const TERMINAL_EVENTS: ReadonlySet<string> = new Set(['response.completed', 'response.incomplete', 'response.failed']);

function meterResponsesStream(stream: unknown, call: Call): unknown {
  if (!isWatchableStream(stream)) return stream;
  const report: StreamReport = { final: undefined, id: undefined };
  return watchStream<unknown, { type?: unknown; response?: Reported }>(stream, {
    onItem(event) {
      const response = event.response;
      if (typeof response === 'object' && response !== null) {
        if (typeof response.id === 'string') report.id = response.id;
        if (typeof event.type === 'string' && TERMINAL_EVENTS.has(event.type) && response.usage !== undefined && response.usage !== null) {
          report.final = captureInput(call, 'openai.responses', 'responses.create', response, true);
        }
      }
      return true;
    },
    onEnd(outcome) {
      settleStream(call, report, outcome, 'responses.create');
    },
  });
}
