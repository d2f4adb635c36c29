/** Page-side helpers of the dashboard browser tests: the stable data-testid hooks, waits and readings. */
import type { Page } from 'playwright-core';

/** `$1,234.56` from nano-USD: the test's own rounding to the cent, independent of the page's code. */
export function usd(nano: number): string {
  const cents = Math.round(nano / 10_000_000);
  return `$${(cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** `1,234` as the page groups counts. */
export const count = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

/** The load generation the status line shows now. */
export async function generation(page: Page): Promise<number> {
  return Number((await page.getByTestId('status').getAttribute('data-generation')) ?? '0');
}

/** Wait until a load newer than `after` has finished (ready or error); returns its state. */
export async function loaded(page: Page, after: number): Promise<string> {
  await page.waitForFunction(
    (prev: number) => {
      // Runs in the page; this file is compiled without DOM types, hence the narrow local type.
      const doc = (globalThis as unknown as { document: { querySelector(s: string): { getAttribute(n: string): string | null } | null } }).document;
      const el = doc.querySelector('[data-testid="status"]');
      const state = el?.getAttribute('data-state');
      return Number(el?.getAttribute('data-generation') ?? '0') > prev && (state === 'ready' || state === 'error');
    },
    after,
    { timeout: 30_000 },
  );
  return (await page.getByTestId('status').getAttribute('data-state')) ?? '';
}

/** Paste a key and press Sign in. */
export async function signIn(page: Page, key: string): Promise<void> {
  await page.getByTestId('api-key').fill(key);
  await page.getByTestId('sign-in').click();
}

/** Text of a hook. */
export async function text(page: Page, testId: string): Promise<string> {
  return ((await page.getByTestId(testId).first().textContent()) ?? '').trim();
}

/** The range the page last loaded, as the API returned it. */
export async function shownRange(page: Page): Promise<{ startDate: string; endDate: string }> {
  return { startDate: await text(page, 'range-start'), endDate: await text(page, 'range-end') };
}

/** Rows of a cost table: [value ('' for none), cost, % of total, input, output, cache read, cache write, events]. */
export async function tableRows(page: Page, testId: string): Promise<string[][]> {
  return page.$$eval(`[data-testid="${testId}"] tbody tr[data-testid="row"]`, (rows) =>
    rows.map((r) => [
      r.getAttribute('data-value') ?? '',
      ...['cost', 'share', 'input', 'output', 'cache-read', 'cache-write', 'events'].map((c) => r.querySelector(`[data-col="${c}"]`)?.textContent ?? ''),
    ]),
  );
}

/** The series labels of the chart's legend, in the order drawn. */
export async function legendLabels(page: Page): Promise<string[]> {
  return page.$$eval('[data-testid="chart"] .u-legend .u-series .u-label', (labels) => labels.map((l) => l.textContent ?? '').filter((t) => t !== 'Time' && t !== ''));
}
