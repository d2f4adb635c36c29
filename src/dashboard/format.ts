/** Display formats of the dashboard. Money arrives as exact integer nano-USD and is rounded here only. */

const NANO_PER_CENT = 10_000_000;
const GROUPED = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `$646.67`: nano-USD rounded half away from zero to the cent, thousands grouped (`$1,234.50`). */
export function formatUsd(nano: number): string {
  const cents = Math.sign(nano) * Math.round(Math.abs(nano) / NANO_PER_CENT);
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}$${GROUPED.format(Math.floor(abs / 100))}.${String(abs % 100).padStart(2, '0')}`;
}

/** More precision for small amounts in chart tooltips: `$0.0042`. */
export function formatUsdPrecise(usd: number): string {
  return usd !== 0 && Math.abs(usd) < 0.01 ? `$${usd.toPrecision(2)}` : formatUsd(Math.round(usd * 1e9));
}

/** `1,234,567` (token and event counts). */
export function formatCount(n: number): string {
  return GROUPED.format(n);
}

/** `12.34%`. */
export function formatPercent(p: number): string {
  return `${p.toFixed(2)}%`;
}

/** How a group without a value (no agent, no model…) is shown. */
export const NONE_LABEL = '(none)';

/** The label of a group value. */
export function valueLabel(value: string | null): string {
  return value ?? NONE_LABEL;
}
