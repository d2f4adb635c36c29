/** Plain-text tables for the demo's cost report. */
import type { CostBreakdownResponse } from '../index';
import { formatInt } from './progress';

/** Renders rows as an aligned table; numeric-looking cells are right-aligned. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const numeric = (cell: string): boolean => /^[-$\d.,%]+$/.test(cell);
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (numeric(cell) && i > 0 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** Formats a USD amount with 4 decimals (sub-cent LLM costs stay visible). */
export function usd(value: number): string {
  return `$${value.toFixed(4)}`;
}

/** The cost breakdown of one dimension as a table, with a total row. */
export function breakdownTable(title: string, breakdown: CostBreakdownResponse): string {
  const rows = breakdown.items.map((item) => [
    item.attributionValue ?? '(none)',
    formatInt(item.eventCount),
    formatInt(item.inputTokens),
    formatInt(item.outputTokens),
    usd(item.totalCost),
    `${item.percentOfTotal.toFixed(2)}%`,
  ]);
  const events = breakdown.items.reduce((n, i) => n + i.eventCount, 0);
  const input = breakdown.items.reduce((n, i) => n + i.inputTokens, 0);
  const output = breakdown.items.reduce((n, i) => n + i.outputTokens, 0);
  rows.push(['TOTAL', formatInt(events), formatInt(input), formatInt(output), usd(breakdown.totalCost), breakdown.totalCost > 0 ? '100.00%' : '0.00%']);
  return `${title}\n${renderTable([breakdown.dimension === 'agent_id' ? 'agent' : 'workflow', 'events', 'input tokens', 'output tokens', 'cost (USD)', 'share'], rows)}`;
}
