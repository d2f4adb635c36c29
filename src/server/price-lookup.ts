/**
 * "Which price would the server apply?" (`GET /v1/prices`, `bearlumen prices MODEL`): the same
 * sources in the same order as pricing at ingest — the override file per token kind, then the
 * genai-prices data (bundled or `--prices-data`) — for one model and provider at one time.
 */
import { calcPrice } from '@pydantic/genai-prices';
import type { PriceLookupResponse, TokenKindPrice } from '../protocol/types';
import type { PriceOverride } from './price-overrides';

type Kind = keyof PriceLookupResponse['prices'];
/** Each kind and the override field that prices it (an override has one cache-write rate for both TTLs, as at ingest). */
const KINDS: readonly { kind: Kind; override: keyof Pick<PriceOverride, 'input' | 'output' | 'cache_read' | 'cache_write'> }[] = [
  { kind: 'input', override: 'input' },
  { kind: 'output', override: 'output' },
  { kind: 'cache_read', override: 'cache_read' },
  { kind: 'cache_write', override: 'cache_write' },
  { kind: 'cache_write_1h', override: 'cache_write' },
];

/** One genai-prices value (flat or tiered) as a TokenKindPrice, or undefined. */
function fromData(value: unknown, source: string): TokenKindPrice | undefined {
  if (typeof value === 'number') return { usdPerMillion: value, tiers: [], source };
  if (typeof value !== 'object' || value === null) return undefined;
  const { base, tiers } = value as { base?: unknown; tiers?: unknown };
  if (typeof base !== 'number') return undefined;
  const list = Array.isArray(tiers) ? (tiers as { start?: unknown; price?: unknown }[]) : [];
  return {
    usdPerMillion: base,
    tiers: list.flatMap((t) => (typeof t.start === 'number' && typeof t.price === 'number' ? [{ aboveInputTokens: t.start, usdPerMillion: t.price }] : [])),
    source,
  };
}

/**
 * The override rate of a kind in effect at `atMs`, as the pricer picks it: the latest matching entry
 * that prices it, a cache kind falling back to the entry's input price.
 */
function fromOverrides(overrides: readonly PriceOverride[], provider: string | undefined, model: string, field: (typeof KINDS)[number]['override'], atMs: number): number | undefined {
  let best: { rate: number; from: number } | undefined;
  for (const o of overrides) {
    if (o.provider !== undefined && o.provider !== provider) continue;
    if (o.effectiveFromMs > atMs || !o.model.test(model)) continue;
    const rate = o[field] ?? (field.startsWith('cache') ? o.input : undefined);
    if (rate !== undefined && (best === undefined || o.effectiveFromMs >= best.from)) best = { rate, from: o.effectiveFromMs };
  }
  return best?.rate;
}

/** The data keys the pricer tries for a kind, in order (a model without a cache price bills cache tokens as input). */
const DATA_KEYS: Readonly<Record<Kind, readonly string[]>> = {
  input: ['input_mtok'],
  output: ['output_mtok'],
  cache_read: ['cache_read_mtok', 'input_mtok'],
  cache_write: ['cache_write_mtok', 'input_mtok'],
  cache_write_1h: ['cache_write_1h_mtok', 'cache_write_mtok', 'input_mtok'],
};

/** The prices the pricer would use for `model` / `provider` at `atMs`. */
export function lookupPrice(overrides: readonly PriceOverride[], dataSource: string, model: string, providerInput: string | undefined, atMs: number): PriceLookupResponse {
  const provider = providerInput === undefined || providerInput === '' ? undefined : providerInput.trim().toLowerCase();
  const result = calcPrice({ input_tokens: 1 }, model, { timestamp: new Date(atMs), ...(provider === undefined ? {} : { providerId: provider }) });
  const data = result === null ? null : (result.model_price as Record<string, unknown>);
  const prices: PriceLookupResponse['prices'] = {};
  for (const { kind, override } of KINDS) {
    const overrideRate = fromOverrides(overrides, provider, model, override, atMs);
    let price: TokenKindPrice | undefined = overrideRate === undefined ? undefined : { usdPerMillion: overrideRate, tiers: [], source: 'override' };
    for (const key of DATA_KEYS[kind]) price ??= fromData(data?.[key], dataSource);
    if (price !== undefined) prices[kind] = price;
  }
  return {
    model,
    provider: provider ?? null,
    at: new Date(atMs).toISOString(),
    priced: Object.keys(prices).length > 0,
    matchedModel: result?.model.id ?? null,
    matchedProvider: result?.provider.id ?? null,
    prices,
  };
}
