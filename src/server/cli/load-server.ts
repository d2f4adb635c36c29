/**
 * Loading the server module on demand, so that the CLI itself imports only Node built-ins and a
 * missing server dependency becomes the exact `npm install …` line instead of a stack trace.
 */
import type * as ServerIndex from '../index';

/** The `@bearlumen/node-sdk/server` module. */
export type ServerModule = typeof ServerIndex;

const SERVER_DEPS = 'fastify typebox @fastify/type-provider-typebox better-sqlite3 @pydantic/genai-prices';

/**
 * Load the server module.
 * @throws {Error} naming the missing package and the install command when a dependency is missing.
 */
export async function loadServer(): Promise<ServerModule> {
  try {
    return await import('../index');
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const missing = /Cannot find (?:package|module) '([^']+)'/.exec(e.message)?.[1];
    if (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND' || /bindings file|better_sqlite3\.node/.test(e.message)) {
      const what = missing === undefined ? '' : ` (missing: ${missing})`;
      throw new Error(`bearlumen serve needs the server dependencies${what}. Install them with:\n  npm install ${SERVER_DEPS}`, { cause: error });
    }
    throw error;
  }
}

/**
 * DATABASE_URL selects PostgreSQL (several replicas may share it), unless `--db` names a SQLite
 * file explicitly: a flag on the command line wins over the environment.
 */
export function storeChoice(dbFlag: string | undefined, dbPath: string): { databaseUrl?: string; dbPath: string } {
  const databaseUrl = process.env['DATABASE_URL'];
  return dbFlag === undefined && databaseUrl !== undefined && databaseUrl !== '' ? { databaseUrl, dbPath } : { dbPath };
}
