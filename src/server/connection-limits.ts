/**
 * How long the server lets one client hold a socket, and the error bodies it writes on the socket
 * when Node refuses a request before fastify sees it (an oversize header, a request that took too
 * long to arrive, an unparsable request line). See docs/server.md, "Timeouts".
 *
 * fastify disables Node's request timeout by default (`requestTimeout: 0`), so without these a
 * client that sends its headers and then a slow or absent body holds its socket forever.
 */
import { STATUS_CODES, type ServerOptions as HttpServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyServerOptions } from 'fastify';
import type { ErrorBody } from '../protocol/types';
import { ERROR_CODES, SHOULD_RETRY_HEADER } from '../protocol/error-codes';
import { ApiError } from './errors';
import { newId } from './ids';

/** The four socket timeouts of the server, in milliseconds (0 disables one; not recommended). */
export interface ServerTimeouts {
  /**
   * A socket with no traffic in either direction for this long is closed (Node's `server.setTimeout`).
   * @default 60_000
   */
  connectionMs: number;
  /**
   * The whole request (headers and body) must arrive within this long, else 408 and the socket closes.
   * @default 30_000
   */
  requestMs: number;
  /**
   * The request's headers must arrive within this long, else 408 and the socket closes. At most `requestMs`.
   * @default 10_000
   */
  headersMs: number;
  /**
   * An idle keep-alive socket is closed after this long. Longer than the 60 s idle timeout of common
   * load balancers, so the balancer, not the server, closes an idle connection first.
   * @default 72_000
   */
  keepAliveMs: number;
}

/** The defaults of `ServerTimeouts` (see its fields). */
export const DEFAULT_SERVER_TIMEOUTS: Readonly<ServerTimeouts> = Object.freeze({
  connectionMs: 60_000,
  requestMs: 30_000,
  headersMs: 10_000,
  keepAliveMs: 72_000,
});

const TIMEOUT_FIELDS = ['connectionMs', 'requestMs', 'headersMs', 'keepAliveMs'] as const;

/**
 * Complete and check the timeouts of `createServer({ timeouts })`.
 * @throws {TypeError} naming the field when one is not a non-negative integer, or when `headersMs`
 *   exceeds a non-zero `requestMs` (Node refuses that combination).
 */
export function resolveTimeouts(partial: Partial<ServerTimeouts> = {}): ServerTimeouts {
  const timeouts: ServerTimeouts = { ...DEFAULT_SERVER_TIMEOUTS };
  for (const field of TIMEOUT_FIELDS) {
    const value = partial[field];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new TypeError(`timeouts.${field} must be an integer number of milliseconds >= 0 (got ${String(value)})`);
    }
    timeouts[field] = value;
  }
  // A short request deadline given alone also shortens the header deadline it would otherwise exceed.
  if (partial.headersMs === undefined && timeouts.requestMs > 0) timeouts.headersMs = Math.min(timeouts.headersMs, timeouts.requestMs);
  if (timeouts.requestMs > 0 && (timeouts.headersMs === 0 || timeouts.headersMs > timeouts.requestMs)) {
    throw new TypeError(`timeouts.headersMs must be > 0 and <= timeouts.requestMs (${timeouts.requestMs}) (got ${timeouts.headersMs})`);
  }
  return timeouts;
}

/**
 * The fastify options that apply `timeouts`. Node checks the request and header deadlines on a
 * timer (30 s apart by default, which would let a 10 s deadline run to 40 s); here the check runs
 * every quarter of the shorter deadline, at most once a second.
 */
export function timeoutOptions(timeouts: ServerTimeouts): Pick<FastifyServerOptions, 'connectionTimeout' | 'keepAliveTimeout' | 'requestTimeout'> & {
  http: HttpServerOptions;
} {
  const deadlines = [timeouts.requestMs, timeouts.headersMs].filter((ms) => ms > 0);
  const checkEvery = deadlines.length === 0 ? 30_000 : Math.max(10, Math.min(1_000, Math.floor(Math.min(...deadlines) / 4)));
  return {
    // fastify treats 0 as "use my default", so a disabled timeout is passed as the largest delay.
    connectionTimeout: timeouts.connectionMs === 0 ? 2 ** 31 - 1 : timeouts.connectionMs,
    keepAliveTimeout: timeouts.keepAliveMs === 0 ? 2 ** 31 - 1 : timeouts.keepAliveMs,
    requestTimeout: timeouts.requestMs,
    http: { requestTimeout: timeouts.requestMs, headersTimeout: timeouts.headersMs, connectionsCheckingInterval: checkEvery },
  };
}

/** The protocol error for a request Node refused before routing (see `clientErrorHandler`). */
function clientApiError(code: string | undefined): ApiError {
  if (code === 'HPE_HEADER_OVERFLOW') return new ApiError('headers_too_large', 'The request headers are too large (limit 16 KiB in total)');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new ApiError('request_timeout', 'The request did not arrive in time; the connection is closed');
  return new ApiError('parameter_invalid', 'The request is not valid HTTP');
}

/**
 * fastify's `clientErrorHandler`: answers with the protocol's error body and an `x-request-id`,
 * as every other error answer does, then closes the socket. A reset socket gets nothing.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const apiError = clientApiError(error.code);
  const requestId = newId('req_');
  const wire: ErrorBody = { error: { type: apiError.type, code: apiError.code, message: apiError.message }, requestId };
  const body = JSON.stringify(wire);
  if (socket.writable) {
    const status = apiError.statusCode;
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `x-request-id: ${requestId}\r\n${SHOULD_RETRY_HEADER}: ${ERROR_CODES[apiError.code].retryable}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
