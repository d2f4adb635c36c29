import { describe, expect, it } from 'vitest';
import {
  BearLumenApiError,
  BearLumenAuthenticationError,
  BearLumenClosedError,
  BearLumenConflictError,
  BearLumenConnectionError,
  BearLumenError,
  BearLumenInvalidRequestError,
  BearLumenNotFoundError,
  BearLumenPayloadTooLargeError,
  BearLumenPermissionError,
  BearLumenRateLimitError,
  BearLumenServerError,
  BearLumenTimeoutError,
  BearLumenValidationError,
} from '@bearlumen/node-sdk';
import { apiErrorFromResponse } from '../../src/errors';

const body = (code: string) => ({ error: { type: 't', code, message: `${code} happened`, param: 'p' }, requestId: 'req_1' });

describe('apiErrorFromResponse', () => {
  it.each([
    [400, BearLumenInvalidRequestError],
    [422, BearLumenInvalidRequestError],
    [401, BearLumenAuthenticationError],
    [403, BearLumenPermissionError],
    [404, BearLumenNotFoundError],
    [409, BearLumenConflictError],
    [413, BearLumenPayloadTooLargeError],
    [429, BearLumenRateLimitError],
    [500, BearLumenServerError],
    [503, BearLumenServerError],
    [418, BearLumenApiError],
  ])('maps %i to %o', (status, cls) => {
    const error = apiErrorFromResponse(status, body('some_code'), 'req_abc');
    expect(error).toBeInstanceOf(cls);
    expect(error).toBeInstanceOf(BearLumenApiError);
    expect(error).toBeInstanceOf(BearLumenError);
    expect(error.status).toBe(status);
    expect(error.code).toBe('some_code');
    expect(error.param).toBe('p');
    expect(error.requestId).toBe('req_abc');
    expect(error.name).toBe(cls.name);
  });

  it('keeps Retry-After on a 429', () => {
    const error = apiErrorFromResponse(429, body('rate_limited'), 'req_1', 1500);
    expect(error).toBeInstanceOf(BearLumenRateLimitError);
    expect((error as BearLumenRateLimitError).retryAfterMs).toBe(1500);
  });

  it('copes with a non-JSON body', () => {
    const error = apiErrorFromResponse(502, '<html>Bad gateway</html>');
    expect(error.code).toBe('http_502');
    expect(error.message).toContain('Bad gateway');
  });
});

describe('error classes', () => {
  it('have stable codes and literal names', () => {
    expect(new BearLumenValidationError('quantity', 'must be ≥ 0', -1)).toMatchObject({ code: 'validation_error', name: 'BearLumenValidationError', field: 'quantity' });
    expect(new BearLumenConnectionError()).toMatchObject({ code: 'connection_error', name: 'BearLumenConnectionError' });
    expect(new BearLumenTimeoutError()).toMatchObject({ code: 'timeout', name: 'BearLumenTimeoutError' });
    expect(new BearLumenTimeoutError()).toBeInstanceOf(BearLumenConnectionError);
    expect(new BearLumenClosedError()).toMatchObject({ code: 'client_closed', name: 'BearLumenClosedError' });
  });

  it('toJSON is plain and carries the request id', () => {
    const json = apiErrorFromResponse(401, body('api_key_invalid'), 'req_9').toJSON();
    expect(json).toMatchObject({ name: 'BearLumenAuthenticationError', code: 'api_key_invalid', status: 401, requestId: 'req_9' });
    expect(JSON.parse(JSON.stringify(json))).toEqual(JSON.parse(JSON.stringify(json)));
  });
});
