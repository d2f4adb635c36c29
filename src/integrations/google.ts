/**
 * `@bearlumen/node-sdk/google`: meter every Gemini call made through `@google/genai` with one line.
 *
 * ```ts
 * const ai = instrumentGoogleGenAI(new GoogleGenAI({ apiKey }), bearLumen);
 * ```
 * Covers `models.generateContent` and `models.generateContentStream`. Each request the SDK sends is
 * recorded, so an automatic-function-calling loop (several requests behind one call) is billed per
 * request: the wrapper sits on the SDK's per-request methods (`generateContentInternal`,
 * `generateContentStreamInternal`, present in @google/genai 1.x and 2.x) and refuses a client without
 * them rather than miss requests. Token mapping and stream rules: docs/integrations.md "Google".
 */
import type { GoogleGenAI } from '@google/genai';
import type { BearLumen } from '../client';
import { beginCall, captureInput, meterResponse, settleStream, type Call, type ClientSettings, type StreamReport } from './call';
import type { TokenKind } from './usage-mapping';
import { mapApiPromise, patchMethod, resolveDefaults, watched, type IntegrationDefaults } from './wrap';

export { integrationStats, type IntegrationStats, type UnmeteredReason } from './stats';
export type { IntegrationDefaults } from './wrap';

const INSTRUMENTED = new WeakSet<object>();
/** Every chunk repeats the prompt counts, which are final from the first chunk on; output grows until the last. */
const INPUT_KINDS: readonly TokenKind[] = ['input', 'cache_read'];

/** The fields of a GenerateContentResponse the wrapper reads. */
interface GeminiResponse {
  responseId?: unknown;
  modelVersion?: unknown;
  usageMetadata?: unknown;
}

/**
 * Instrument a `GoogleGenAI` client in place and return it (same object, same type). Every request
 * through `ai.models` records one usage event per billed token kind, with `metadata.model` the
 * `modelVersion` Gemini reports. Metering never throws into your call: problems are counted in
 * `integrationStats(bearLumen)` and logged. Instrumenting the same client twice has no further effect.
 * @param defaults attribution for every record of this client (a `withAttribution` scope wins), and `provider` (default `google`).
 * @throws {BearLumenValidationError} for an invalid `bearLumen` or `defaults`, or an unsupported `@google/genai` version.
 */
export function instrumentGoogleGenAI<C extends GoogleGenAI>(client: C, bearLumen: BearLumen, defaults?: IntegrationDefaults): C {
  const resolved = resolveDefaults(bearLumen, defaults);
  if (INSTRUMENTED.has(client)) return client;
  const settings: ClientSettings = { bearLumen, defaults: resolved, provider: resolved.provider ?? 'google' };
  const models: unknown = client.models;
  patchMethod(models, 'generateContentInternal', 'google.models.generateContentInternal', (original) => (params) => {
    const call = beginCall(settings);
    const model = (params as { model?: unknown } | undefined)?.model;
    return meterResponse(original(params), call, 'google.generateContent', 'models.generateContent', (data) => reported(data as GeminiResponse, model));
  });
  patchMethod(models, 'generateContentStreamInternal', 'google.models.generateContentStreamInternal', (original) => (params) => {
    const call = beginCall(settings);
    const model = (params as { model?: unknown } | undefined)?.model;
    return mapApiPromise(original(params), (stream) => meterStream(stream, call, model));
  });
  INSTRUMENTED.add(client);
  return client;
}

/** `models/gemini-2.5-pro` → `gemini-2.5-pro` (the request names the model as a resource path). */
function modelName(value: unknown): unknown {
  return typeof value === 'string' ? value.replace(/^models\//, '') : value;
}

function reported(data: GeminiResponse, requestedModel: unknown): { id: unknown; model: unknown; usage: unknown } {
  return { id: data.responseId, model: typeof data.modelVersion === 'string' ? data.modelVersion : modelName(requestedModel), usage: data.usageMetadata };
}

function meterStream(stream: unknown, call: Call, requestedModel: unknown): unknown {
  if (typeof stream !== 'object' || stream === null || !(Symbol.asyncIterator in stream)) return stream;
  const source = (stream as AsyncIterable<GeminiResponse>)[Symbol.asyncIterator]();
  const report: StreamReport = { final: undefined, id: undefined };
  let last: ReturnType<typeof reported> | undefined;
  return watched<GeminiResponse>(source, {
    onItem(chunk) {
      const seen = reported(chunk, requestedModel);
      if (typeof seen.id === 'string') report.id = seen.id;
      if (typeof seen.usage === 'object' && seen.usage !== null) {
        last = seen;
        report.partial = { input: captureInput(call, 'google.generateContent', 'models.generateContentStream', seen, true), kinds: INPUT_KINDS };
      }
      return true;
    },
    onEnd(outcome) {
      // Only the last chunk of a finished stream holds the final output count.
      if (outcome === 'completed' && last !== undefined) report.final = captureInput(call, 'google.generateContent', 'models.generateContentStream', last, true);
      settleStream(call, report, outcome, 'models.generateContentStream');
    },
  });
}
