import { assertKnownKeys, assertObject, assertString, assertDateTime } from '../internal/validate';
import { ROUTES } from '../protocol/routes';
import type { PriceLookupParams, PriceLookupResponse } from '../protocol/types';
import type { RequestOptions } from '../transport/request-options';
import { APIResource } from './resource';

const LOOKUP_KEYS: ReadonlySet<string> = new Set(['model', 'provider', 'at']);

/** The prices the server applies to LLM token events. */
export class Prices extends APIResource {
  /**
   * Which price the server would apply to events for `model` (and `provider`) at `at` (default now):
   * per token kind, with long-context tiers and the price source; `priced: false` when it has none
   * (such events would cost 0 and count as unpriced). Ask before you send.
   * @throws {BearLumenValidationError} naming `params.<field>` before any request.
   */
  async lookup(params: PriceLookupParams, options?: RequestOptions): Promise<PriceLookupResponse> {
    const input: unknown = params;
    assertObject(input, 'params');
    assertKnownKeys(input, LOOKUP_KEYS, 'params');
    assertString(input['model'], 'params.model');
    if (input['provider'] !== undefined) assertString(input['provider'], 'params.provider', { max: 100 });
    if (input['at'] !== undefined) assertDateTime(input['at'], 'params.at');
    const query = { model: params.model, provider: params.provider, at: params.at };
    return this.context.request<PriceLookupResponse>({ method: 'GET', path: ROUTES.prices, query }, options);
  }
}
