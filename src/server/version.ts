/** The package version, reported by `GET /healthz` and the CLI. */
import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    // src/server/version.ts and dist/server/*.js both sit two levels below package.json.
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    // A bundler may move files; the version is informational only.
    return '0.0.0';
  }
}

/** This package's version, e.g. `0.1.0`. */
export const SERVER_VERSION = readVersion();
