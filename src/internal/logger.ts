import pino, { type Level, type Logger } from 'pino';

/** Level names `BEARLUMEN_LOG_LEVEL` accepts. */
export const LOG_LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Paths pino censors in every line of the default logger. A backstop only: the SDK never passes
 * headers or the key to a log call in the first place.
 */
export const REDACT_PATHS: readonly string[] = [
  'apiKey',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.apiKey',
  '*.authorization',
];

function isLevel(value: string): value is Level | 'silent' {
  return LOG_LEVELS.includes(value);
}

/** The level of the default logger when `BEARLUMEN_LOG_LEVEL` is unset or not a level name. */
export const DEFAULT_LOG_LEVEL = 'warn';

/** Unknown `BEARLUMEN_LOG_LEVEL` values already warned about (once per value per process, not per client). */
const warnedLevels = new Set<string>();

/**
 * The logger the client uses: a child `{ component: 'bearlumen' }` of the user's logger, or of a
 * default pino logger on stderr (library diagnostics must not mix into an app's stdout) at `warn`,
 * or at `BEARLUMEN_LOG_LEVEL` when set (any case). A value that is not a level name (a typo such as
 * `WARNING`) never stops the app: the default level is used and a warning says so, once per process.
 * The user's root logger is never reconfigured.
 */
export function createSdkLogger(userLogger: Logger | undefined, env: NodeJS.ProcessEnv = process.env): Logger {
  if (userLogger !== undefined) return userLogger.child({ component: 'bearlumen' });
  const raw = env['BEARLUMEN_LOG_LEVEL']?.trim();
  const wanted = raw === undefined || raw === '' ? DEFAULT_LOG_LEVEL : raw.toLowerCase();
  const level = isLevel(wanted) ? wanted : DEFAULT_LOG_LEVEL;
  const root = pino(
    { level, redact: { paths: [...REDACT_PATHS], censor: '[redacted]' }, base: { pid: process.pid } },
    pino.destination({ dest: 2, sync: true }),
  );
  const logger = root.child({ component: 'bearlumen' });
  if (level !== wanted && raw !== undefined && !warnedLevels.has(raw)) {
    warnedLevels.add(raw);
    logger.warn({ BEARLUMEN_LOG_LEVEL: raw.slice(0, 40), expected: LOG_LEVELS }, `BEARLUMEN_LOG_LEVEL is not a level name; using '${DEFAULT_LOG_LEVEL}'`);
  }
  return logger;
}
