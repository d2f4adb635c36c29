import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type StartedServer } from '../../helpers/start-server';
import { clientFor } from './inject';

// Random input on every route: the server answers 2xx or 4xx with the error body, never 5xx.
let server: StartedServer;
let api: ReturnType<typeof clientFor>;

beforeAll(async () => {
  server = await startServer();
  api = clientFor(server);
});
afterAll(async () => server.close());

const RUNS = 60;
const eventLike = fc.record(
  {
    eventType: fc.oneof(fc.string(), fc.constantFrom('token_usage', 'x')),
    metricName: fc.oneof(fc.string(), fc.constantFrom('llm_tokens', 'llm_tokens_output', 'api_calls')),
    quantity: fc.oneof(fc.double(), fc.integer(), fc.string(), fc.constant(null)),
    subscriptionId: fc.oneof(fc.string(), fc.integer()),
    idempotencyKey: fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.integer()),
    timestamp: fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())),
    metadata: fc.oneof(fc.jsonValue(), fc.dictionary(fc.constantFrom('model', 'provider', 'cost', 'agent_id', 'token_type'), fc.jsonValue())),
    agent_id: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

function expectClientAnswer(res: { status: number; error: unknown; raw: string }): void {
  expect(res.status, res.raw).toBeLessThan(500);
  if (res.status >= 400) expect(res.error, res.raw).toMatchObject({ code: expect.any(String), type: expect.any(String), message: expect.any(String) });
}

describe('never a 5xx for bad input', () => {
  it.each(['/v1/end-users', '/v1/subscriptions', '/v1/usage/events', '/v1/usage/events/batch', '/v1/end-users/eu_x/deactivate', '/v1/subscriptions/sub_x/cancel'])(
    'POST %s with arbitrary JSON',
    async (url) => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.jsonValue(), eventLike, fc.record({ events: fc.array(fc.oneof(eventLike, fc.jsonValue()), { maxLength: 5 }) })), async (body) => {
          expectClientAnswer(await api.post(url, JSON.stringify(body) ?? 'null'));
        }),
        { numRuns: RUNS },
      );
    },
  );

  it.each(['/v1/end-users/eu_x', '/v1/subscriptions/sub_x'])('PATCH %s with arbitrary JSON', async (url) => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (body) => {
        expectClientAnswer(await api.patch(url, JSON.stringify(body) ?? 'null'));
      }),
      { numRuns: RUNS },
    );
  });

  it.each(['/v1/end-users', '/v1/subscriptions', '/v1/usage/events', '/v1/usage/aggregation', '/v1/usage/summary', '/v1/cost-attribution/by-agent', '/v1/cost-attribution/workflows'])(
    'GET %s with arbitrary query strings',
    async (url) => {
      const key = fc.constantFrom('limit', 'offset', 'status', 'startDate', 'endDate', 'windowSize', 'subscriptionId', 'metricName', 'agent_id', 'x');
      await fc.assert(
        fc.asyncProperty(fc.dictionary(key, fc.oneof(fc.string(), fc.integer().map(String), fc.bigInt().map(String), fc.double().map(String), fc.constantFrom('2026-01-01', 'DAY', '1e3', '-0', 'NaN', '100000000000000000000'))), async (params) => {
          expectClientAnswer(await api.get(`${url}?${new URLSearchParams(params).toString()}`));
        }),
        { numRuns: RUNS },
      );
    },
  );

  it('raw bytes that are not JSON', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        expectClientAnswer(await api.post('/v1/usage/events/batch', Buffer.from(bytes)));
        expectClientAnswer(await api.post('/v1/usage/events/batch', Buffer.from(bytes), { 'content-type': 'application/json', 'content-encoding': 'gzip' }));
      }),
      { numRuns: RUNS },
    );
  });
});
