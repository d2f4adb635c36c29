/**
 * `bearlumen serve --prices-data FILE` (`BEARLUMEN_PRICES_DATA`): replace the price data bundled with
 * `@pydantic/genai-prices` by a newer file in its own format (the `Provider[]` array of its
 * `prices/data.json`), without upgrading the package. genai-prices holds one data set per process, so
 * the file applies to every Pricer of the process. Events priced from it carry the source
 * `genai-prices-data:<file name>@sha256:<first 12 hex of the file's hash>`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { updatePrices } from '@pydantic/genai-prices';

/**
 * Load `path` as genai-prices' data and return the price source label of events priced with it.
 * @throws {Error} naming the file when it cannot be read, is not JSON, or genai-prices refuses it.
 */
export function loadPricesData(path: string): string {
  const text = readFileSync(path, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(parsed)) throw new Error(`${path}: expected genai-prices data (a JSON array of providers)`);
  try {
    // setProviderData validates and swaps the data synchronously for a plain array.
    updatePrices(({ setProviderData }) => setProviderData(parsed as Parameters<typeof setProviderData>[0]));
  } catch (error) {
    throw new Error(`${path}: genai-prices refused the data (${(error as Error).message})`);
  }
  return `genai-prices-data:${basename(path)}@sha256:${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
}
