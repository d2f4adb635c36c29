/** The package version, reported by `GET /healthz` and the CLI. */
import { readFileSync } from 'node:fs';

const PACKAGE_NAME = '@bearlumen/node-sdk';

function readVersion(): string {
  // src/server/version.ts and the built dist/server/*.js (or a dist/ chunk) sit one to three levels
  // below package.json; walk up to the first one that is ours.
  for (const up of ['../', '../../', '../../../']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(`${up}package.json`, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not at this level; try the next one up.
    }
  }
  return '0.0.0';
}

/** This package's version, e.g. `0.1.0`. */
export const SERVER_VERSION = readVersion();
