/**
 * `bearlumen prices MODEL`: the price `serve` would apply to events for MODEL, with the same override
 * and data files, per token kind with its tiers and source; exit code 1 when the model is unpriced.
 */
import { parseArgs } from 'node:util';
import { loadServer } from './load-server';
import { printHelp, PRICES_USAGE, UsageError, wantsHelp } from './usage';

/** `bearlumen prices …`; `argv` are the arguments after `prices`. */
export async function prices(argv: string[]): Promise<void> {
  if (wantsHelp(argv)) return printHelp(PRICES_USAGE);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { provider: { type: 'string' }, at: { type: 'string' }, prices: { type: 'string' }, 'prices-data': { type: 'string' }, json: { type: 'boolean' } },
  });
  const model = positionals[0];
  if (model === undefined || model === '' || positionals.length > 1) {
    throw new UsageError('prices needs exactly one MODEL, e.g. bearlumen prices gpt-4o-2024-08-06 --provider openai', PRICES_USAGE);
  }
  const atMs = values.at === undefined ? Date.now() : Date.parse(values.at);
  if (Number.isNaN(atMs)) throw new UsageError(`--at must be an ISO 8601 date-time (got ${JSON.stringify(values.at)})`, PRICES_USAGE);
  const server = await loadServer();
  const pricer = server.Pricer.fromFile(values.prices ?? process.env['BEARLUMEN_PRICES'], values['prices-data'] ?? process.env['BEARLUMEN_PRICES_DATA']);
  const found = pricer.lookup(model, values.provider, atMs);
  if (!found.priced) process.exitCode = 1;
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
    return;
  }
  const who = `${found.model}${found.provider === null ? '' : ` (provider ${found.provider})`} at ${found.at}`;
  if (!found.priced) {
    process.stdout.write(`${who}: UNPRICED. Events for it would cost 0 and count as unpriced; add it to a --prices override file.\n`);
    return;
  }
  const lines = [`${who}: priced as ${found.matchedProvider ?? '?'}/${found.matchedModel ?? '?'} (USD per million tokens)`];
  for (const [kind, price] of Object.entries(found.prices)) {
    const tiers = price.tiers.map((t) => `, ${t.usdPerMillion} above ${t.aboveInputTokens} input tokens`).join('');
    lines.push(`  ${kind.padEnd(15)} ${String(price.usdPerMillion).padStart(8)}${tiers}   [${price.source}]`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
