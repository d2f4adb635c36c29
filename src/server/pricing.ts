/**
 * Cost at ingest (docs/design-decisions.md, "Cost at ingest"): integer nano-USD per event, priced at
 * the event's own timestamp. Order: `metadata.cost` (USD) → the operator's override file → `@pydantic/genai-prices`
 * (bundled data, or the `--prices-data` file) → unpriced (cost 0, never rejected).
 * Long-context tiers: a tiered price applies its tier when `metadata.request_input_tokens` (the
 * request's whole prompt, attached by the LLM integrations) exceeds the tier's start, as genai-prices
 * does; without it the base rate applies. Cache writes with `metadata.cache_ttl: '1h'` use
 * `cache_write_1h_mtok` when the model has one.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { calcPrice } from '@pydantic/genai-prices';
import { INTEGER_METRIC_PREFIX } from '../protocol/limits';
import type { TokenKind } from './store/store';
import { parsePriceOverrides, type PriceOverride } from './price-overrides';
import { loadPricesData } from './prices-data';
import { lookupPrice } from './price-lookup';
import type { PriceLookupResponse } from '../protocol/types';

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
  readonly #source: string;

  /**
   * @param overrides operator prices that win over the genai-prices data (see `parsePriceOverrides`).
   * @param dataSource the label of the genai-prices data in use (see `loadPricesData`). @default the bundled package version
   */
  constructor(overrides: readonly PriceOverride[] = [], dataSource: string = genaiPricesSource()) {
    this.#overrides = overrides;
    this.#source = dataSource;
  }

  /**
   * Build a pricer from an override file path (or none) and a genai-prices data file (or the bundled data).
   * @throws {Error} naming the file and the bad entry.
   */
  static fromFile(path: string | undefined, pricesDataPath?: string): Pricer {
    const source = pricesDataPath === undefined || pricesDataPath === '' ? undefined : loadPricesData(pricesDataPath);
    const overrides = path === undefined || path === '' ? [] : parsePriceOverrides(readFileSync(path, 'utf8'), path);
    return new Pricer(overrides, source);
  }

  /** Which prices an event for `model` / `provider` at `atMs` would get (`GET /v1/prices`, `bearlumen prices`). */
  lookup(model: string, provider: string | undefined, atMs: number): PriceLookupResponse {
    return lookupPrice(this.#overrides, this.#source, model, provider, atMs);
  }

  /** The price source label of events priced from genai-prices data. */
  get dataSource(): string {
    return this.#source;
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
    const requestInput = requestInputOf(metadata);
    const oneHour = tokenKind === 'cache_write' && metadata?.['cache_ttl'] === '1h' ? rateOf(prices['cache_write_1h_mtok'], requestInput) : undefined;
    const rate = oneHour ?? rateOf(prices[PRICE_KEY[tokenKind]], requestInput) ?? (tokenKind.startsWith('cache') ? rateOf(prices['input_mtok'], requestInput) : undefined);
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

/** `metadata.request_input_tokens` when it is a non-negative integer, else undefined. */
function requestInputOf(metadata: Record<string, unknown> | undefined): number | undefined {
  const value = metadata?.['request_input_tokens'];
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/**
 * USD per million tokens: a flat price, or a tiered one ({ base, tiers: [{ start, price }] }) at the
 * last tier whose `start` the request's input exceeds (genai-prices' rule: the whole request is
 * billed at that tier). Without the request's input, the base rate.
 */
function rateOf(value: unknown, requestInput: number | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const { base, tiers } = value as { base?: unknown; tiers?: unknown };
  if (typeof base !== 'number') return undefined;
  let rate = base;
  if (requestInput !== undefined && Array.isArray(tiers)) {
    for (const tier of tiers as { start?: unknown; price?: unknown }[]) {
      if (typeof tier.start === 'number' && typeof tier.price === 'number' && requestInput > tier.start) rate = tier.price;
    }
  }
  return rate;
}
