import { readFileSync } from 'node:fs';
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BearLumen, BearLumenValidationError, DEFAULTS } from '@bearlumen/node-sdk';
import { resolveConfig } from '../../src/config';
import { SDK_VERSION } from '../../src/internal/version';

const KEY = 'bl_test_configconfigconfig01';

function validationError(fn: () => unknown): BearLumenValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BearLumenValidationError) return error;
    throw error;
  }
  throw new Error('expected a BearLumenValidationError');
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('resolveConfig', () => {
  it('applies the reference defaults: api.bearlumen.com, 30 s timeout, plus 2 retries and the exit hook', () => {
    const config = resolveConfig({ apiKey: KEY }, {});
    expect(config.baseUrl.href).toBe('https://api.bearlumen.com/');
    expect(config.timeout).toBe(30_000);
    expect(config.maxRetries).toBe(2);
    expect(config.handleExit).toBe(true);
    expect(config.batching.enabled).toBe(true);
    expect(DEFAULTS).toMatchObject({ baseUrl: 'https://api.bearlumen.com', timeout: 30_000, maxRetries: 2, handleExit: true, logLevel: 'warn' });
    expect(Object.isFrozen(DEFAULTS)).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('falls back to BEARLUMEN_API_KEY; an explicit apiKey wins', () => {
    expect(resolveConfig({}, { BEARLUMEN_API_KEY: KEY }).apiKey).toBe(KEY);
    expect(resolveConfig(undefined, { BEARLUMEN_API_KEY: KEY }).apiKey).toBe(KEY);
    const other = 'bl_live_otherotherotherother';
    expect(resolveConfig({ apiKey: other }, { BEARLUMEN_API_KEY: KEY }).apiKey).toBe(other);
  });

  it('the client reads BEARLUMEN_API_KEY from process.env', async () => {
    vi.stubEnv('BEARLUMEN_API_KEY', KEY);
    const client = new BearLumen({ handleExit: false });
    await client.shutdown();
    vi.stubEnv('BEARLUMEN_API_KEY', '');
    expect(() => new BearLumen({ handleExit: false })).toThrow(BearLumenValidationError);
  });

  it('requires a key and names both ways to give one', () => {
    const error = validationError(() => resolveConfig({}, {}));
    expect(error.field).toBe('apiKey');
    expect(error.message).toContain('BEARLUMEN_API_KEY');
  });

  it('rejects a key with inner whitespace or control characters without quoting it, naming its source', () => {
    const secret = 'sk_live_This LooksSecret12345';
    const error = validationError(() => resolveConfig({ apiKey: secret }, {}));
    expect(error.field).toBe('apiKey');
    expect(error.message).toMatch(/must not contain whitespace.*found whitespace at position 12/);
    expect(error.message).not.toContain('LooksSecret');
    expect(JSON.stringify(error)).not.toContain('LooksSecret');
    const fromEnv = validationError(() => resolveConfig({}, { BEARLUMEN_API_KEY: 'bl_live_a\u0007b' }));
    expect(fromEnv.field).toBe('BEARLUMEN_API_KEY');
    expect(fromEnv.message).toContain('a control character');
    expect(validationError(() => resolveConfig({ apiKey: 'bl_live_\u2603' }, {})).message).toContain('above U+00FF');
    expect(validationError(() => resolveConfig({ apiKey: 'bl_live_\u{1F600}' }, {})).message).toContain('above U+00FF');
  });

  it('trims surrounding whitespace (a secret file ending in a newline) and accepts any other key format', () => {
    expect(resolveConfig({ apiKey: `  ${KEY}\n` }, {}).apiKey).toBe(KEY);
    expect(resolveConfig({}, { BEARLUMEN_API_KEY: `${KEY}\r\n` }).apiKey).toBe(KEY);
    expect(resolveConfig({ apiKey: 'sk-proj-Future.Format/Key=' }, {}).apiKey).toBe('sk-proj-Future.Format/Key=');
    expect(resolveConfig({ apiKey: 'x' }, {}).apiKey).toBe('x');
  });

  it("apiKey: '' with BEARLUMEN_API_KEY set says the empty apiKey is the problem, not a missing key", () => {
    const error = validationError(() => resolveConfig({ apiKey: '' }, { BEARLUMEN_API_KEY: KEY }));
    expect(error.field).toBe('apiKey');
    expect(error.message).toMatch(/is an empty string.*BEARLUMEN_API_KEY is set but not used/);
    expect(error.message).not.toMatch(/required/);
    expect(validationError(() => resolveConfig({ apiKey: ' \n' }, {})).message).toMatch(/only whitespace.*BEARLUMEN_API_KEY is not set either/);
    expect(validationError(() => resolveConfig({}, { BEARLUMEN_API_KEY: ' ' })).message).toMatch(/required.*BEARLUMEN_API_KEY is set but empty/);
  });

  it.each([
    [{ timeOut: 5 }, 'timeOut', /not a known option/],
    [{ timeout: 0 }, 'timeout', /integer between 1 and 600000/],
    [{ timeout: 1.5 }, 'timeout', /integer/],
    [{ timeout: '30000' }, 'timeout', /integer/],
    [{ timeout: Number.POSITIVE_INFINITY }, 'timeout', /integer/],
    [{ maxRetries: -1 }, 'maxRetries', /between 0 and 10/],
    [{ maxRetries: 11 }, 'maxRetries', /between 0 and 10/],
    [{ baseUrl: 'api.bearlumen.com' }, 'baseUrl', /absolute http\(s\) URL/],
    [{ baseUrl: 'ftp://api.bearlumen.com' }, 'baseUrl', /http or https/],
    [{ baseUrl: 'https://api.bearlumen.com/?x=1' }, 'baseUrl', /query or fragment/],
    [{ baseUrl: 'https://u:p@api.bearlumen.com' }, 'baseUrl', /credentials/],
    [{ baseUrl: 42 }, 'baseUrl', /URL string/],
    [{ logger: {} }, 'logger', /pino-compatible/],
    [{ logger: 'debug' }, 'logger', /pino-compatible/],
    [{ dispatcher: {} }, 'dispatcher', /undici Dispatcher/],
    [{ handleExit: 'yes' }, 'handleExit', /boolean/],
    [{ batching: 'on' }, 'batching', /object/],
    [{ batching: true }, 'batching', /object/],
  ])('rejects %o naming %s', (options, field, rule) => {
    const error = validationError(() => resolveConfig({ apiKey: KEY, ...options }, {}));
    expect(error.field).toBe(field);
    expect(error.rule).toMatch(rule);
  });

  it('rejects a config that is not an object', () => {
    expect(validationError(() => resolveConfig(KEY, {})).field).toBe('config');
  });

  it('keeps a base path and drops a trailing slash', () => {
    expect(resolveConfig({ apiKey: KEY, baseUrl: 'http://127.0.0.1:8080/proxy/' }, {}).baseUrl.href).toBe('http://127.0.0.1:8080/proxy');
  });

  it('accepts any undici Dispatcher, batching false and handleExit false', () => {
    const config = resolveConfig({ apiKey: KEY, dispatcher: new MockAgent(), batching: false, handleExit: false }, {});
    expect(config.batching.enabled).toBe(false);
    expect(config.handleExit).toBe(false);
    expect(config.dispatcher).toBeInstanceOf(MockAgent);
  });

  it('treats keys set to undefined as absent', () => {
    expect(resolveConfig({ apiKey: KEY, timeout: undefined, logger: undefined }, {}).timeout).toBe(30_000);
  });
});

describe('SDK_VERSION', () => {
  it('matches package.json (it is sent in User-Agent)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(SDK_VERSION).toBe(pkg.version);
  });
});
