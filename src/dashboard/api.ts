/**
 * The dashboard's only way to the server: the public `/v1` cost-attribution routes, with the key in
 * the `Authorization` header (never in a URL). Same origin, so the CSP's `connect-src 'self'` holds.
 */
import type { CostDimensionParams, CostDimensionResponse, CostTimeseriesParams, CostTimeseriesResponse } from '../protocol/types';

/** The server refused the key (401/403). */
export class KeyRejectedError extends Error {
  override readonly name = 'KeyRejectedError';
}

/** Any other failure, with the server's message when it sent one. */
export class RequestFailedError extends Error {
  override readonly name = 'RequestFailedError';
}

function query(params: object): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, String(v));
  return search.toString();
}

/** A client bound to one API key. */
export class DashboardApi {
  constructor(readonly apiKey: string) {}

  async #get<T>(path: string, params: object): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${path}?${query(params)}`, { headers: { authorization: `Bearer ${this.apiKey}`, accept: 'application/json' }, cache: 'no-store' });
    } catch {
      throw new RequestFailedError('The server could not be reached. Is `bearlumen serve` still running?');
    }
    if (response.status === 401 || response.status === 403) {
      throw new KeyRejectedError('That API key was not accepted. Paste a key of this server (bl_live_… or bl_test_…).');
    }
    const body: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
      throw new RequestFailedError(typeof message === 'string' ? message : `The server answered ${response.status}.`);
    }
    return body as T;
  }

  /** `GET /v1/cost-attribution/breakdown`. */
  breakdown(params: CostDimensionParams): Promise<CostDimensionResponse> {
    return this.#get('/v1/cost-attribution/breakdown', params);
  }

  /** `GET /v1/cost-attribution/timeseries`. */
  timeseries(params: CostTimeseriesParams): Promise<CostTimeseriesResponse> {
    return this.#get('/v1/cost-attribution/timeseries', params);
  }
}
