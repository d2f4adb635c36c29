/**
 * Writes docs/openapi.json from the server's route schemas: `npm run openapi`.
 * test/integration/server/openapi.test.ts fails when the committed file differs.
 */
import { writeFileSync } from 'node:fs';
import { generateOpenApi } from '../src/server/openapi';

const target = new URL('../docs/openapi.json', import.meta.url);
const document = await generateOpenApi();
writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
process.stdout.write(`wrote ${target.pathname}\n`);
