/**
 * The operator's price override file (`--prices` / `BEARLUMEN_PRICES`): prices that win over the
 * bundled genai-prices data, e.g. negotiated rates or models it does not know.
 *
 * ```json
 * { "prices": [ { "provider": "openai", "model": "gpt-4o*", "input": 2.5, "output": 10,
 *                 "cache_read": 1.25, "effectiveFrom": "2025-01-01T00:00:00Z" } ] }
 * ```
 * Prices are USD per million tokens. `model` matches exactly, or as a glob where `*` is any run of
 * characters. `provider` (lower case) is optional. Among matching entries the latest
 * `effectiveFrom` not after the event's timestamp wins.
 */

/** One parsed override entry. */
export interface PriceOverride {
  provider: string | undefined;
  model: RegExp;
  input: number | undefined;
  output: number | undefined;
  cache_read: number | undefined;
  cache_write: number | undefined;
  effectiveFromMs: number;
}

const RATE_FIELDS = ['input', 'output', 'cache_read', 'cache_write'] as const;

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/**
 * Parse and check the override file's text.
 * @throws {Error} naming the file, the entry index and the rule broken.
 */
export function parsePriceOverrides(text: string, fileName: string): PriceOverride[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${fileName}: not valid JSON (${(error as Error).message})`);
  }
  const list = (parsed as { prices?: unknown } | null)?.prices;
  if (!Array.isArray(list)) throw new Error(`${fileName}: expected an object with a "prices" array`);
  return list.map((raw: unknown, i): PriceOverride => {
    const where = `${fileName}: prices[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw new Error(`${where} must be an object`);
    const entry = raw as Record<string, unknown>;
    if (typeof entry['model'] !== 'string' || entry['model'] === '') throw new Error(`${where}.model must be a non-empty string`);
    const provider = entry['provider'];
    if (provider !== undefined && typeof provider !== 'string') throw new Error(`${where}.provider must be a string`);
    const rates: Partial<Record<(typeof RATE_FIELDS)[number], number>> = {};
    for (const field of RATE_FIELDS) {
      const value = entry[field];
      if (value === undefined) continue;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`${where}.${field} must be a number >= 0 (USD per million tokens)`);
      rates[field] = value;
    }
    if (Object.keys(rates).length === 0) throw new Error(`${where} needs at least one of ${RATE_FIELDS.join(', ')}`);
    const from = entry['effectiveFrom'];
    const effectiveFromMs = from === undefined ? 0 : typeof from === 'string' ? Date.parse(from) : Number.NaN;
    if (Number.isNaN(effectiveFromMs)) throw new Error(`${where}.effectiveFrom must be an ISO 8601 date-time`);
    return {
      provider: provider === undefined ? undefined : provider.toLowerCase(),
      model: globToRegExp(entry['model']),
      input: rates.input,
      output: rates.output,
      cache_read: rates.cache_read,
      cache_write: rates.cache_write,
      effectiveFromMs,
    };
  });
}
