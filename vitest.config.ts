import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const alias = {
  '@bearlumen/node-sdk/server': fileURLToPath(new URL('./src/server/index.ts', import.meta.url)),
  '@bearlumen/node-sdk': fileURLToPath(new URL('./src/index.ts', import.meta.url)),
};

// One project per kind of test (STYLE.md "Tests"). Tests import the package name, aliased to src/,
// so they use the SDK exactly as users do.
export default defineConfig({
  test: {
    projects: [
      { resolve: { alias }, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        resolve: { alias },
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 30_000 },
      },
      { resolve: { alias }, test: { name: 'fault', include: ['test/fault/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 30_000 } },
      { resolve: { alias }, test: { name: 'property', include: ['test/property/**/*.test.ts'], testTimeout: 180_000, hookTimeout: 30_000 } },
      { resolve: { alias }, test: { name: 'package', include: ['test/package/**/*.test.ts'], testTimeout: 180_000, hookTimeout: 60_000 } },
      {
        resolve: { alias },
        test: { name: 'types', include: [], typecheck: { enabled: true, only: true, include: ['test/types/**/*.test-d.ts'] } },
      },
    ],
  },
});
