import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DIST, ensureBuilt } from './ensure-built';

/** Declaration text without comments and string literals, where the word `any` could legitimately appear. */
function code(file: string): string {
  return readFileSync(DIST + file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, "''");
}

beforeAll(ensureBuilt, 180_000);

describe('emitted declarations', () => {
  it.each(['index.d.ts', 'index.d.cts'])('%s contains no `any`', (file) => {
    const text = code(file);
    expect(text.length).toBeGreaterThan(1000);
    expect(text.match(/\bany\b/g) ?? []).toEqual([]);
  });

  it('the shared declaration chunks and the integration entries contain no `any` either', () => {
    const files = [
      ...readdirSync(DIST).filter((f) => /\.d\.c?ts$/.test(f)),
      ...readdirSync(`${DIST}integrations`).filter((f) => /\.d\.c?ts$/.test(f)).map((f) => `integrations/${f}`),
    ];
    expect(files).toContain('integrations/openai.d.ts');
    for (const file of files) expect({ file, any: code(file).match(/\bany\b/g) ?? [] }).toEqual({ file, any: [] });
  });

  it('declares the 14 type names of the reference', () => {
    const text = readFileSync(`${DIST}index.d.ts`, 'utf8');
    const names = ['BearLumen', 'BearLumenConfig', 'EndUser', 'EndUserCreateInput', 'EndUserUpdateInput', 'Subscription', 'SubscriptionCreateInput', 'UsageRecordInput', 'UsageRecordResponse', 'CostBreakdownResponse', 'CostBreakdownItem', 'AttributionValuesResponse', 'AttributionDateRange', 'BearLumenApiError'];
    const exported = /export\s*\{([^}]*)\}/g;
    const list = [...text.matchAll(exported)].flatMap((m) => (m[1] ?? '').split(',').map((s) => s.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop() ?? ''));
    for (const name of names) expect(list).toContain(name);
  });
});
