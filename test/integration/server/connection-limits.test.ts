import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiKey, createServer, SqliteStore, type BearLumenServer, type ServerTimeouts } from '@bearlumen/node-sdk/server';

// The server closes sockets of clients that never finish their request, and answers requests Node
// refuses before routing (too late, oversize headers) with the protocol's error body. Raw sockets
// to 127.0.0.1 play the misbehaving client; no assertion depends on how long anything took.

let app: BearLumenServer | undefined;
const clients: Socket[] = [];
afterEach(async () => {
  // A client the server failed to close would otherwise hold app.close() open.
  for (const socket of clients.splice(0)) socket.destroy();
  await app?.close();
  app = undefined;
});

async function start(timeouts: Partial<ServerTimeouts> = {}): Promise<{ port: number; key: string }> {
  const store = SqliteStore.open(':memory:');
  app = await createServer({ store, prices: '', timeouts });
  const key = await createApiKey(store, 'acme');
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address !== 'object') throw new Error('no port');
  return { port: address.port, key };
}

/** A raw client: collects what the server writes, resolves `closed` when the server ends the socket. */
function rawClient(port: number): { socket: Socket; received: () => string; closed: Promise<void>; isClosed: () => boolean } {
  const socket = connect({ host: '127.0.0.1', port });
  clients.push(socket);
  let data = '';
  let done = false;
  socket.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) =>
    socket.on('close', () => {
      done = true;
      resolve();
    }),
  );
  return { socket, received: () => data, closed, isClosed: () => done };
}

/** Split a raw HTTP/1.1 answer into status, lower-cased headers and the JSON body. */
function parseAnswer(raw: string): { status: number; headers: Record<string, string>; body: unknown } {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const at = line.indexOf(':');
    headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: body === '' ? undefined : JSON.parse(body) };
}

const envelope = (code: string): unknown => ({
  error: { type: 'invalid_request_error', code, message: expect.any(String) },
  requestId: expect.stringMatching(/^req_/),
});

describe('server timeouts', () => {
  it('closes a socket whose body never finishes with a 408 error body, while other clients are served', async () => {
    // Long enough that the healthy requests below finish first on a loaded machine.
    const { port, key } = await start({ requestMs: 3_000, headersMs: 1_000 });
    const slow = rawClient(port);
    slow.socket.write(
      `POST /v1/usage/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"eventType":`,
    );

    for (let i = 0; i < 3; i += 1) {
      const res = await fetch(`http://127.0.0.1:${port}/v1/end-users`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
    }
    expect(slow.isClosed()).toBe(false);

    await slow.closed;
    const answer = parseAnswer(slow.received());
    expect(answer.status).toBe(408);
    expect(answer.body).toEqual(envelope('request_timeout'));
    expect(answer.headers['x-request-id']).toBe((answer.body as { requestId: string }).requestId);
  });

  it('closes a socket whose headers never finish', async () => {
    const { port } = await start({ requestMs: 600, headersMs: 300 });
    const slow = rawClient(port);
    slow.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    await slow.closed;
    expect(parseAnswer(slow.received()).status).toBe(408);
  });

  it('closes a connection that sends nothing', async () => {
    const { port } = await start({ connectionMs: 300, requestMs: 600, headersMs: 300 });
    const silent = rawClient(port);
    await silent.closed;
    expect(silent.isClosed()).toBe(true);
  });

  it('closes an idle keep-alive socket after its last answer', async () => {
    const { port } = await start({ keepAliveMs: 200 });
    const client = rawClient(port);
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await client.closed;
    const answer = parseAnswer(client.received());
    expect(answer.status).toBe(200);
    expect(answer.headers['connection']).toBe('keep-alive');
  });

  it('rejects timeouts that are not non-negative integers, naming the field', async () => {
    const store = SqliteStore.open(':memory:');
    try {
      await expect(createServer({ store, prices: '', timeouts: { requestMs: -1 } })).rejects.toThrow('timeouts.requestMs must be an integer');
      await expect(createServer({ store, prices: '', timeouts: { requestMs: 1_000, headersMs: 5_000 } })).rejects.toThrow('timeouts.headersMs must be > 0 and <= timeouts.requestMs');
    } finally {
      await store.close();
    }
  });
});

describe('errors before routing carry the error body', () => {
  it('answers an oversize header with 431 and the protocol error body', async () => {
    const { port } = await start();
    const client = rawClient(port);
    client.socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    await client.closed;
    const answer = parseAnswer(client.received());
    expect(answer.status).toBe(431);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.body).toEqual(envelope('headers_too_large'));
    expect(answer.headers['x-request-id']).toBe((answer.body as { requestId: string }).requestId);
  });

  it('answers a request line that is not HTTP with 400 and the error body', async () => {
    const { port } = await start();
    const client = rawClient(port);
    client.socket.write('NOT HTTP AT ALL\r\n\r\n');
    await client.closed;
    const answer = parseAnswer(client.received());
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual(envelope('parameter_invalid'));
  });
});
