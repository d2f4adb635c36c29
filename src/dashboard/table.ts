/**
 * The sortable cost table of one dimension: cost, share of the total, tokens by kind, events. Click a
 * column header to sort by it (again to reverse). With `onSelect`, a value's name is a button (the
 * agent drill-down).
 */
import type { CostDimensionItem } from '../protocol/types';
import { h } from './dom';
import { formatCount, formatPercent, formatUsd, valueLabel } from './format';

interface Column {
  key: string;
  title: string;
  /** Sort key of an item. */
  sortBy: (i: CostDimensionItem) => number | string;
  /** Text of the cell (the name column is built separately). */
  text: (i: CostDimensionItem) => string;
}

const COLUMNS: readonly Column[] = [
  { key: 'value', title: 'Name', sortBy: (i) => valueLabel(i.value), text: (i) => valueLabel(i.value) },
  { key: 'cost', title: 'Cost', sortBy: (i) => i.totalCostNanoUsd, text: (i) => formatUsd(i.totalCostNanoUsd) },
  { key: 'share', title: '% of total', sortBy: (i) => i.percentOfTotal, text: (i) => formatPercent(i.percentOfTotal) },
  { key: 'input', title: 'Input tokens', sortBy: (i) => i.inputTokens, text: (i) => formatCount(i.inputTokens) },
  { key: 'output', title: 'Output tokens', sortBy: (i) => i.outputTokens, text: (i) => formatCount(i.outputTokens) },
  { key: 'cache-read', title: 'Cache read', sortBy: (i) => i.cacheReadTokens, text: (i) => formatCount(i.cacheReadTokens) },
  { key: 'cache-write', title: 'Cache write', sortBy: (i) => i.cacheWriteTokens, text: (i) => formatCount(i.cacheWriteTokens) },
  { key: 'events', title: 'Events', sortBy: (i) => i.eventCount, text: (i) => formatCount(i.eventCount) },
];

/** Options of `costTable`. */
export interface CostTableOptions {
  /** `data-testid` of the table. */
  testId: string;
  caption: string;
  items: readonly CostDimensionItem[];
  /** Makes each named value a button calling this. */
  onSelect?: (value: string) => void;
}

/** A table element showing `items`, sortable by every column (cost descending at first). */
export function costTable(options: CostTableOptions): HTMLTableElement {
  let sortKey = 'cost';
  let descending = true;
  const tbody = h('tbody');
  const headerCells = COLUMNS.map((column) => {
    const button = h('button', { type: 'button', class: 'sort', 'data-testid': `sort-${column.key}` }, column.title);
    button.addEventListener('click', () => {
      descending = sortKey === column.key ? !descending : column.key !== 'value';
      sortKey = column.key;
      render();
    });
    return h('th', { scope: 'col', 'data-key': column.key }, button);
  });

  function render(): void {
    const column = COLUMNS.find((c) => c.key === sortKey) ?? (COLUMNS[1] as Column);
    const sorted = [...options.items].sort((a, b) => {
      const x = column.sortBy(a);
      const y = column.sortBy(b);
      const order = x < y ? -1 : x > y ? 1 : 0;
      return descending ? -order : order;
    });
    for (const th of headerCells) th.setAttribute('aria-sort', th.dataset['key'] === sortKey ? (descending ? 'descending' : 'ascending') : 'none');
    tbody.replaceChildren(...sorted.map(row));
    if (sorted.length === 0) tbody.append(h('tr', {}, h('td', { colspan: String(COLUMNS.length), class: 'empty' }, 'No events in this range.')));
  }

  function row(item: CostDimensionItem): HTMLTableRowElement {
    const { onSelect } = options;
    const value = item.value;
    const name =
      onSelect !== undefined && value !== null
        ? h('button', { type: 'button', class: 'link', 'data-testid': 'drill' }, valueLabel(value))
        : h('span', value === null ? { class: 'none' } : {}, valueLabel(value));
    if (onSelect !== undefined && value !== null) name.addEventListener('click', () => onSelect(value));
    const cells = COLUMNS.slice(1).map((c) => h('td', { class: 'num', 'data-col': c.key }, c.text(item)));
    return h('tr', { 'data-testid': 'row', 'data-value': value ?? '' }, h('th', { scope: 'row' }, name), ...cells);
  }

  render();
  return h('table', { class: 'costs', 'data-testid': options.testId }, h('caption', {}, options.caption), h('thead', {}, h('tr', {}, ...headerCells)), tbody);
}
