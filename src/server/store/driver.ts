/** The engines' driver packages, loaded only when their store is opened (see open-store.ts). */
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';

/** Thrown when the chosen engine's driver package is not installed; the message says what to install. */
export class StoreDriverMissingError extends Error {
  override readonly name = 'StoreDriverMissingError';
}

/** Node could not resolve the package `name` itself (ESM import or require). */
export function isMissingPackage(error: unknown, name: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && error instanceof Error && error.message.includes(`'${name}'`);
}

/**
 * better-sqlite3, loaded on the first `SqliteStore.open()` rather than when this module is imported:
 * the server entry exports SqliteStore, and a PostgreSQL-only install (no better-sqlite3, or one
 * built for another Node) must still be able to import it.
 * @throws {StoreDriverMissingError} when better-sqlite3 is not installed, or its native module does not load.
 */
export function loadSqliteDriver(): typeof Database {
  try {
    return createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  } catch (error) {
    if (isMissingPackage(error, 'better-sqlite3')) {
      throw new StoreDriverMissingError("The server stores data in SQLite by default, which needs the 'better-sqlite3' package: npm install better-sqlite3@12", { cause: error });
    }
    const message = error instanceof Error ? error.message : '';
    if (/bindings file|better_sqlite3\.node|NODE_MODULE_VERSION/.test(message)) {
      throw new StoreDriverMissingError(`better-sqlite3 is installed but its native module does not load in this Node.js ${process.version} (${message.split('\n')[0]}): npm rebuild better-sqlite3`, { cause: error });
    }
    throw error;
  }
}
