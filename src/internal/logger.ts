import pino, { type Level, type Logger } from 'pino';
import { BearLumenValidationError } from '../errors';

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

/**
 * The logger the client uses: a child `{ component: 'bearlumen' }` of the user's logger, or of a
 * default pino logger on stderr (library diagnostics must not mix into an app's stdout) at `warn`,
 * or at `BEARLUMEN_LOG_LEVEL` when set. The user's root logger is never reconfigured.
 * @throws {BearLumenValidationError} when `BEARLUMEN_LOG_LEVEL` is not a pino level.
 */
export function createSdkLogger(userLogger: Logger | undefined, env: NodeJS.ProcessEnv = process.env): Logger {
  if (userLogger !== undefined) return userLogger.child({ component: 'bearlumen' });
  const raw = env['BEARLUMEN_LOG_LEVEL'];
  const level = raw === undefined || raw === '' ? 'warn' : raw.toLowerCase();
  if (!isLevel(level)) {
    throw new BearLumenValidationError('BEARLUMEN_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`, raw);
  }
  const root = pino(
    { level, redact: { paths: [...REDACT_PATHS], censor: '[redacted]' }, base: { pid: process.pid } },
    pino.destination({ dest: 2, sync: true }),
  );
  return root.child({ component: 'bearlumen' });
}
