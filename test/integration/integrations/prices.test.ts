import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen, BearLumenValidationError } from '@bearlumen/node-sdk';
import { startServer, type StartedServer } from '../../helpers/start-server';

let server: StartedServer;
let bearLumen: BearLumen;
const OVERRIDES = join(process.cwd(), 'test', 'fixtures', 'prices', 'overrides.json');

beforeAll(async () => {
  server = await startServer({ prices: OVERRIDES });
  bearLumen = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false });
});

afterAll(async () => {
  await bearLumen?.shutdown();
  await server?.close();
});

describe('prices.lookup (GET /v1/prices)', () => {
  it('answers the tiered price, per kind, with its source, as ingest would apply it', async () => {
    const found = await bearLumen.prices.lookup({ model: 'gemini-2.5-pro', provider: 'google' });
    expect(found).toMatchObject({ model: 'gemini-2.5-pro', provider: 'google', priced: true, matchedProvider: 'google', matchedModel: 'gemini-2.5-pro' });
    expect(found.prices.input).toEqual({ usdPerMillion: 1.25, tiers: [{ aboveInputTokens: 200000, usdPerMillion: 2.5 }], source: expect.stringMatching(/^genai-prices@/) });
    expect(found.prices.output?.tiers).toEqual([{ aboveInputTokens: 200000, usdPerMillion: 15 }]);
  });

  it("Anthropic's 1-hour cache writes have their own rate", async () => {
    const { prices } = await bearLumen.prices.lookup({ model: 'claude-sonnet-4-20250514', provider: 'anthropic', at: new Date().toISOString() });
    expect([prices.cache_write?.usdPerMillion, prices.cache_write_1h?.usdPerMillion]).toEqual([3.75, 6]);
  });

  it('an override wins and says so; a model nobody prices is reported unpriced', async () => {
    const own = await bearLumen.prices.lookup({ model: 'in-house-7b', provider: 'acme' });
    expect(own.priced).toBe(true);
    expect(own.prices.input).toEqual({ usdPerMillion: 0.5, tiers: [], source: 'override' });
    expect(own.prices.cache_read).toEqual({ usdPerMillion: 0.5, tiers: [], source: 'override' });
    const unknown = await bearLumen.prices.lookup({ model: 'in-house-7b', provider: 'other' });
    expect(unknown).toMatchObject({ priced: false, prices: {}, matchedModel: null });
  });

  it('validates before any request, and the server refuses a bad time', async () => {
    await expect(bearLumen.prices.lookup({ model: '' })).rejects.toThrow(BearLumenValidationError);
    await expect(bearLumen.prices.lookup({ model: 'x', at: 'yesterday' })).rejects.toThrow(/params\.at/);
    const res = await fetch(`${server.url}/v1/prices?model=x&at=nope`, { headers: { authorization: `Bearer ${server.apiKey}` } });
    expect(res.status).toBe(400);
  });
});

describe('bearlumen prices MODEL', () => {
  const run = promisify(execFile);
  const cli = (args: string[]) =>
    run(join(process.cwd(), 'node_modules', '.bin', 'tsx'), [join(process.cwd(), 'src', 'server', 'cli.ts'), 'prices', ...args], {
      env: { ...process.env, BEARLUMEN_PRICES: '', BEARLUMEN_PRICES_DATA: '' },
    }).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );

  // Three CLI processes compiled by tsx: slow on a shared machine, so run together with a longer timeout.
  it('prints the price per kind with tiers and source, exit 0; an unpriced model exits 1', { timeout: 120_000 }, async () => {
    const [priced, unpriced, overridden] = await Promise.all([
      cli(['gemini-2.5-pro', '--provider', 'google']),
      cli(['in-house-7b', '--provider', 'acme', '--json']),
      cli(['in-house-7b', '--provider', 'acme', '--prices', OVERRIDES, '--json']),
    ]);
    expect(priced.code).toBe(0);
    expect(priced.stdout).toMatch(/input\s+1\.25, 2\.5 above 200000 input tokens\s+\[genai-prices@/);
    expect(unpriced.code).toBe(1);
    expect(JSON.parse(unpriced.stdout)).toMatchObject({ priced: false });
    expect(overridden.code).toBe(0);
    expect(JSON.parse(overridden.stdout).prices.output).toEqual({ usdPerMillion: 1.5, tiers: [], source: 'override' });
  });
});
