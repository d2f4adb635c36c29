import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const alias = {
  '@bearlumen/node-sdk/server': fileURLToPath(new URL('./src/server/index.ts', import.meta.url)),
  '@bearlumen/node-sdk/openai': fileURLToPath(new URL('./src/integrations/openai.ts', import.meta.url)),
  '@bearlumen/node-sdk/anthropic': fileURLToPath(new URL('./src/integrations/anthropic.ts', import.meta.url)),
  '@bearlumen/node-sdk/google': fileURLToPath(new URL('./src/integrations/google.ts', import.meta.url)),
  '@bearlumen/node-sdk/ai-sdk': fileURLToPath(new URL('./src/integrations/ai-sdk.ts', import.meta.url)),
  '@bearlumen/node-sdk/otel': fileURLToPath(new URL('./src/integrations/otel.ts', import.meta.url)),
  '@bearlumen/node-sdk': fileURLToPath(new URL('./src/index.ts', import.meta.url)),
};

// The integration tests run a second time on PostgreSQL (BEARLUMEN_TEST_STORE=postgres, see
// test/helpers/start-server.ts) when a database URL is set, and always in CI, where a missing
// database then fails the run instead of skipping it. The store conformance suite and the replica
// test cover both engines themselves, so they are not repeated.
const env = process.env;
const hasPostgresUrl = Boolean(env['BEARLUMEN_TEST_DATABASE_URL'] || env['DATABASE_URL']);
const postgresRequired = [env['CI'], env['BEARLUMEN_REQUIRE_POSTGRES']].some((v) => v !== undefined && v !== '' && v !== '0' && v !== 'false');
if (!hasPostgresUrl && !postgresRequired) {
  console.warn('integration-postgres skipped: set DATABASE_URL to run the integration tests on PostgreSQL too (README "Running the PostgreSQL tests locally").');
}
const postgresProjects =
  hasPostgresUrl || postgresRequired
    ? [
        {
          resolve: { alias },
          test: {
            name: 'integration-postgres',
            include: ['test/integration/**/*.test.ts'],
            exclude: ['test/integration/store/**', 'test/integration/replicas*.test.ts'],
            env: { BEARLUMEN_TEST_STORE: 'postgres' },
            testTimeout: 30_000,
            hookTimeout: 30_000,
          },
        },
        {
          // The dashboard in Chromium again with the server on PostgreSQL (its report queries differ).
          resolve: { alias },
          test: {
            name: 'browser-postgres',
            include: ['test/browser/**/*.test.ts'],
            env: { BEARLUMEN_TEST_STORE: 'postgres' },
            testTimeout: 60_000,
            hookTimeout: 180_000,
          },
        },
        {
          resolve: { alias },
          test: {
            // The chaos scenarios again on PostgreSQL (its ingest path differs); the restart and outage
            // scenarios reopen a SQLite file by design and are not repeated.
            name: 'fault-postgres',
            include: ['test/fault/**/*.test.ts'],
            exclude: ['test/fault/server-restart.test.ts', 'test/fault/outage-overflow.test.ts', 'test/fault/flush-keeps-alive.test.ts'],
            env: { BEARLUMEN_TEST_STORE: 'postgres' },
            testTimeout: 60_000,
            hookTimeout: 30_000,
          },
        },
      ]
    : [];

// One project per kind of test (docs/testing.md). Tests import the package name, aliased to src/,
// so they use the SDK exactly as users do.
export default defineConfig({
  test: {
    projects: [
      { resolve: { alias }, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        resolve: { alias },
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 30_000 },
      },
      ...postgresProjects,
      { resolve: { alias }, test: { name: 'fault', include: ['test/fault/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 30_000 } },
      { resolve: { alias }, test: { name: 'property', include: ['test/property/**/*.test.ts'], testTimeout: 180_000, hookTimeout: 30_000 } },
      { resolve: { alias }, test: { name: 'security', include: ['test/security/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 30_000 } },
      { resolve: { alias }, test: { name: 'package', include: ['test/package/**/*.test.ts'], testTimeout: 180_000, hookTimeout: 60_000 } },
      {
        // The dashboard in headless Chromium (test/browser/chromium.ts: skipped with a message when
        // /usr/bin/chromium is missing, a failure in CI).
        resolve: { alias },
        test: { name: 'browser', include: ['test/browser/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 180_000 },
      },
      {
        resolve: { alias },
        test: { name: 'types', include: [], typecheck: { enabled: true, only: true, include: ['test/types/**/*.test-d.ts'] } },
      },
    ],
  },
});
