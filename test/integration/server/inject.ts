/** A thin `app.inject()` wrapper for server tests: JSON in, status + parsed JSON out. */
import type { ErrorBody } from '../../../src/protocol/types';
import type { StartedServer } from '../../helpers/start-server';

/** Response of an injected request. `body` is typed by the caller; `error` is the error object of a non-2xx body. */
export interface InjectResult<T> {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: T;
  error: ErrorBody['error'] | undefined;
  requestId: string | undefined;
  raw: string;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

/** Request helpers bound to one server and API key. */
export function clientFor(server: StartedServer, apiKey: string = server.apiKey) {
  const send = async <T = unknown>(method: Method, url: string, payload?: unknown, extra: Record<string, string> = {}): Promise<InjectResult<T>> => {
    const headers: Record<string, string> = { authorization: `Bearer ${apiKey}`, ...extra };
    let body: string | Buffer | undefined;
    if (payload !== undefined) {
      body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
      headers['content-type'] ??= 'application/json';
    }
    const res = await server.app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: body }) });
    let parsed: unknown;
    try {
      parsed = res.body === '' ? undefined : JSON.parse(res.body);
    } catch {
      parsed = undefined;
    }
    const errorBody = res.statusCode >= 400 ? (parsed as ErrorBody | undefined) : undefined;
    return {
      status: res.statusCode,
      headers: res.headers,
      body: parsed as T,
      error: errorBody?.error,
      requestId: errorBody?.requestId,
      raw: res.body,
    };
  };
  return {
    get: <T = unknown>(url: string, headers?: Record<string, string>) => send<T>('GET', url, undefined, headers),
    post: <T = unknown>(url: string, payload?: unknown, headers?: Record<string, string>) => send<T>('POST', url, payload, headers),
    patch: <T = unknown>(url: string, payload?: unknown, headers?: Record<string, string>) => send<T>('PATCH', url, payload, headers),
    send,
  };
}

/** Query string from a flat object (undefined values skipped). */
export function qs(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter((e): e is [string, string | number] => e[1] !== undefined);
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
}
