/** Rendering of the summary cards, the unpriced warning and the agent drill-down from API answers. */
import type { CostDimensionResponse } from '../protocol/types';
import { byTestId, fill, h } from './dom';
import { formatCount, formatUsd } from './format';
import { costTable } from './table';

/** Total cost, events, unpriced events, tokens by kind; the warning when some events had no price. */
export function renderSummary(report: CostDimensionResponse): void {
  byTestId('total-cost').textContent = formatUsd(report.totalCostNanoUsd);
  byTestId('events').textContent = formatCount(report.eventCount);
  byTestId('unpriced').textContent = formatCount(report.unpricedEventCount);
  byTestId('tokens-input').textContent = formatCount(report.inputTokens);
  byTestId('tokens-output').textContent = formatCount(report.outputTokens);
  byTestId('tokens-cache-read').textContent = formatCount(report.cacheReadTokens);
  byTestId('tokens-cache-write').textContent = formatCount(report.cacheWriteTokens);
  byTestId<HTMLTimeElement>('range-start').textContent = report.startDate;
  byTestId<HTMLTimeElement>('range-end').textContent = report.endDate;
  const warning = byTestId('unpriced-warning');
  warning.hidden = report.unpricedEventCount === 0;
  warning.textContent =
    report.unpricedEventCount === 0
      ? ''
      : `${formatCount(report.unpricedEventCount)} events had no price (unknown model, or no metadata.model): the total leaves them out. Add a price override (docs/server.md) or send metadata.cost.`;
}

/** The agent drill-down: its workflows and its models over the same range. */
export function renderDrilldown(agent: string, workflows: CostDimensionResponse, models: CostDimensionResponse): void {
  byTestId('drilldown').hidden = false;
  byTestId('drilldown-title').textContent = `Agent ${agent}: ${formatUsd(workflows.totalCostNanoUsd)}`;
  fill(
    byTestId('drilldown-tables'),
    h('div', {}, costTable({ testId: 'drill-workflows', caption: 'Its workflows', items: workflows.items })),
    h('div', {}, costTable({ testId: 'drill-models', caption: 'Its models', items: models.items })),
  );
}

/** Hide the drill-down. */
export function hideDrilldown(): void {
  byTestId('drilldown').hidden = true;
  fill(byTestId('drilldown-tables'));
}
