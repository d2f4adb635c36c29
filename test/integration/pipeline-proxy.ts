/**
 * A tiny HTTP proxy in front of the real server for pipeline tests: it can hold requests until
 * released (a slow server, so the buffer fills) and answer 413 to bodies over a size (a server with a
 * smaller body limit). Everything else is forwarded unchanged, so the real server decides the outcome.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';

export interface PipelineProxy {
  url: string;
  /** Batch requests received (decoded event counts), in order. */
  readonly batchSizes: number[];
  /** When each batch request arrived (Date.now()), in order. */
  readonly batchTimes: number[];
  /** Every request (any path), in order: method, path and Content-Encoding as received. */
  readonly requests: Array<{ method: string; path: string; contentEncoding: string | undefined }>;
  /** Answers for the next batch requests instead of forwarding them, e.g. a 503 with Retry-After. */
  readonly failNext: Array<{ status: number; headers?: Record<string, string> }>;
  /** Hold every request until `release()`. */
  hold(): void;
  /** Forward every held request and stop holding. */
  release(): void;
  /** Answer 413 to bodies whose decoded size exceeds this many bytes (undefined: never). */
  maxBodyBytes: number | undefined;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startPipelineProxy(target: string): Promise<PipelineProxy> {
  const targetUrl = new URL(target);
  let isHolding = false;
  let held: Array<() => void> = [];
  const batchSizes: number[] = [];
  const batchTimes: number[] = [];
  const requests: PipelineProxy['requests'] = [];
  const failNext: PipelineProxy['failNext'] = [];
  const proxy: PipelineProxy = {
    url: '',
    batchSizes,
    batchTimes,
    requests,
    failNext,
    maxBodyBytes: undefined,
    hold: () => {
      isHolding = true;
    },
    release: () => {
      isHolding = false;
      const waiting = held;
      held = [];
      for (const forward of waiting) forward();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const encoding = req.headers['content-encoding'];
      requests.push({ method: req.method ?? '', path: req.url ?? '', contentEncoding: Array.isArray(encoding) ? encoding[0] : encoding });
      const decoded = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      if (req.url?.endsWith('/usage/events/batch') === true) {
        batchSizes.push((JSON.parse(decoded.toString('utf8')) as { events: unknown[] }).events.length);
        batchTimes.push(Date.now());
        const failure = failNext.shift();
        if (failure !== undefined) {
          res.writeHead(failure.status, { 'content-type': 'application/json', ...failure.headers });
          res.end(JSON.stringify({ error: { type: 'api_error', code: 'unavailable', message: 'try later' }, requestId: 'req_proxy' }));
          return;
        }
      }
      if (proxy.maxBodyBytes !== undefined && decoded.length > proxy.maxBodyBytes) {
        res.writeHead(413, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { type: 'invalid_request_error', code: 'payload_too_large', message: 'Request body is too large' }, requestId: 'req_proxy' }));
        return;
      }
      const forward = (): void => {
        const upstream = request(
          { host: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers: { ...req.headers, host: targetUrl.host } },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => {
          res.writeHead(502);
          res.end();
        });
        upstream.end(raw);
      };
      if (isHolding) held.push(forward);
      else forward();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
  proxy.url = `http://127.0.0.1:${address.port}`;
  return proxy;
}
