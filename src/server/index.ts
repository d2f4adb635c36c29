/**
 * `@bearlumen/node-sdk/server`: the self-hostable reference server. Requires Node >= 20 and the
 * optional peer dependencies fastify, typebox, @fastify/type-provider-typebox, better-sqlite3
 * and @pydantic/genai-prices (pg for PostgreSQL).
 */
export { createServer, type ServerOptions, type BearLumenServer } from './app';
export { DEFAULT_SERVER_TIMEOUTS, type ServerTimeouts } from './connection-limits';
export { SqliteStore, DEFAULT_SQLITE_PATH } from './store/sqlite';
export { createStore, StoreDriverMissingError, type StoreOptions } from './store/open-store';
export type * from './store/store';
export type * from './store/cost-report-types';
export { createApiKey, hashApiKey, generateApiKey, apiKeyId, keyIdOfDigest } from './auth';
export { Pricer } from './pricing';
export { parseRetainEventsDays, MIN_RETAIN_EVENTS_DAYS } from './retention';
export { SERVER_VERSION } from './version';
