/**
 * A local stand-in for the LLM providers on 127.0.0.1, port 0: it answers every POST with a fixture
 * from test/fixtures/providers/ exactly as stored (JSON, or server-sent events written one event at a
 * time). The real provider SDKs are pointed at it. Per request, headers choose the behaviour:
 * - `x-fake-scenario: openai/chat-stream.sse` the fixture (for a request with
 *   `stream_options.include_usage: true`, the `.include-usage.sse` variant when one exists, as OpenAI
 *   sends a different stream then);
 * - `x-fake-status: 529` answer with that status;
 * - `x-fake-cut-after: 3` write 3 events, then destroy the socket (a stream cut midway);
 * - `x-fake-gate: 1` write the first event, then wait for `release()` before the rest.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const FIXTURES = new URL('../fixtures/providers/', import.meta.url);

/** A received request. */
export interface UpstreamRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

/** A running fake upstream. */
export interface FakeUpstream {
  /** e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string;
  /** Every request received, in order. */
  requests: UpstreamRequest[];
  /** Responses the upstream has finished writing (or cut). */
  finished(): number;
  /** Let gated streams (`x-fake-gate`) continue. */
  release(): void;
  close(): Promise<void>;
}

/** The fixture's text. */
export function fixtureText(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

/** The `data:` payloads of an SSE fixture, in order, as sent. */
export function sseData(name: string): string[] {
  return fixtureText(name)
    .split(/\r?\n\r?\n/)
    .flatMap((block) => block.split(/\r?\n/).filter((line) => line.startsWith('data: ')).map((line) => line.slice('data: '.length)));
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Start the fake upstream. `defaultScenario` answers requests without an `x-fake-scenario` header (e.g. from examples/). */
export async function startFakeUpstream(defaultScenario?: string): Promise<FakeUpstream> {
  const requests: UpstreamRequest[] = [];
  let finished = 0;
  let releaseGate: () => void = () => undefined;
  let gate = new Promise<void>((resolve) => (releaseGate = resolve));

  const respond = async (req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> => {
    const body = raw === '' ? {} : (JSON.parse(raw) as Record<string, unknown>);
    requests.push({ path: req.url ?? '', headers: req.headers, body });
    let scenario = header(req, 'x-fake-scenario') ?? defaultScenario;
    if (scenario === undefined) {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"no x-fake-scenario header"}}');
      return;
    }
    const streamOptions = body['stream_options'] as { include_usage?: unknown } | undefined;
    const variant = scenario.replace(/\.sse$/, '.include-usage.sse');
    if (streamOptions?.include_usage === true && variant !== scenario && existsSync(new URL(variant, FIXTURES))) scenario = variant;
    const text = fixtureText(scenario);
    const status = Number(header(req, 'x-fake-status') ?? 200);
    if (!scenario.endsWith('.sse')) {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_fake' }).end(text);
      return;
    }
    res.writeHead(status, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    // Events end with a blank line: \n\n, or \r\n\r\n as Gemini sends them (kept byte for byte).
    const events = text.split(/(?<=\r?\n\r?\n)/).filter((e) => e !== '');
    const cutAfter = Number(header(req, 'x-fake-cut-after') ?? Number.POSITIVE_INFINITY);
    const gated = header(req, 'x-fake-gate') === '1';
    for (const [i, event] of events.entries()) {
      if (i === cutAfter) {
        res.socket?.destroy();
        return;
      }
      // Cutting: the events before the cut must leave first (destroy() drops what is still queued).
      await new Promise<void>((resolve) => res.write(event, () => resolve()));
      if (i === 0 && gated) await gate;
    }
    res.end();
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      respond(req, res, Buffer.concat(chunks).toString('utf8'))
        .catch((error: unknown) => {
          if (!res.headersSent) res.writeHead(500).end(String(error));
        })
        .finally(() => {
          finished += 1;
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    finished: () => finished,
    release: () => {
      releaseGate();
      gate = new Promise<void>((resolve) => (releaseGate = resolve));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
