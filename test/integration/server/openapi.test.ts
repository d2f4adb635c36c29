import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../../src/protocol/routes';
import { generateOpenApi } from '../../../src/server/openapi';

describe('docs/openapi.json', () => {
  it('is current: regenerate with `npm run openapi` when this fails', async () => {
    const committed: unknown = JSON.parse(readFileSync(new URL('../../../docs/openapi.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(await generateOpenApi());
  });

  it('documents every route of protocol/routes.ts', async () => {
    const paths = Object.keys((await generateOpenApi())['paths'] as Record<string, unknown>);
    const expected = Object.values(ROUTES).map((r) => (typeof r === 'function' ? r(':id').replace(encodeURIComponent(':id'), '{id}') : r));
    for (const path of expected) expect(paths).toContain(path);
  });
});
