/**
 * Cost at ingest (docs/design-decisions.md, "Cost at ingest"): integer nano-USD per event, priced at the event's own timestamp.
 * Order: `metadata.cost` (USD) → the operator's override file → `@pydantic/genai-prices` →
 * unpriced (cost 0, never rejected). Long-context tiers are not applied (an event does not know
 * its request's total input), so tiered models use their base rate.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { calcPrice } from '@pydantic/genai-prices';
import { INTEGER_METRIC_PREFIX } from '../protocol/limits';
import type { TokenKind } from './store/store';
import { parsePriceOverrides, type PriceOverride } from './price-overrides';

/** The cost of one event and where it came from. */
export interface EventPrice {
  costNanoUsd: number;
  /** False when an LLM token event's model (or token kind) had no price. */
  priced: boolean;
  /** `metadata`, `override`, `genai-prices@<version>`, or null when nothing priced it. */
  source: string | null;
  /** Token kind of the metric (null for non-token metrics), kept for token totals. */
  tokenKind: TokenKind | null;
}

const METRIC_TOKEN_KIND: Record<string, TokenKind> = {
  llm_tokens_input: 'input',
  llm_tokens_output: 'output',
  llm_tokens_cache_read: 'cache_read',
  llm_tokens_cache_write: 'cache_write',
};
const TOKEN_KINDS = new Set<string>(['input', 'output', 'cache_read', 'cache_write']);
const PRICE_KEY: Record<TokenKind, string> = {
  input: 'input_mtok',
  output: 'output_mtok',
  cache_read: 'cache_read_mtok',
  cache_write: 'cache_write_mtok',
};
const CACHE_MAX = 10_000;
const MINUTE_MS = 60_000;

/**
 * The token kind of a metric: from the metric name, or for plain `llm_tokens` from
 * `metadata.token_type` (default input). Null for metrics that are not LLM token counts.
 */
export function tokenKindOf(metricName: string, metadata: Record<string, unknown> | undefined): TokenKind | null {
  const direct = METRIC_TOKEN_KIND[metricName];
  if (direct !== undefined) return direct;
  if (metricName !== INTEGER_METRIC_PREFIX) return null;
  const declared = metadata?.['token_type'];
  return typeof declared === 'string' && TOKEN_KINDS.has(declared) ? (declared as TokenKind) : 'input';
}

/** USD per million tokens → nano-USD for `quantity` tokens, rounded, clamped to a safe integer. */
export function nanoUsdFor(quantity: number, usdPerMillion: number): number {
  return Math.min(Math.round(quantity * usdPerMillion * 1000), Number.MAX_SAFE_INTEGER);
}

function genaiPricesSource(): string {
  try {
    const entry = createRequire(import.meta.url).resolve('@pydantic/genai-prices');
    const pkg = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version?: string };
    return `genai-prices@${pkg.version ?? 'unknown'}`;
  } catch {
    // The version is only a label; pricing works without it.
    return 'genai-prices';
  }
}

/** Prices events; holds the override table and a bounded per-(provider, model, minute) rate cache. */
export class Pricer {
  readonly #overrides: readonly PriceOverride[];
  readonly #cache = new Map<string, Record<string, unknown> | null>();
  /** The last lookup: events of one batch mostly share provider, model and minute. */
  #last: { provider: string | undefined; model: string; minute: number; prices: Record<string, unknown> | null } | undefined;
  readonly #source = genaiPricesSource();

  /** @param overrides operator prices that win over the bundled data (see `loadPriceOverrides`). */
  constructor(overrides: readonly PriceOverride[] = []) {
    this.#overrides = overrides;
  }

  /** Build a pricer from an override file path (or none). @throws {Error} naming the file and the bad entry. */
  static fromFile(path: string | undefined): Pricer {
    if (path === undefined || path === '') return new Pricer();
    return new Pricer(parsePriceOverrides(readFileSync(path, 'utf8'), path));
  }

  /** The cost of one event. `metadata.cost` must already be validated (finite, ≥ 0) when present. */
  price(metricName: string, quantity: number, metadata: Record<string, unknown> | undefined, timestampMs: number): EventPrice {
    const tokenKind = tokenKindOf(metricName, metadata);
    const unpriced: EventPrice = { costNanoUsd: 0, priced: false, source: null, tokenKind };
    const cost = metadata?.['cost'];
    if (typeof cost === 'number') {
      return { costNanoUsd: Math.min(Math.round(cost * 1e9), Number.MAX_SAFE_INTEGER), priced: true, source: 'metadata', tokenKind };
    }
    // Non-token metrics carry no price of their own: cost 0, and not counted as unpriced.
    if (!metricName.startsWith(INTEGER_METRIC_PREFIX)) return { ...unpriced, priced: true };
    const model = metadata?.['model'];
    const providerValue = metadata?.['provider'];
    const provider = typeof providerValue === 'string' && providerValue !== '' ? providerValue.trim().toLowerCase() : undefined;
    if (tokenKind === null || typeof model !== 'string' || model === '') return unpriced;

    const overrideRate = this.#overrideRate(provider, model, tokenKind, timestampMs);
    if (overrideRate !== undefined) return { costNanoUsd: nanoUsdFor(quantity, overrideRate), priced: true, source: 'override', tokenKind };
    const prices = this.#modelPrice(provider, model, timestampMs);
    if (prices === null) return unpriced;
    // A model without a separate cache price bills cache tokens as input, as genai-prices does.
    const rate = rateOf(prices[PRICE_KEY[tokenKind]]) ?? (tokenKind.startsWith('cache') ? rateOf(prices['input_mtok']) : undefined);
    if (rate === undefined) return unpriced;
    return { costNanoUsd: nanoUsdFor(quantity, rate), priced: true, source: this.#source, tokenKind };
  }

  /** The override rate for this kind: from the latest matching entry in effect that prices it (cache kinds fall back to input). */
  #overrideRate(provider: string | undefined, model: string, kind: TokenKind, timestampMs: number): number | undefined {
    let best: { rate: number; from: number } | undefined;
    for (const o of this.#overrides) {
      if (o.provider !== undefined && o.provider !== provider) continue;
      if (o.effectiveFromMs > timestampMs || !o.model.test(model)) continue;
      const rate = o[kind] ?? (kind.startsWith('cache') ? o.input : undefined);
      if (rate !== undefined && (best === undefined || o.effectiveFromMs >= best.from)) best = { rate, from: o.effectiveFromMs };
    }
    return best?.rate;
  }

  #modelPrice(provider: string | undefined, model: string, timestampMs: number): Record<string, unknown> | null {
    // Date-conditional prices change at most on minute boundaries, so a per-minute cache is exact.
    const minute = Math.floor(timestampMs / MINUTE_MS);
    const last = this.#last;
    if (last !== undefined && last.minute === minute && last.model === model && last.provider === provider) return last.prices;
    const key = `${provider ?? ''}\u0000${model}\u0000${minute}`;
    const hit = this.#cache.get(key);
    if (hit !== undefined) {
      this.#last = { provider, model, minute, prices: hit };
      return hit;
    }
    const options = { timestamp: new Date(minute * MINUTE_MS), ...(provider === undefined ? {} : { providerId: provider }) };
    const result = calcPrice({ input_tokens: 1 }, model, options);
    const prices = result === null ? null : (result.model_price as Record<string, unknown>);
    if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
    this.#cache.set(key, prices);
    this.#last = { provider, model, minute, prices };
    return prices;
  }
}

function rateOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { base?: unknown }).base === 'number') return (value as { base: number }).base;
  return undefined;
}
