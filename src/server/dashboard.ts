/**
 * Serves the cost dashboard (built from src/dashboard/ into dist/dashboard/ by tsup) at `/`. The
 * three files are read once at start and served from memory with a strict Content-Security-Policy:
 * scripts, styles and requests only from this origin, no inline code, no framing. The page holds no
 * data and no secret; it calls the public `/v1` API with the key the user pastes (docs/dashboard.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors';

/** The dashboard's response headers; exported for the tests that check them. */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-cache',
};

/** URL path → file name and content type. A fixed map: no request path ever reaches the file system. */
const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

/**
 * Where the built page is: next to the bundled server (dist/dashboard/, seen from dist/ chunks or
 * dist/server/) or, when the server runs from src/ (tests, tsx), in the repository's dist/.
 */
export function findDashboardDir(): string | undefined {
  const candidates = ['./dashboard/', '../dashboard/', '../../dist/dashboard/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  return candidates.find((dir) => existsSync(`${dir}index.html`));
}

/**
 * Register the dashboard routes. `dir` is the folder of the built page; `false` serves nothing.
 * When the page is not built, `/` answers 404 saying so.
 */
export function installDashboard(app: FastifyInstance, dir: string | false | undefined): void {
  if (dir === false) return;
  const found = dir ?? findDashboardDir();
  const bodies = new Map<string, Buffer>();
  if (found !== undefined) {
    for (const [path, { file }] of Object.entries(FILES)) {
      const full = `${found.endsWith('/') ? found : `${found}/`}${file}`;
      if (existsSync(full)) bodies.set(path, readFileSync(full));
    }
  }
  for (const [path, { type }] of Object.entries(FILES)) {
    // No schema: the page is not part of the API document (docs/openapi.json).
    app.get(path, async (_request, reply) => {
      const body = bodies.get(path);
      if (body === undefined) throw new ApiError('route_not_found', 'The dashboard is not built: run `npm run build` (it writes dist/dashboard/)');
      return reply.headers(DASHBOARD_HEADERS).type(type).send(body);
    });
  }
}
