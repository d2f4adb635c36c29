/**
 * Invalid input never reaches the network (fast-check over every SDK method): each case starts from a
 * valid call and breaks it (the whole argument of the wrong type, an unknown key, one field of the
 * wrong type / out of range / too long / malformed, a bad request option, a bad constructor or
 * shutdown option). The call must fail with BearLumenValidationError naming a field, and a local
 * server counting every request must have seen none.
 */
import { createServer, type Server } from 'node:http';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen, BearLumenValidationError } from '@bearlumen/node-sdk';

const SEED = Number(process.env['BEARLUMEN_PROPERTY_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env['BEARLUMEN_FUZZ_RUNS'] ?? 120);
const API_KEY = 'bl_test_validationvalidation0000';

let counter: Server;
let url: string;
let requests = 0;
let client: BearLumen;
const casesPerMethod = new Map<string, number>();

beforeAll(async () => {
  counter = createServer((req, res) => {
    requests += 1;
    req.resume();
    res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"type":"api_error","code":"internal_error","message":"counted"},"requestId":"req_x"}');
  });
  await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
  const address = counter.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  url = `http://127.0.0.1:${address.port}`;
  client = new BearLumen({ apiKey: API_KEY, baseUrl: url, maxRetries: 0, handleExit: false, logger: pino({ level: 'silent' }), batching: { flushIntervalMs: 1 } });
});

afterAll(async () => {
  await client?.shutdown({ timeoutMs: 100 });
  await new Promise<void>((resolve) => counter?.close(() => resolve()));
  const total = [...casesPerMethod.values()].reduce((a, b) => a + b, 0);
  process.stdout.write(`sdk validation fuzz: ${JSON.stringify({ seed: SEED, total, perMethod: Object.fromEntries(casesPerMethod) })}\n`);
});

// ── Invalid values ──────────────────────────────────────────────────────────────────────────────

const notObject = fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }));
const notString = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }), fc.constant({}));
/** Strings no id-like field accepts: empty, or longer than 255 characters. */
const badString = fc.oneof(notString, fc.constant(''), fc.integer({ min: 256, max: 5000 }).map((n) => 'x'.repeat(n)));
const badName = fc.oneof(badString, fc.constantFrom('has space', 'semi;colon', 'é', 'a/b', 'x'.repeat(101)));
const badDate = fc.oneof(notString, fc.constantFrom('', 'yesterday', '2024-13-01T00:00:00Z', '2024-02-30T00:00:00Z', '01/02/2024', 'T', '2024-01-01T25:00:00Z'));
const badInt = (max: number, min = 1): fc.Arbitrary<unknown> =>
  // null is not here: like openai-node, the SDK treats a null option as not given (the default applies).
  fc.oneof(fc.string(), fc.boolean(), fc.constant(1.5), fc.constant(Number.NaN), fc.constant(Number.POSITIVE_INFINITY), fc.integer({ min: min - 1e6, max: min - 1 }), fc.integer({ min: max + 1, max: max + 1e6 }));
const badQuantity = fc.oneof(notString.filter((v) => typeof v !== 'number'), fc.string(), fc.constant(-1), fc.constant(1.5), fc.constant(Number.NaN), fc.constant(Number.POSITIVE_INFINITY), fc.constant(1e16));
const badMetadata = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.array(fc.integer(), { maxLength: 2 }), fc.integer({ min: 10_300, max: 40_000 }).map((n) => ({ pad: 'x'.repeat(n) })));
const badKey = fc.oneof(badString, fc.constantFrom('tab\there', 'new\nline', 'é', '\u0000'));
const unknownKey = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'].includes(k));

type Fields = Record<string, fc.Arbitrary<unknown>>;

/** A valid object with one thing wrong: a field's value, or an extra unknown key; or not an object at all. */
function broken(valid: () => Record<string, unknown>, fields: Fields): fc.Arbitrary<unknown> {
  const names = Object.keys(fields);
  return fc.oneof(
    notObject.filter((v) => v !== undefined),
    fc.constantFrom(...names).chain((name) => (fields[name] as fc.Arbitrary<unknown>).map((value) => ({ ...valid(), [name]: value }))),
    unknownKey.filter((k) => !names.includes(k)).map((key) => ({ ...valid(), [key]: 1 })),
  );
}

const iso = (ms: number): string => new Date(ms).toISOString();
const validEvent = (): Record<string, unknown> => ({ eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: 10 });
const eventFields: Fields = {
  eventType: badName,
  metricName: badName,
  quantity: badQuantity,
  subscriptionId: badString,
  idempotencyKey: badKey,
  timestamp: badDate,
  metadata: badMetadata,
  agent_id: badString,
  workflow_id: badString,
};
const userFields: Fields = { externalId: badString, name: notString, email: fc.oneof(notString, fc.constantFrom('no-at-sign', 'a@b', '@b.c', 'a b@c.d')), metadata: badMetadata };
const subscriptionFields: Fields = { userId: badString, pricingPlanId: badString, currentPeriodStart: badDate, currentPeriodEnd: badDate, stripeSubscriptionId: notString, metadata: badMetadata };
const validSubscription = (): Record<string, unknown> => ({ userId: 'eu_1', pricingPlanId: 'plan', currentPeriodStart: iso(0), currentPeriodEnd: iso(86_400_000) });
const pageFields: Fields = { limit: badInt(1000), offset: badInt(Number.MAX_SAFE_INTEGER - 1, 0).filter((v) => typeof v !== 'number' || v < 0 || !Number.isInteger(v)) };
const rangeFields: Fields = { startDate: badDate, endDate: badDate };
const filterFields: Fields = { ...rangeFields, subscriptionId: badString, metricName: badName, eventType: badName };
const range = (): Record<string, unknown> => ({ startDate: '2024-01-01', endDate: '2024-02-01' });
const badOptions = broken(() => ({ timeout: 1000 }), { timeout: badInt(600_000), maxRetries: badInt(10, 0), signal: fc.oneof(fc.string(), fc.integer(), fc.constant({})), idempotencyKey: badKey });

/** Every public method with the argument that breaks it. */
const METHODS: { name: string; invalid: fc.Arbitrary<unknown>; call: (arg: unknown) => unknown }[] = [
  { name: 'endUsers.create', invalid: broken(() => ({ externalId: 'u1', name: 'n' }), userFields), call: (a) => client.endUsers.create(a as never) },
  { name: 'endUsers.update(id)', invalid: badString, call: (a) => client.endUsers.update(a as never, { name: 'n' }) },
  { name: 'endUsers.update(data)', invalid: broken(() => ({ name: 'n' }), { name: notString, email: userFields['email'] as fc.Arbitrary<unknown>, metadata: badMetadata }), call: (a) => client.endUsers.update('eu_1', a as never) },
  { name: 'endUsers.list', invalid: broken(() => ({ status: 'ACTIVE' }), { status: fc.oneof(notString, fc.constantFrom('active', 'DELETED', '')), ...pageFields }), call: (a) => client.endUsers.list(a as never) },
  { name: 'endUsers.iterate', invalid: broken(() => ({ limit: 10 }), pageFields), call: (a) => client.endUsers.iterate(a as never).next() },
  { name: 'endUsers.deactivate', invalid: badString, call: (a) => client.endUsers.deactivate(a as never) },
  { name: 'endUsers.reactivate', invalid: badString, call: (a) => client.endUsers.reactivate(a as never) },
  { name: 'subscriptions.create', invalid: fc.oneof(broken(validSubscription, subscriptionFields), fc.constant({ ...validSubscription(), currentPeriodEnd: iso(0) })), call: (a) => client.subscriptions.create(a as never) },
  { name: 'subscriptions.retrieve', invalid: badString, call: (a) => client.subscriptions.retrieve(a as never) },
  { name: 'subscriptions.update(data)', invalid: broken(() => ({ pricingPlanId: 'p' }), { pricingPlanId: badString, currentPeriodStart: badDate, currentPeriodEnd: badDate, metadata: badMetadata }), call: (a) => client.subscriptions.update('sub_1', a as never) },
  { name: 'subscriptions.update(id)', invalid: badString, call: (a) => client.subscriptions.update(a as never, { pricingPlanId: 'p' }) },
  { name: 'subscriptions.cancel', invalid: badString, call: (a) => client.subscriptions.cancel(a as never) },
  { name: 'subscriptions.list', invalid: broken(() => ({ userId: 'eu_1' }), { userId: badString, status: fc.constantFrom('active', 'PAUSED', ''), ...pageFields }), call: (a) => client.subscriptions.list(a as never) },
  { name: 'usage.record', invalid: broken(validEvent, eventFields), call: (a) => client.usage.record(a as never) },
  {
    name: 'usage.recordBatch',
    invalid: fc.oneof(
      notObject.filter((v) => !Array.isArray(v)),
      fc.constant([]),
      fc.constant(Array.from({ length: 1001 }, validEvent)),
      fc.tuple(broken(validEvent, eventFields), fc.nat(5)).map(([bad, at]) => [...Array.from({ length: at }, validEvent), bad, validEvent()]),
    ),
    call: (a) => client.usage.recordBatch(a as never),
  },
  { name: 'usage.query', invalid: broken(range, { ...filterFields, ...pageFields, agent_id: badString, workflow_id: badString }), call: (a) => client.usage.query(a as never) },
  { name: 'usage.iterate', invalid: broken(range, { ...filterFields, ...pageFields }), call: (a) => client.usage.iterate(a as never).next() },
  { name: 'usage.aggregation', invalid: fc.oneof(broken(range, { ...filterFields, windowSize: fc.constantFrom('WEEK', 'hour', '') }), fc.constant({ startDate: '2024-02-01', endDate: '2024-01-01' })), call: (a) => client.usage.aggregation(a as never) },
  { name: 'usage.summary', invalid: broken(range, filterFields), call: (a) => client.usage.summary(a as never) },
  { name: 'costAttribution.byAgent', invalid: fc.oneof(broken(range, rangeFields), fc.constant({}), fc.constant(undefined)), call: (a) => client.costAttribution.byAgent(a as never) },
  { name: 'costAttribution.byWorkflow', invalid: fc.oneof(broken(range, rangeFields), fc.constant({ startDate: '2024-01-01' })), call: (a) => client.costAttribution.byWorkflow(a as never) },
  { name: 'costAttribution.listAgents', invalid: broken(range, rangeFields), call: (a) => client.costAttribution.listAgents(a as never) },
  { name: 'costAttribution.listWorkflows', invalid: broken(range, rangeFields), call: (a) => client.costAttribution.listWorkflows(a as never) },
  { name: 'options (RequestOptions)', invalid: badOptions, call: (a) => client.endUsers.list({}, a as never) },
];

async function expectRefusedLocally(name: string, call: () => unknown): Promise<void> {
  casesPerMethod.set(name, (casesPerMethod.get(name) ?? 0) + 1);
  let error: unknown;
  try {
    await call();
  } catch (caught) {
    error = caught;
  }
  expect(error, `${name} accepted the input`).toBeInstanceOf(BearLumenValidationError);
  const { field, message } = error as BearLumenValidationError;
  expect(field.length).toBeGreaterThan(0);
  expect(message).toContain(field);
  // A record() that slipped through would be sent on the next flush: flush before counting.
  await client.flush();
  expect(requests, `${name} sent a request`).toBe(0);
}

describe('property: invalid SDK input never reaches the network', () => {
  for (const method of METHODS) {
    it(`${method.name}: BearLumenValidationError naming the field, zero requests`, async () => {
      await fc.assert(fc.asyncProperty(method.invalid, (arg) => expectRefusedLocally(method.name, () => method.call(arg))), { numRuns: RUNS, seed: SEED, endOnFailure: true });
    });
  }

  it('new BearLumen(config): every bad option throws at construction', async () => {
    const config = broken(() => ({ apiKey: API_KEY, baseUrl: url }), {
      // Any key format is accepted; only an empty key or inner whitespace/control characters are not.
      apiKey: fc.oneof(notString, fc.constantFrom('', ' \n', 'bl_live_1234 567890abcdef', 'bl_live_1234\u0000abcdef', 'bl_live_\u2603')),
      baseUrl: fc.oneof(notString, fc.constantFrom('', 'localhost:8080', 'ftp://x.example', 'http://u:p@x.example', 'http://x.example/?q=1')),
      timeout: badInt(600_000),
      maxRetries: badInt(10, 0),
      handleExit: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      logger: fc.oneof(fc.string(), fc.constant({}), fc.constant({ info: () => undefined })),
      dispatcher: fc.oneof(fc.string(), fc.constant({})),
      batching: fc.oneof(
        fc.string(),
        fc.constant({ maxBatchSize: 1001 }),
        fc.constant({ flushIntervalMs: 0 }),
        fc.constant({ overflow: 'drop' }),
        fc.constant({ retryBaseMs: 100, retryMaxMs: 10 }),
        fc.constant({ unknownOption: 1 }),
        fc.constant({ maxBatchSize: 500, maxBufferedEvents: 100 }),
        fc.constant({ enabled: false, flushIntervalMs: 5 }),
        fc.constant({ blockTimeoutMs: 100 }),
      ),
    });
    await fc.assert(fc.asyncProperty(config, (c) => expectRefusedLocally('new BearLumen', () => new BearLumen(c as never))), { numRuns: RUNS, seed: SEED, endOnFailure: true });
  });

  it('shutdown(options): a bad option is refused before anything is flushed', async () => {
    const options = broken(() => ({ timeoutMs: 10 }), { timeoutMs: badInt(2_147_483_647, 0) });
    await fc.assert(
      fc.asyncProperty(options, async (o) => {
        const own = new BearLumen({ apiKey: API_KEY, baseUrl: url, handleExit: false, logger: pino({ level: 'silent' }) });
        await expectRefusedLocally('shutdown', () => own.shutdown(o as never));
      }),
      { numRuns: Math.ceil(RUNS / 4), seed: SEED, endOnFailure: true },
    );
  });
});
