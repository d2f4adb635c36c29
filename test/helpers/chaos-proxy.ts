/**
 * A scriptable HTTP proxy on 127.0.0.1 between the SDK and the real server (the stripe-node
 * `nPreviousRequests` idea, taken to every fault the pipeline must survive). Each request takes the
 * first queued rule whose matcher accepts it, or the script's answer, or is forwarded unchanged.
 *
 * Faults: answer a status without forwarding (500/502/503/504, 429 with `Retry-After`), reset the
 * connection before forwarding, forward and let the server commit then reset before replying (the
 * response is lost), forward then answer an error instead of the server's response, and stall past
 * the client's timeout (optionally forwarding afterwards, so the server commits a request the client
 * already gave up on), or send half a committed response and stall the rest of the body. When the upstream is unreachable the client connection is reset, as a dead
 * server's would be.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Agent, request } from 'undici';

/** What the proxy does with one request. */
export type ChaosAction =
  | { kind: 'forward' }
  /** Answer this status (and headers/body) without forwarding: the server never sees the request. */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** Reset the TCP connection (RST) after reading the request, before forwarding it. */
  | { kind: 'reset-before' }
  /** Forward, wait for the server's full response (it has committed), then reset instead of replying. */
  | { kind: 'reset-after' }
  /**
   * Forward, wait for the server's response, then answer `status` instead (a gateway losing the reply),
   * with `body` (default: a JSON error body) of `contentType` (default application/json).
   */
  | { kind: 'forward-then-status'; status: number; body?: string; contentType?: string }
  /**
   * Hold the request `ms` without answering (set it past the client's timeout). Then, when `thenForward`,
   * forward it anyway: the server commits a request whose client has already given up and retried.
   */
  | { kind: 'stall'; ms: number; thenForward?: boolean }
  /** Forward (the server commits), send the status line, headers and half the body, stall `ms`, then reset. */
  | { kind: 'slow-body'; ms: number };

/** A request as the script sees it. */
export interface ChaosRequest {
  /** 1-based number of this request at the proxy. */
  seq: number;
  method: string;
  /** Path and query, e.g. `/v1/usage/events/batch`. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One line of the proxy's log. */
export interface ChaosLogEntry {
  seq: number;
  method: string;
  path: string;
  action: ChaosAction['kind'] | 'upstream-down';
  /** Status the client received, or null when it got none (reset, stall, client gone). */
  status: number | null;
  /** Status the server answered, or null when it was not asked (or was down). */
  upstreamStatus: number | null;
  /** `Date.now()` when the request arrived. */
  at: number;
}

type Matcher = (req: ChaosRequest) => boolean;

/** A running proxy. */
export interface ChaosProxy {
  /** `http://127.0.0.1:<port>`: give it to the SDK as `baseUrl`. */
  readonly url: string;
  readonly port: number;
  /** Every request seen so far, in arrival order. */
  readonly log: readonly ChaosLogEntry[];
  /**
   * Queue actions for the next requests that `match` accepts (default: every request), one action per
   * request in order. Rules are consumed first-come; unmatched requests fall through to the script.
   */
  enqueue(actions: ChaosAction | readonly ChaosAction[], match?: Matcher | string): void;
  /** Decide every request that no queued rule took (return undefined to forward). Replaces any previous script. */
  setScript(script: ((req: ChaosRequest) => ChaosAction | undefined) | undefined): void;
  /** Number of queued rules not yet used. */
  pending(): number;
  /** Point the proxy at another upstream (e.g. a restarted server on another port). */
  setUpstream(url: string): void;
  /** Forget the log and every queued rule and script. */
  reset(): void;
  /** Stop listening, destroy open connections and stalled timers. Idempotent. */
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length', 'proxy-connection', 'upgrade', 'te', 'trailer', 'expect']);

function forwardableHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

function responseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const pathMatcher = (prefix: string): Matcher => (req) => req.path === prefix || req.path.startsWith(`${prefix}?`);

/**
 * Start a chaos proxy in front of `upstream` (e.g. the `url` of `startServer()`), on 127.0.0.1 and a
 * free port.
 */
export async function startChaosProxy(upstream: string): Promise<ChaosProxy> {
  let upstreamUrl = upstream.replace(/\/+$/, '');
  const agent = new Agent({ keepAliveTimeout: 1000, connections: 32 });
  const rules: { match: Matcher; action: ChaosAction }[] = [];
  const log: ChaosLogEntry[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let script: ((req: ChaosRequest) => ChaosAction | undefined) | undefined;
  let seq = 0;
  let isClosed = false;

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const reset = (res: ServerResponse): void => {
    if (!res.socket?.destroyed) res.socket?.resetAndDestroy();
  };

  /** Forwards to the upstream; resolves null when it cannot be reached (down, restarting). */
  async function forward(req: ChaosRequest): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer } | null> {
    try {
      const response = await request(upstreamUrl + req.path, {
        dispatcher: agent,
        method: req.method as 'GET',
        headers: forwardableHeaders(req.headers),
        body: req.method === 'GET' || req.method === 'HEAD' ? null : req.body,
      });
      const body = Buffer.from(await response.body.arrayBuffer());
      return { status: response.statusCode, headers: responseHeaders(response.headers), body };
    } catch {
      // Connection refused or reset by a stopped server: the caller resets the client in turn.
      return null;
    }
  }

  function reply(res: ServerResponse, status: number, headers: Record<string, string | string[]>, body: Buffer | string): boolean {
    if (res.socket === null || res.socket.destroyed) return false;
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(status, { ...headers, 'content-length': String(bytes.length) });
    res.end(bytes);
    return true;
  }

  async function handle(incoming: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(incoming);
    seq += 1;
    const req: ChaosRequest = { seq, method: incoming.method ?? 'GET', path: incoming.url ?? '/', headers: incoming.headers, body };
    const ruleIndex = rules.findIndex((rule) => rule.match(req));
    const action: ChaosAction = ruleIndex >= 0 ? (rules.splice(ruleIndex, 1)[0]?.action ?? { kind: 'forward' }) : (script?.(req) ?? { kind: 'forward' });
    const entry: ChaosLogEntry = { seq, method: req.method, path: req.path, action: action.kind, status: null, upstreamStatus: null, at: Date.now() };
    log.push(entry);

    switch (action.kind) {
      case 'status': {
        const errorBody = action.body ?? JSON.stringify({ error: { type: 'api_error', code: 'chaos', message: `chaos proxy answered ${action.status}` }, requestId: `req_chaos${seq}` });
        if (reply(res, action.status, { 'content-type': 'application/json', ...action.headers }, errorBody)) entry.status = action.status;
        return;
      }
      case 'reset-before':
        reset(res);
        return;
      case 'stall':
        await sleep(action.ms);
        if (action.thenForward === true) {
          const late = await forward(req);
          entry.upstreamStatus = late?.status ?? null;
          if (late !== null && reply(res, late.status, late.headers, late.body)) entry.status = late.status;
        }
        // Without thenForward the client has timed out by now; drop the connection quietly.
        if (!res.writableEnded) reset(res);
        return;
      default:
        break;
    }

    const answer = await forward(req);
    if (answer === null) {
      entry.action = 'upstream-down';
      reset(res);
      return;
    }
    entry.upstreamStatus = answer.status;
    if (action.kind === 'reset-after') {
      reset(res);
      return;
    }
    if (action.kind === 'slow-body') {
      if (res.socket !== null && !res.socket.destroyed) {
        res.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length) });
        res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)));
        entry.status = answer.status;
      }
      await sleep(action.ms);
      reset(res);
      return;
    }
    if (action.kind === 'forward-then-status') {
      const lost = action.body ?? JSON.stringify({ error: { type: 'api_error', code: 'bad_gateway', message: 'chaos proxy lost the response' }, requestId: `req_chaos${seq}` });
      if (reply(res, action.status, { 'content-type': action.contentType ?? 'application/json' }, lost)) entry.status = action.status;
      return;
    }
    if (reply(res, answer.status, answer.headers, answer.body)) entry.status = answer.status;
  }

  const server: Server = createServer({ keepAliveTimeout: 5000 }, (incoming, res) => {
    handle(incoming, res).catch((error: unknown) => {
      // A bug in the proxy must be loud, not a silently hanging test.
      process.stderr.write(`chaos proxy: ${error instanceof Error ? error.stack : String(error)}\n`);
      reset(res);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A reset socket emits ECONNRESET on our side too; it is the fault we asked for.
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('chaos proxy has no TCP address');
  let closing: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    log,
    enqueue(actions, match) {
      const matcher: Matcher = match === undefined ? () => true : typeof match === 'string' ? pathMatcher(match) : match;
      for (const action of Array.isArray(actions) ? actions : [actions as ChaosAction]) rules.push({ match: matcher, action });
    },
    setScript(next) {
      script = next;
    },
    pending: () => rules.length,
    setUpstream(url) {
      upstreamUrl = url.replace(/\/+$/, '');
    },
    reset() {
      rules.length = 0;
      log.length = 0;
      script = undefined;
    },
    close() {
      if (isClosed) return closing ?? Promise.resolve();
      isClosed = true;
      closing = (async () => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await agent.close();
      })();
      return closing;
    },
  };
}
