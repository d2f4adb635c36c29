/**
 * Headless Chromium for the dashboard tests: Debian's `chromium` package driven by playwright-core,
 * with a fresh profile per launch and everything that phones home switched off. When the browser is
 * missing the tests are skipped with a message, except in CI (CI=true or BEARLUMEN_REQUIRE_CHROMIUM=1),
 * where that is a failure.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env['BEARLUMEN_CHROMIUM'] ?? '/usr/bin/chromium';
const isTruthy = (v: string | undefined): boolean => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
/** CI (CI=true, or BEARLUMEN_REQUIRE_CHROMIUM=1 as .ci/run sets) must not skip the browser tests silently. */
const required = isTruthy(process.env['CI']) || isTruthy(process.env['BEARLUMEN_REQUIRE_CHROMIUM']);

/** Screenshots of the browser tests (gitignored), one folder per store engine (the browser-postgres project). */
export const ARTIFACTS = fileURLToPath(
  new URL(`../../test-artifacts/browser/${process.env['BEARLUMEN_TEST_STORE'] === 'postgres' ? 'postgres' : 'sqlite'}/`, import.meta.url),
);

/** True when the tests can run; otherwise explains why on stderr (and throws in CI). */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const message = `Chromium not found at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` (or set BEARLUMEN_CHROMIUM) to run the dashboard browser tests.`;
  if (required) throw new Error(`browser tests are required here (CI or BEARLUMEN_REQUIRE_CHROMIUM): ${message}`);
  console.warn(`browser tests skipped: ${message}`);
  return false;
}

/** A launched browser (one context on its temporary profile); `close` removes both. */
export interface LaunchedBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launch headless Chromium on a fresh profile (`--user-data-dir`). */
export async function launchChromium(): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'bearlumen-chromium-'));
  // Playwright passes the profile as --user-data-dir itself (it refuses the flag in args).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 60_000,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Save a full-page screenshot as a test artifact. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}
