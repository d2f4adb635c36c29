import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { createSdkLogger } from './internal/logger';
import { assertInteger, assertKnownKeys, assertObject, fail, optionalBoolean } from './internal/validate';
import { resolveBatchingOptions, type BatchingOptions, type ResolvedBatchingOptions } from './pipeline/options';

/** Options of `new BearLumen(config)`. Every option is validated at construction; unknown keys are rejected. */
export interface BearLumenConfig {
  /**
   * Your API key (`bl_live_…` or `bl_test_…` from `bearlumen keys create`). Required: when absent,
   * `process.env.BEARLUMEN_API_KEY` is used. Surrounding whitespace is trimmed; any other non-empty string
   * without whitespace or control characters is accepted (an unknown key gets a 401 from the server).
   * Never logged and never part of an error message.
   */
  apiKey?: string;
  /** API base URL (http or https; a path prefix is kept). @default 'https://api.bearlumen.com' */
  baseUrl?: string;
  /** Per-attempt request timeout in milliseconds, 1–600000. @default 30000 */
  timeout?: number;
  /** Retries after the first attempt of a single request (not batches: see `batching`), 0–10. @default 2 */
  maxRetries?: number;
  /**
   * A pino (or pino-compatible) logger. The SDK logs through `logger.child({ component: 'bearlumen' })`
   * and never reconfigures it. @default a pino logger on stderr at `warn`, or at `BEARLUMEN_LOG_LEVEL`
   */
  logger?: Logger;
  /**
   * Any undici Dispatcher (an Agent, a ProxyAgent, a MockAgent in tests). You own it: `shutdown()` does
   * not close it. @default a keep-alive undici Pool for `baseUrl`, closed by `shutdown()`
   */
  dispatcher?: Dispatcher;
  /** How `usage.record()` buffers and batches events, or `false` to send each event on its own. @default see BatchingOptions */
  batching?: BatchingOptions | false;
  /** Flush buffered events on `beforeExit`, SIGTERM and SIGINT, then let the process end as it would have. @default true */
  handleExit?: boolean;
}

/** Longest accepted `timeout`, ms (10 minutes). */
export const MAX_TIMEOUT_MS = 600_000;
/** Most accepted `maxRetries`. */
export const MAX_RETRIES_LIMIT = 10;

/** Every default, in one place. Each option's JSDoc `@default` repeats it. */
export const DEFAULTS = Object.freeze({
  baseUrl: 'https://api.bearlumen.com',
  timeout: 30_000,
  maxRetries: 2,
  handleExit: true,
  logLevel: 'warn',
  /** Name of the API-key fallback variable. */
  apiKeyEnv: 'BEARLUMEN_API_KEY',
} as const);

/** The fully populated configuration internals read. */
export interface ResolvedConfig {
  readonly apiKey: string;
  /** Parsed base URL without a trailing slash. */
  readonly baseUrl: URL;
  readonly timeout: number;
  readonly maxRetries: number;
  /** Already the `{ component: 'bearlumen' }` child. */
  readonly logger: Logger;
  readonly dispatcher: Dispatcher | undefined;
  readonly batching: ResolvedBatchingOptions;
  readonly handleExit: boolean;
}

const CONFIG_KEYS: ReadonlySet<string> = new Set(['apiKey', 'baseUrl', 'timeout', 'maxRetries', 'logger', 'dispatcher', 'batching', 'handleExit']);
const LOGGER_METHODS = ['child', 'trace', 'debug', 'info', 'warn', 'error'] as const;

/** Whitespace or a control character (C0, DEL, C1), or anything an HTTP header cannot carry (above U+00FF). */
const KEY_FORBIDDEN = /[\s\p{Cc}]|[^\p{ASCII}\u00a0-\u00ff]/u;

/**
 * The key as sent: surrounding whitespace trimmed (a key read from a secret file often ends in a newline),
 * then any non-empty string without inner whitespace or control characters. No format rule beyond that:
 * the server answers 401 for a key it does not know, and a future key format must not break deployed SDKs.
 * The received value is never quoted in an error: it may be a real key with a typo.
 */
function resolveApiKey(value: unknown, env: NodeJS.ProcessEnv): string {
  const envName = DEFAULTS.apiKeyEnv;
  const fromEnv = env[envName];
  if (value === undefined || value === null) {
    if (fromEnv === undefined || fromEnv.trim() === '') {
      fail('apiKey', `is required: pass apiKey or set ${envName}${fromEnv === undefined ? '' : ` (${envName} is set but empty)`}`);
    }
    return checkKey(fromEnv.trim(), envName);
  }
  if (typeof value !== 'string') fail('apiKey', `must be a string (got ${typeof value})`);
  const key = value.trim();
  if (key === '') {
    const ignored = fromEnv !== undefined && fromEnv.trim() !== '' ? `; ${envName} is set but not used, because an explicit apiKey wins (leave apiKey out to use it)` : `, and ${envName} is not set either`;
    fail('apiKey', `is ${value === '' ? 'an empty string' : 'only whitespace'}: pass the key itself${ignored}`);
  }
  return checkKey(key, 'apiKey');
}

function checkKey(key: string, source: string): string {
  const bad = KEY_FORBIDDEN.exec(key);
  if (bad !== null) {
    const what = /\s/.test(bad[0]) ? 'whitespace' : bad[0] <= '\u009f' ? 'a control character' : 'a character above U+00FF';
    fail(source, `must not contain whitespace, control characters or characters above U+00FF inside the key (found ${what} at position ${bad.index} of a ${key.length}-character key, after trimming)`);
  }
  return key;
}

function resolveBaseUrl(value: unknown): URL {
  if (value === undefined) return new URL(DEFAULTS.baseUrl);
  if (typeof value !== 'string') fail('baseUrl', 'must be an http(s) URL string', value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail('baseUrl', 'must be an absolute http(s) URL such as https://api.bearlumen.com', value);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('baseUrl', 'must use http or https', value);
  if (url.search !== '' || url.hash !== '') fail('baseUrl', 'must not contain a query or fragment', value);
  if (url.username !== '' || url.password !== '') fail('baseUrl', 'must not contain credentials (use apiKey)');
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

function resolveLogger(value: unknown): Logger | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) fail('logger', 'must be a pino-compatible logger object', value);
  for (const method of LOGGER_METHODS) {
    if (typeof (value as Record<string, unknown>)[method] !== 'function') fail('logger', `must be a pino-compatible logger (missing ${method}())`);
  }
  return value as Logger;
}

function resolveDispatcher(value: unknown): Dispatcher | undefined {
  if (value === undefined) return undefined;
  // Duck-typed: a Dispatcher from another undici copy fails `instanceof` but works.
  if (typeof value !== 'object' || value === null || typeof (value as { dispatch?: unknown }).dispatch !== 'function') {
    fail('dispatcher', 'must be an undici Dispatcher (Pool, Agent, ProxyAgent, MockAgent, …)', value);
  }
  return value as Dispatcher;
}

function resolveBatching(value: unknown, env: NodeJS.ProcessEnv): ResolvedBatchingOptions {
  if (value === undefined || value === false) return resolveBatchingOptions(value, env);
  assertObject(value, 'batching');
  return resolveBatchingOptions(value, env);
}

/**
 * Merges `config` with DEFAULTS and the environment, validating every option.
 * @throws {BearLumenValidationError} naming the option, the rule and (except for the key) the received value.
 */
export function resolveConfig(config: unknown, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const input = config ?? {};
  assertObject(input, 'config');
  assertKnownKeys(input, CONFIG_KEYS, '');
  const timeout = input['timeout'] ?? DEFAULTS.timeout;
  assertInteger(timeout, 'timeout', 1, MAX_TIMEOUT_MS);
  const maxRetries = input['maxRetries'] ?? DEFAULTS.maxRetries;
  assertInteger(maxRetries, 'maxRetries', 0, MAX_RETRIES_LIMIT);
  optionalBoolean(input['handleExit'], 'handleExit');
  const apiKey = resolveApiKey(input['apiKey'], env);
  const baseUrl = resolveBaseUrl(input['baseUrl']);
  const dispatcher = resolveDispatcher(input['dispatcher']);
  const batching = resolveBatching(input['batching'], env);
  const logger = createSdkLogger(resolveLogger(input['logger']), env);
  return Object.freeze({
    apiKey,
    baseUrl,
    timeout,
    maxRetries,
    logger,
    dispatcher,
    batching,
    handleExit: (input['handleExit'] as boolean | undefined) ?? DEFAULTS.handleExit,
  });
}
