import { defineConfig } from 'tsup';

// Two builds, because the two entry points promise different runtimes:
// - the SDK (`.`) runs on Node >= 18 as ESM and CJS. p-queue and p-retry are ESM-only and Node 18
//   cannot require() ESM, so the CJS build bundles them (noExternal).
// - the dashboard page (src/dashboard/) is a browser bundle served by `bearlumen serve` from
//   dist/dashboard/: one minified script with uPlot inside, its stylesheet, and index.html copied
//   from src/dashboard/public/. Nothing is fetched from a CDN and nothing is built at serve time.
// - the server and CLI (`./server`, `bin`) need Node >= 20 and stay ESM; their dependencies are
//   optional peers that are never bundled, so an SDK user never installs or compiles them.
export default defineConfig([
  {
    // The LLM integrations build with the SDK entry and share its chunks (splitting, in CJS too), so
    // the attribution scope and the error classes are one copy whichever entry a user imports.
    entry: { index: 'src/index.ts', 'integrations/openai': 'src/integrations/openai.ts', 'integrations/anthropic': 'src/integrations/anthropic.ts', 'integrations/google': 'src/integrations/google.ts', 'integrations/ai-sdk': 'src/integrations/ai-sdk.ts', 'integrations/otel': 'src/integrations/otel.ts' },
    format: ['esm', 'cjs'],
    splitting: true,
    dts: true,
    clean: true,
    target: 'node18',
    sourcemap: true,
    noExternal: ['p-queue', 'p-retry'],
  },
  {
    entry: { 'server/index': 'src/server/index.ts', 'server/cli': 'src/server/cli.ts' },
    format: ['esm'],
    dts: { entry: { 'server/index': 'src/server/index.ts' } },
    target: 'node20',
    sourcemap: true,
    banner: { js: '' },
  },
  {
    entry: { app: 'src/dashboard/main.ts' },
    outDir: 'dist/dashboard',
    format: ['iife'],
    platform: 'browser',
    target: 'es2020',
    tsconfig: 'src/dashboard/tsconfig.json',
    minify: true,
    sourcemap: false,
    dts: false,
    noExternal: ['uplot'],
    publicDir: 'src/dashboard/public',
    outExtension: () => ({ js: '.js' }),
  },
]);
