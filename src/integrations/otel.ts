/**
 * `@bearlumen/node-sdk/otel`: an OpenTelemetry span processor that meters every span carrying GenAI
 * semantic-convention usage attributes, so a client already instrumented with OpenTelemetry
 * (LangChain, Bedrock, Vertex, …) is metered without a wrapper.
 *
 * ```ts
 * const provider = new NodeTracerProvider({ spanProcessors: [new BearLumenSpanProcessor(bearLumen)] });
 * ```
 * Attributes read, current names first: docs/integrations.md "OpenTelemetry".
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { BearLumen } from '../client';
import { beginCall, captureInput, type ClientSettings } from './call';
import { captureUsage } from './capture';
import { resolveDefaults, type IntegrationDefaults, type ResolvedDefaults } from './wrap';

export { integrationStats, type IntegrationStats, type UnmeteredReason } from './stats';
export type { IntegrationDefaults } from './wrap';

/** The current attribute, and the older (deprecated) one it replaced, for each value the processor reads. */
const INPUT = ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens'] as const;
const OUTPUT = ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens'] as const;
const CACHE_READ = ['gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_read_input_tokens'] as const;
const CACHE_WRITE = ['gen_ai.usage.cache_creation.input_tokens', 'gen_ai.usage.cache_creation_input_tokens'] as const;
const PROVIDER = ['gen_ai.provider.name', 'gen_ai.system'] as const;

/** GenAI provider names (current and older values) → the pricer's provider ids. */
const PROVIDER_IDS: Readonly<Record<string, string>> = {
  'gcp.gemini': 'google',
  'gcp.vertex_ai': 'google',
  'gcp.gen_ai': 'google',
  vertex_ai: 'google',
  gemini: 'google',
  'azure.ai.openai': 'azure',
  'azure.ai.inference': 'azure',
  'az.ai.inference': 'azure',
  'aws.bedrock': 'aws',
  mistral_ai: 'mistral',
  x_ai: 'x-ai',
  xai: 'x-ai',
  'ibm.watsonx.ai': 'ibm',
};

type Attributes = ReadableSpan['attributes'];

function first(attributes: Attributes, names: readonly string[]): unknown {
  for (const name of names) {
    const value = attributes[name];
    if (value !== undefined) return value;
  }
  return undefined;
}

/**
 * A span processor that records, for every ended span with `gen_ai.usage.*` token counts, one usage
 * event per billed token kind: the model from `gen_ai.response.model` (else `gen_ai.request.model`),
 * the provider from `gen_ai.provider.name` (else the older `gen_ai.system`), keyed by
 * `gen_ai.response.id` (else the span's trace and span ids), so a span processed twice is one charge.
 * Never throws into the tracer; problems are counted in `integrationStats(bearLumen)` and logged.
 * Add it beside your exporter; do not also wrap the same client with `instrumentOpenAI` & co.
 */
export class BearLumenSpanProcessor implements SpanProcessor {
  readonly #bearLumen: BearLumen;
  readonly #defaults: ResolvedDefaults;

  /** @throws {BearLumenValidationError} for an invalid `bearLumen` or `defaults`. */
  constructor(bearLumen: BearLumen, defaults?: IntegrationDefaults) {
    this.#defaults = resolveDefaults(bearLumen, defaults);
    this.#bearLumen = bearLumen;
  }

  /** Nothing to do when a span starts. */
  onStart(_span: Span, _parentContext: Context): void {}

  /** Record the span's usage, if it carries any. */
  onEnd(span: ReadableSpan): void {
    try {
      this.#record(span);
    } catch (error) {
      this.#bearLumen.logger.warn({ err: error }, 'bearlumen: could not read a GenAI span');
    }
  }

  /** Deliver what the processor has recorded so far. */
  async forceFlush(): Promise<void> {
    await this.#bearLumen.flush().catch(() => undefined);
  }

  /** Flushes; the BearLumen client itself stays open (it is yours to shut down). */
  async shutdown(): Promise<void> {
    await this.forceFlush();
  }

  #record(span: ReadableSpan): void {
    const attributes = span.attributes;
    const input = first(attributes, INPUT);
    const output = first(attributes, OUTPUT);
    if (input === undefined && output === undefined) return; // not a GenAI call span
    const providerName = first(attributes, PROVIDER);
    const provider = this.#defaults.provider ?? (typeof providerName === 'string' ? (PROVIDER_IDS[providerName] ?? providerName.toLowerCase()) : '');
    const settings: ClientSettings = { bearLumen: this.#bearLumen, defaults: this.#defaults, provider };
    const usage = {
      'gen_ai.usage.input_tokens': input,
      'gen_ai.usage.output_tokens': output,
      'gen_ai.usage.cache_read.input_tokens': first(attributes, CACHE_READ),
      'gen_ai.usage.cache_creation.input_tokens': first(attributes, CACHE_WRITE),
    };
    const responseId = attributes['gen_ai.response.id'];
    const { traceId, spanId } = span.spanContext();
    const operation = attributes['gen_ai.operation.name'];
    captureUsage(
      this.#bearLumen,
      captureInput(
        beginCall(settings),
        'otel.genai',
        typeof operation === 'string' ? `otel.${operation}` : 'otel.span',
        { id: typeof responseId === 'string' ? responseId : `span-${traceId}-${spanId}`, model: attributes['gen_ai.response.model'], usage },
        false,
        attributes['gen_ai.request.model'],
      ),
    );
  }
}
