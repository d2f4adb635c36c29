import { describe, expect, it } from 'vitest';
import { schemaErrorToApiError } from '../../../src/server/error-handler';

const err = (keyword: string, instancePath: string, params: Record<string, unknown> = {}, message = 'is bad', schemaPath = '#') => ({ keyword, instancePath, schemaPath, params, message });

describe('schemaErrorToApiError', () => {
  it('missing required property → parameter_missing naming the nested path', () => {
    expect(schemaErrorToApiError([err('required', '/a', { requiredProperties: ['b'] })], 'body', {})).toMatchObject({ code: 'parameter_missing', param: 'a.b', statusCode: 400 });
  });

  it('unknown property → parameter_invalid naming it', () => {
    const e = schemaErrorToApiError([err('boolean', '/extra', {}, 'schema is false', '#/additionalProperties'), err('additionalProperties', '', { additionalProperties: ['extra'] })], 'querystring', { extra: '1' });
    expect(e).toMatchObject({ code: 'parameter_invalid', param: 'extra' });
    expect(e.message).toContain('query parameter');
  });

  it('a value error quotes the received value; unions get one message', () => {
    const e = schemaErrorToApiError([err('minimum', '/limit', {}, 'must be >= 1')], 'querystring', { limit: 0 });
    expect(e).toMatchObject({ param: 'limit', message: 'limit must be >= 1 (got 0)' });
    const u = schemaErrorToApiError([err('type', '/name', {}, 'must be string'), err('type', '/name', {}, 'must be null'), err('anyOf', '/name')], 'body', { name: 5 });
    expect(u.message).toBe('name has an invalid type or value (got 5)');
  });

  it('headers are named as documented and their values are not quoted', () => {
    const e = schemaErrorToApiError([err('maxLength', '/idempotency-key', {}, 'must be shorter')], 'headers', {});
    expect(e).toMatchObject({ param: 'Idempotency-Key', message: 'Idempotency-Key must be shorter' });
  });

  it('a wrong body type at the root names no param', () => {
    const e = schemaErrorToApiError([err('type', '', {}, 'must be object')], 'body', []);
    expect(e.param).toBeUndefined();
    expect(e.code).toBe('parameter_invalid');
  });
});
