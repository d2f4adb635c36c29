/**
 * `@bearlumen/node-sdk/ai-sdk`: a language-model middleware for the Vercel AI SDK (`ai` ≥ 6), so
 * `generateText`, `streamText` and everything built on them are metered for any provider it supports.
 *
 * ```ts
 * const model = wrapLanguageModel({ model: anthropic('claude-sonnet-4-20250514'), middleware: bearLumenMiddleware(bearLumen) });
 * ```
 * Token mapping and stream rules: docs/integrations.md "Vercel AI SDK".
 */
import type { LanguageModelMiddleware } from 'ai';
import type { BearLumen } from '../client';
import { beginCall, captureInput, settleStream, type Call, type ClientSettings, type StreamReport } from './call';
import { captureUsage } from './capture';
import { resolveDefaults, type IntegrationDefaults } from './wrap';

export { integrationStats, type IntegrationStats, type UnmeteredReason } from './stats';
export type { IntegrationDefaults } from './wrap';

const OPERATION_GENERATE = 'ai-sdk.generate';
const OPERATION_STREAM = 'ai-sdk.stream';

/** What the middleware reads from the model it wraps. */
interface ModelInfo {
  provider: string;
  modelId: string;
}

/**
 * A middleware that records the usage of every call of the wrapped model: one usage event per billed
 * token kind, keyed by the provider's response id, with `metadata.model` the model id the provider
 * reports. `metadata.provider` is the AI SDK provider's name up to its first dot (`openai.chat` →
 * `openai`) unless `defaults.provider` is given. Metering never throws into your call: problems are
 * counted in `integrationStats(bearLumen)` and logged.
 * @throws {BearLumenValidationError} for an invalid `bearLumen` or `defaults`.
 */
export function bearLumenMiddleware(bearLumen: BearLumen, defaults?: IntegrationDefaults): LanguageModelMiddleware {
  const resolved = resolveDefaults(bearLumen, defaults);
  const callFor = (model: ModelInfo): Call => {
    const settings: ClientSettings = { bearLumen, defaults: resolved, provider: resolved.provider ?? providerOf(model.provider) };
    return beginCall(settings);
  };
  return {
    specificationVersion: 'v3',
    async wrapGenerate({ doGenerate, model }) {
      const call = callFor(model);
      const result = await doGenerate();
      const response = result.response as { id?: unknown; modelId?: unknown } | undefined;
      captureUsage(bearLumen, captureInput(call, 'ai-sdk.languageModel', OPERATION_GENERATE, { id: response?.id, model: response?.modelId, usage: usageBlock(result.usage) }, false, model.modelId));
      return result;
    },
    async wrapStream({ doStream, model }) {
      const call = callFor(model);
      const result = await doStream();
      const report: StreamReport = { final: undefined, id: undefined };
      let reportedModel: unknown;
      let ended = false;
      const settle = (outcome: 'completed' | 'errored' | 'abandoned') => {
        if (ended) return;
        ended = true;
        settleStream(call, report, outcome, OPERATION_STREAM);
      };
      const stream = result.stream.pipeThrough(
        new TransformStream({
          transform(part, controller) {
            try {
              if (part.type === 'response-metadata') {
                if (typeof part.id === 'string') report.id = part.id;
                if (typeof part.modelId === 'string') reportedModel = part.modelId;
              } else if (part.type === 'finish') {
                report.final = captureInput(call, 'ai-sdk.languageModel', OPERATION_STREAM, { id: report.id, model: reportedModel, usage: usageBlock(part.usage) }, true, model.modelId);
              }
            } catch {
              // Metering must never break the caller's stream.
            }
            controller.enqueue(part);
          },
          flush() {
            settle('completed');
          },
        }),
      );
      return { ...result, stream };
    },
  };
}

/** `openai.chat` → `openai`, `google.generative-ai` → `google`: the pricer's provider ids. */
function providerOf(aiSdkProvider: string): string {
  const head = aiSdkProvider.split('.')[0] ?? aiSdkProvider;
  return head.toLowerCase();
}

/**
 * The AI SDK's usage with Anthropic's 1-hour cache writes added from the provider's raw usage
 * (`raw.cache_creation.ephemeral_1h_input_tokens`), which the AI SDK folds into `cacheWrite`.
 */
function usageBlock(usage: unknown): unknown {
  if (typeof usage !== 'object' || usage === null) return usage;
  const raw = (usage as { raw?: { cache_creation?: { ephemeral_1h_input_tokens?: unknown } } }).raw;
  const oneHour = raw?.cache_creation?.ephemeral_1h_input_tokens;
  return typeof oneHour === 'number' ? { ...usage, cacheWrite1h: oneHour } : usage;
}
