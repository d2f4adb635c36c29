/**
 * `bearlumen report`: the dashboard's cost tables in the terminal, read from a running server through
 * the SDK (`costAttribution.breakdown`), so the figures are the API's. The key comes from a flag or
 * BEARLUMEN_API_KEY and is never printed.
 */
import { parseArgs } from 'node:util';
import { BearLumen, type CostDimension, type CostDimensionResponse } from '../index';
import { formatInt } from '../demo/progress';
import { renderTable, usd } from '../demo/tables';

const HELP = `Usage: bearlumen report --url URL --api-key KEY [--by agent|workflow|model|provider] [--range 7d | --from DATE --to DATE]

Prints cost tables (cost, share, tokens by kind, events) from a running server.
  --url URL        the server, e.g. http://127.0.0.1:8080 (BEARLUMEN_URL)
  --api-key KEY    an API key of the tenant to report on (BEARLUMEN_API_KEY)
  --by DIMENSIONS  one or more of agent, workflow, model, provider, comma-separated (default agent)
  --range N[h|d]   the last N hours or days, up to now (default 7d)
  --from, --to     a range of whole UTC days instead, YYYY-MM-DD, both included`;

const DIMENSIONS: Record<string, CostDimension> = { agent: 'agent_id', workflow: 'workflow_id', model: 'model', provider: 'provider' };
const MAX_RANGE_DAYS = 3650;

/** A command-line mistake: printed with the help text, exit code 2. */
class ReportUsageError extends Error {}

/** `7d` → ms; `24h` → ms. */
export function parseRange(value: string): number {
  const match = /^(\d{1,5})([hd])$/.exec(value.trim());
  const n = match === null ? Number.NaN : Number(match[1]);
  const ms = match?.[2] === 'h' ? n * 3_600_000 : n * 86_400_000;
  if (!(ms > 0) || ms > MAX_RANGE_DAYS * 86_400_000) throw new ReportUsageError(`--range must look like 24h or 7d (1h to ${MAX_RANGE_DAYS}d), got ${JSON.stringify(value)}`);
  return ms;
}

/** The table of one breakdown, with a TOTAL row. */
export function reportTable(report: CostDimensionResponse, label: string): string {
  const rows = report.items.map((i) => [
    i.value ?? '(none)',
    usd(i.totalCost),
    `${i.percentOfTotal.toFixed(2)}%`,
    formatInt(i.inputTokens),
    formatInt(i.outputTokens),
    formatInt(i.cacheReadTokens),
    formatInt(i.cacheWriteTokens),
    formatInt(i.eventCount),
  ]);
  rows.push([
    'TOTAL',
    usd(report.totalCost),
    report.totalCostNanoUsd > 0 ? '100.00%' : '0.00%',
    formatInt(report.inputTokens),
    formatInt(report.outputTokens),
    formatInt(report.cacheReadTokens),
    formatInt(report.cacheWriteTokens),
    formatInt(report.eventCount),
  ]);
  const header = [label, 'cost (USD)', 'share', 'input', 'output', 'cache read', 'cache write', 'events'];
  const unpriced = report.unpricedEventCount > 0 ? `\n${formatInt(report.unpricedEventCount)} events had no price (cost 0); see docs/server.md "Prices".` : '';
  return `Cost by ${label}\n${renderTable(header, rows)}${unpriced}`;
}

interface ReportOptions {
  url: string;
  apiKey: string;
  dimensions: { label: string; dimension: CostDimension }[];
  range: { startDate: string; endDate: string };
}

function optionsOf(argv: string[], nowMs: number): ReportOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      'api-key': { type: 'string' },
      by: { type: 'string' },
      range: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) return 'help';
  const url = values.url ?? process.env['BEARLUMEN_URL'];
  if (url === undefined || url === '') throw new ReportUsageError('--url URL is required (or BEARLUMEN_URL)');
  const apiKey = values['api-key'] ?? process.env['BEARLUMEN_API_KEY'];
  if (apiKey === undefined || apiKey === '') throw new ReportUsageError('--api-key KEY is required (or BEARLUMEN_API_KEY)');
  const dimensions = (values.by ?? 'agent').split(',').map((label) => {
    const dimension = DIMENSIONS[label.trim()];
    if (dimension === undefined) throw new ReportUsageError(`--by must be agent, workflow, model or provider (comma-separated), got ${JSON.stringify(label)}`);
    return { label: label.trim(), dimension };
  });
  if ((values.from === undefined) !== (values.to === undefined)) throw new ReportUsageError('--from and --to go together');
  if (values.from !== undefined && values.range !== undefined) throw new ReportUsageError('use either --range or --from/--to');
  const range =
    values.from !== undefined && values.to !== undefined
      ? { startDate: values.from, endDate: values.to }
      : { startDate: new Date(nowMs - parseRange(values.range ?? '7d')).toISOString(), endDate: new Date(nowMs).toISOString() };
  return { url, apiKey, dimensions, range };
}

/** Runs `bearlumen report`; `argv` are the arguments after `report`. */
export async function runReport(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<void> {
  let options: ReportOptions | 'help';
  try {
    options = optionsOf(argv, Date.now());
  } catch (error) {
    if (!(error instanceof ReportUsageError) && !(error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) throw error;
    err.write(`bearlumen report: ${(error as Error).message}\n\n${HELP}\n`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    out.write(`${HELP}\n`);
    return;
  }
  const client = new BearLumen({ apiKey: options.apiKey, baseUrl: options.url, handleExit: false, maxRetries: 1 });
  try {
    const reports = await Promise.all(options.dimensions.map((d) => client.costAttribution.breakdown({ ...options.range, dimension: d.dimension })));
    const first = reports[0];
    const header = first === undefined ? '' : `Range ${first.startDate} to ${first.endDate} (UTC, end excluded), ${options.url}\n\n`;
    out.write(`${header}${reports.map((r, i) => reportTable(r, options.dimensions[i]?.label ?? r.dimension)).join('\n\n')}\n`);
  } finally {
    await client.shutdown();
  }
}
