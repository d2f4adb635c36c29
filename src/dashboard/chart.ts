/**
 * Cost over time as a stacked area chart (uPlot, bundled). uPlot draws series, not stacks, so each
 * series is drawn at the running sum of itself and the series below it, costliest at the bottom, and
 * filled: the visible band of a series is its own cost. Legend and tooltips show each series' own
 * value, not the running sum. Labels are set as text by uPlot (textContent).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { CostTimeseriesResponse } from '../protocol/types';
import { formatUsdPrecise, valueLabel } from './format';

const PALETTE = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f',
];
const OTHER_COLOR = '#c7c7c7';
const HEIGHT = 320;

/** A label and per-bucket USD values of one drawn series. */
interface Layer {
  label: string;
  color: string;
  usd: number[];
}

function layersOf(ts: CostTimeseriesResponse): Layer[] {
  const layers: Layer[] = ts.series.map((s, i) => ({
    label: valueLabel(s.value),
    color: PALETTE[i % PALETTE.length] as string,
    usd: s.costNanoUsd.map((n) => n / 1e9),
  }));
  if (ts.other.seriesCount > 0) layers.push({ label: `${ts.other.seriesCount} more`, color: OTHER_COLOR, usd: ts.other.costNanoUsd.map((n) => n / 1e9) });
  return layers;
}

/** The chart in one container; `render` replaces what it shows. */
export class CostChart {
  #plot: uPlot | undefined;
  readonly #resize: ResizeObserver;

  constructor(private readonly container: HTMLElement) {
    this.#resize = new ResizeObserver(() => this.#plot?.setSize({ width: this.#width(), height: HEIGHT }));
    this.#resize.observe(container);
  }

  #width(): number {
    return Math.max(320, this.container.clientWidth);
  }

  /** Draw the series of `ts` stacked; bucket starts on the x axis (local time). */
  render(ts: CostTimeseriesResponse): void {
    this.#plot?.destroy();
    const layers = layersOf(ts);
    const x = ts.buckets.map((b) => Date.parse(b) / 1000);
    const stacked: number[][] = [];
    let below = x.map(() => 0);
    for (const layer of layers) {
      below = below.map((v, i) => v + (layer.usd[i] ?? 0));
      stacked.push(below);
    }
    // Drawn topmost running sum first, so each later (lower) fill paints over the one above it.
    const order = layers.map((_, i) => i).reverse();
    const series: uPlot.Series[] = [
      {},
      ...order.map((i) => {
        const layer = layers[i] as Layer;
        return {
          label: layer.label,
          stroke: layer.color,
          fill: layer.color,
          width: 1,
          points: { show: false },
          value: (_u: uPlot, _v: number | null, _s: number, idx: number | null) => (idx === null ? '--' : formatUsdPrecise(layer.usd[idx] ?? 0)),
        };
      }),
    ];
    const data: uPlot.AlignedData = [x, ...order.map((i) => stacked[i] as number[])];
    this.#plot = new uPlot(
      {
        width: this.#width(),
        height: HEIGHT,
        series,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.05 : 1] } },
        axes: [{}, { values: (_u, splits) => splits.map((v) => formatUsdPrecise(v)), size: 70 }],
        legend: { live: true },
        cursor: { points: { show: false } },
      },
      data,
      this.container,
    );
  }

  /** Remove the chart and stop following the container's size. */
  destroy(): void {
    this.#resize.disconnect();
    this.#plot?.destroy();
    this.#plot = undefined;
  }
}
