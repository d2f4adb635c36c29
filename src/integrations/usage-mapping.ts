/**
 * How each provider's usage block maps onto the billed token kinds, as data (docs/integrations.md
 * "Token mapping"). Every token the provider bills lands in exactly one kind:
 * `input` (uncached input only), `cache_read`, `cache_write` (Anthropic: 5-minute writes),
 * `cache_write_1h` (Anthropic's 1-hour writes, billed at their own rate), `output` (reasoning included).
 * A kind is the sum of its `plus` fields minus the sum of its `minus` fields; `reasoning` is kept
 * in metadata only; `requestInput` is the request's whole prompt, which decides long-context tiers.
 *
 * Field names are the providers' documented ones; test/unit/integrations/usage-mapping.test.ts checks
 * every rule against `@pydantic/genai-prices`' own extractors on the fixtures in test/fixtures/providers/.
 */

/** A billed token kind. */
export type TokenKind = 'input' | 'cache_read' | 'cache_write' | 'cache_write_1h' | 'output';

/** A path into a usage object, e.g. `['prompt_tokens_details', 'cached_tokens']`. */
export type UsagePath = readonly string[];

/** One kind's arithmetic. */
export interface KindRule {
  readonly kind: TokenKind;
  readonly plus: readonly UsagePath[];
  readonly minus?: readonly UsagePath[];
}

/** The rule for one provider API. */
export interface UsageRule {
  readonly kinds: readonly KindRule[];
  /** Reasoning / thinking tokens, already inside `output`; recorded as `metadata.reasoning_tokens`. */
  readonly reasoning?: UsagePath;
  /** The request's total input tokens (cached and written included): `metadata.request_input_tokens`. */
  readonly requestInput: readonly UsagePath[];
}

/** The provider APIs the integrations meter. */
export type UsageApi = 'openai.chat' | 'openai.responses' | 'openai.embeddings' | 'anthropic.messages' | 'google.generateContent' | 'ai-sdk.languageModel' | 'otel.genai';

/** The rules, one per API. */
export const USAGE_RULES: Readonly<Record<UsageApi, UsageRule>> = {
  // prompt_tokens includes cached_tokens and cache_write_tokens; completion_tokens includes reasoning_tokens.
  'openai.chat': {
    kinds: [
      { kind: 'input', plus: [['prompt_tokens']], minus: [['prompt_tokens_details', 'cached_tokens'], ['prompt_tokens_details', 'cache_write_tokens']] },
      { kind: 'cache_read', plus: [['prompt_tokens_details', 'cached_tokens']] },
      { kind: 'cache_write', plus: [['prompt_tokens_details', 'cache_write_tokens']] },
      { kind: 'output', plus: [['completion_tokens']] },
    ],
    reasoning: ['completion_tokens_details', 'reasoning_tokens'],
    requestInput: [['prompt_tokens']],
  },
  // The Responses API names them input_tokens / output_tokens, with the same inclusions.
  'openai.responses': {
    kinds: [
      { kind: 'input', plus: [['input_tokens']], minus: [['input_tokens_details', 'cached_tokens'], ['input_tokens_details', 'cache_write_tokens']] },
      { kind: 'cache_read', plus: [['input_tokens_details', 'cached_tokens']] },
      { kind: 'cache_write', plus: [['input_tokens_details', 'cache_write_tokens']] },
      { kind: 'output', plus: [['output_tokens']] },
    ],
    reasoning: ['output_tokens_details', 'reasoning_tokens'],
    requestInput: [['input_tokens']],
  },
  'openai.embeddings': {
    kinds: [{ kind: 'input', plus: [['prompt_tokens']] }],
    requestInput: [['prompt_tokens']],
  },
  // input_tokens EXCLUDES cache reads and writes; cache_creation splits the writes by TTL.
  'anthropic.messages': {
    kinds: [
      { kind: 'input', plus: [['input_tokens']] },
      { kind: 'cache_read', plus: [['cache_read_input_tokens']] },
      { kind: 'cache_write', plus: [['cache_creation_input_tokens']], minus: [['cache_creation', 'ephemeral_1h_input_tokens']] },
      { kind: 'cache_write_1h', plus: [['cache_creation', 'ephemeral_1h_input_tokens']] },
      { kind: 'output', plus: [['output_tokens']] },
    ],
    requestInput: [['input_tokens'], ['cache_read_input_tokens'], ['cache_creation_input_tokens']],
  },
  // promptTokenCount includes cachedContentTokenCount; thoughtsTokenCount is billed as output but is
  // NOT inside candidatesTokenCount; toolUsePromptTokenCount is billed as input, outside promptTokenCount.
  'google.generateContent': {
    kinds: [
      { kind: 'input', plus: [['promptTokenCount'], ['toolUsePromptTokenCount']], minus: [['cachedContentTokenCount']] },
      { kind: 'cache_read', plus: [['cachedContentTokenCount']] },
      { kind: 'output', plus: [['candidatesTokenCount'], ['thoughtsTokenCount']] },
    ],
    reasoning: ['thoughtsTokenCount'],
    requestInput: [['promptTokenCount'], ['toolUsePromptTokenCount']],
  },
  // The Vercel AI SDK's LanguageModelV3Usage: inputTokens.total includes cacheRead and cacheWrite;
  // outputTokens.total includes reasoning. `cacheWrite1h` is read from Anthropic's raw usage by the
  // middleware (the AI SDK does not split writes by TTL).
  'ai-sdk.languageModel': {
    kinds: [
      { kind: 'input', plus: [['inputTokens', 'total']], minus: [['inputTokens', 'cacheRead'], ['inputTokens', 'cacheWrite']] },
      { kind: 'cache_read', plus: [['inputTokens', 'cacheRead']] },
      { kind: 'cache_write', plus: [['inputTokens', 'cacheWrite']], minus: [['cacheWrite1h']] },
      { kind: 'cache_write_1h', plus: [['cacheWrite1h']] },
      { kind: 'output', plus: [['outputTokens', 'total']] },
    ],
    reasoning: ['outputTokens', 'reasoning'],
    requestInput: [['inputTokens', 'total']],
  },
  // OpenTelemetry GenAI semantic conventions: gen_ai.usage.input_tokens SHOULD include the cache
  // reads and writes (cache_read.input_tokens, cache_creation.input_tokens). The span processor first
  // folds the older names (gen_ai.usage.prompt_tokens / completion_tokens) into the current ones.
  'otel.genai': {
    kinds: [
      {
        kind: 'input',
        plus: [['gen_ai.usage.input_tokens']],
        minus: [['gen_ai.usage.cache_read.input_tokens'], ['gen_ai.usage.cache_creation.input_tokens']],
      },
      { kind: 'cache_read', plus: [['gen_ai.usage.cache_read.input_tokens']] },
      { kind: 'cache_write', plus: [['gen_ai.usage.cache_creation.input_tokens']] },
      { kind: 'output', plus: [['gen_ai.usage.output_tokens']] },
    ],
    requestInput: [['gen_ai.usage.input_tokens']],
  },
};

/** A usage block mapped to billed kinds. */
export interface MappedUsage {
  /** Tokens per kind; kinds with 0 tokens are left out. */
  readonly tokens: Partial<Record<TokenKind, number>>;
  readonly reasoningTokens: number | undefined;
  readonly requestInputTokens: number;
}

/** Why a usage block could not be mapped. */
export type UnmappableReason = 'missing' | 'invalid';

function read(usage: Record<string, unknown>, path: UsagePath): number | null | undefined {
  let at: unknown = usage;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  if (at === undefined || at === null) return undefined;
  // A count that is not a non-negative integer is not a fact we can bill.
  return typeof at === 'number' && Number.isSafeInteger(at) && at >= 0 ? at : null;
}

function sum(usage: Record<string, unknown>, paths: readonly UsagePath[]): number | null {
  let total = 0;
  for (const path of paths) {
    const value = read(usage, path);
    if (value === null) return null;
    total += value ?? 0;
  }
  return total;
}

/**
 * Map a provider's usage block by its rule. Returns the reason instead when the block is absent
 * (`missing`) or holds a count that is not a non-negative integer, or a kind would come out negative
 * (`invalid`): nothing is recorded from such a block rather than a guess.
 */
export function mapUsage(api: UsageApi, usage: unknown): MappedUsage | UnmappableReason {
  if (typeof usage !== 'object' || usage === null || Array.isArray(usage)) return 'missing';
  const block = usage as Record<string, unknown>;
  const rule = USAGE_RULES[api];
  const tokens: Partial<Record<TokenKind, number>> = {};
  for (const { kind, plus, minus } of rule.kinds) {
    const added = sum(block, plus);
    const removed = minus === undefined ? 0 : sum(block, minus);
    if (added === null || removed === null || added < removed) return 'invalid';
    if (added - removed > 0) tokens[kind] = added - removed;
  }
  const reasoning = rule.reasoning === undefined ? undefined : read(block, rule.reasoning);
  if (reasoning === null) return 'invalid';
  const requestInputTokens = sum(block, rule.requestInput);
  if (requestInputTokens === null) return 'invalid';
  return { tokens, reasoningTokens: reasoning, requestInputTokens };
}
