/**
 * Bad input never gets in (fast-check over every route, through `app.inject()`): arbitrary JSON,
 * wrong types, huge strings, deep nesting, invalid UTF-8, wrong content types, truncated bodies,
 * Content-Length lies, bad gzip, junk query strings and ids. The server always answers a 4xx JSON
 * error carrying the request id (never a 5xx), and the database is unchanged: a digest of every
 * table, read through a second read-only connection to the file, is compared before and after.
 * Oversized bodies (plain and a gzip bomb) are 413, once per body route.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createApiKey, createServer, createStore, SqliteStore, type BearLumenServer, type Store } from '@bearlumen/node-sdk/server';
import { createTestSchema, hasPostgres } from '../helpers/postgres-database';

const SEED = Number(process.env['BEARLUMEN_PROPERTY_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const RUNS_PER_ROUTE = Number(process.env['BEARLUMEN_FUZZ_RUNS'] ?? 120);

let app: BearLumenServer;
let auth: string;
let userId: string;
let subscriptionId: string;
/** A digest of every row of every table of the current engine: any write shows up as a different digest. */
let snapshot: () => Promise<string>;
const casesPerRoute = new Map<string, number>();
const acceptedPerRoute = new Map<string, number>();

/** A store plus a second connection that digests all its tables. */
interface FuzzEngine {
  store: Store;
  snapshot(): Promise<string>;
  dispose(): Promise<void>;
}

async function openSqlite(): Promise<FuzzEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'bearlumen-fuzz-'));
  const path = join(dir, 'fuzz.db');
  const store = SqliteStore.open(path);
  const reader = new Database(path, { readonly: true, fileMustExist: true });
  return {
    store,
    async snapshot() {
      const hash = createHash('sha256');
      const tables = reader.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
      for (const { name } of tables) {
        hash.update(name);
        // Rows sorted as text: some tables (the rollups) are WITHOUT ROWID, and only the content matters.
        const rows = reader.prepare(`SELECT * FROM "${name}"`).raw().all().map((row) => JSON.stringify(row));
        for (const row of rows.sort()) hash.update(row);
      }
      return hash.digest('hex');
    },
    async dispose() {
      reader.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function openPostgres(): Promise<FuzzEngine> {
  const schema = await createTestSchema('fuzz');
  const store = await createStore({ databaseUrl: schema.url, poolSize: 2 });
  const reader = new pg.Client({ connectionString: schema.url });
  await reader.connect();
  return {
    store,
    async snapshot() {
      const hash = createHash('sha256');
      const tables = await reader.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1");
      for (const { name } of tables.rows) {
        hash.update(name);
        const rows = await reader.query({ text: `SELECT * FROM "${name}"`, rowMode: 'array' });
        for (const row of rows.rows.map((r) => JSON.stringify(r)).sort()) hash.update(row);
      }
      return hash.digest('hex');
    },
    async dispose() {
      await reader.end();
      await schema.drop();
    },
  };
}

/** SQLite always; PostgreSQL too when a database URL is set (its TEXT refuses what SQLite stores, e.g. U+0000). */
const ENGINES: { name: string; open: () => Promise<FuzzEngine> }[] = [
  { name: 'SQLite', open: openSqlite },
  ...(hasPostgres() ? [{ name: 'PostgreSQL', open: openPostgres }] : []),
];

async function startEngine(open: () => Promise<FuzzEngine>): Promise<() => Promise<void>> {
  const engine = await open();
  const { store } = engine;
  snapshot = () => engine.snapshot();
  app = await createServer({ store, prices: '' });
  auth = `Bearer ${await createApiKey(store, 'fuzz')}`;
  await createApiKey(store, 'other');
  const post = async (url: string, payload: unknown): Promise<Record<string, unknown>> => {
    const res = await app.inject({ method: 'POST', url, headers: { authorization: auth }, payload: payload as Record<string, unknown> });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json<Record<string, unknown>>();
  };
  userId = ((await post('/v1/end-users', { externalId: 'fuzz-user' })).endUser as { id: string }).id;
  subscriptionId = (
    (await post('/v1/subscriptions', {
      userId,
      pricingPlanId: 'plan',
      currentPeriodStart: new Date().toISOString(),
      currentPeriodEnd: new Date(Date.now() + 86_400_000).toISOString(),
    })) as { id: string }
  ).id;
  await post('/v1/usage/events/batch', {
    events: [
      { eventType: 'seed', metricName: 'llm_tokens_input', quantity: 10, idempotencyKey: 'seed-1', metadata: { agent_id: 'a', model: 'gpt-4o' } },
      { eventType: 'seed', metricName: 'requests', quantity: 2.5, idempotencyKey: 'seed-2', subscriptionId },
    ],
  });
  return async () => {
    await app.close();
    await engine.dispose();
  };
}

afterAll(() => {
  const perRoute = Object.fromEntries([...casesPerRoute].map(([route, n]) => [route, { cases: n, accepted: acceptedPerRoute.get(route) ?? 0 }]));
  process.stdout.write(`server fuzz: ${JSON.stringify({ seed: SEED, engines: ENGINES.map((e) => e.name), total: [...casesPerRoute.values()].reduce((a, b) => a + b, 0), perRoute })}\n`);
});

// ── Inputs ──────────────────────────────────────────────────────────────────────────────────────

type FieldKind = 'string' | 'number' | 'object' | 'date';

/** Body routes: a valid body, and the kind of each field (for wrong-type and huge-string mutations). */
interface BodyRoute {
  name: string;
  method: 'POST' | 'PATCH';
  url: () => string;
  valid: () => Record<string, unknown>;
  fields: Record<string, FieldKind>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

const BODY_ROUTES: BodyRoute[] = [
  {
    name: 'POST /v1/end-users',
    method: 'POST',
    url: () => '/v1/end-users',
    valid: () => ({ externalId: `fuzz-${Math.random()}`, name: 'n', email: 'a@b.example', metadata: { k: 1 } }),
    fields: { externalId: 'string', name: 'string', email: 'string', metadata: 'object' },
  },
  {
    name: 'PATCH /v1/end-users/:id',
    method: 'PATCH',
    url: () => `/v1/end-users/${userId}`,
    valid: () => ({ name: 'renamed', email: 'c@d.example', metadata: { k: 2 } }),
    fields: { name: 'string', email: 'string', metadata: 'object' },
  },
  {
    name: 'POST /v1/subscriptions',
    method: 'POST',
    url: () => '/v1/subscriptions',
    valid: () => ({ userId, pricingPlanId: 'p', currentPeriodStart: iso(Date.now()), currentPeriodEnd: iso(Date.now() + 1000), stripeSubscriptionId: 's', metadata: {} }),
    fields: { userId: 'string', pricingPlanId: 'string', currentPeriodStart: 'date', currentPeriodEnd: 'date', stripeSubscriptionId: 'string', metadata: 'object' },
  },
  {
    name: 'PATCH /v1/subscriptions/:id',
    method: 'PATCH',
    url: () => `/v1/subscriptions/${subscriptionId}`,
    valid: () => ({ pricingPlanId: 'q', currentPeriodStart: iso(Date.now()), currentPeriodEnd: iso(Date.now() + 5000), metadata: { x: 'y' } }),
    fields: { pricingPlanId: 'string', currentPeriodStart: 'date', currentPeriodEnd: 'date', stripeSubscriptionId: 'string', metadata: 'object' },
  },
  {
    name: 'POST /v1/usage/events',
    method: 'POST',
    url: () => '/v1/usage/events',
    valid: () => ({ eventType: 'fuzz', metricName: 'llm_tokens_output', quantity: 3, idempotencyKey: `fz-${Math.random()}`, subscriptionId, timestamp: iso(Date.now()), metadata: { model: 'gpt-4o' } }),
    fields: { eventType: 'string', metricName: 'string', quantity: 'number', idempotencyKey: 'string', subscriptionId: 'string', timestamp: 'date', metadata: 'object' },
  },
];

/** The batch route wraps the single-event body: `{ events: [ ...valid, mutated ] }`. */
const BATCH_ROUTE: BodyRoute = {
  name: 'POST /v1/usage/events/batch',
  method: 'POST',
  url: () => '/v1/usage/events/batch',
  valid: () => (BODY_ROUTES[4] as BodyRoute).valid(),
  fields: (BODY_ROUTES[4] as BodyRoute).fields,
};

/**
 * A value of the wrong type for a field of this kind (never null: some fields are nullable). Doubles
 * are finite: the body is JSON, where NaN and Infinity become null (seed 771808550 sent `name: null`).
 */
function wrongValue(kind: FieldKind): fc.Arbitrary<unknown> {
  const notString = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.integer(), { maxKeys: 3 }));
  switch (kind) {
    case 'string':
      return notString;
    case 'date':
      return fc.oneof(notString, fc.string({ maxLength: 30 }).filter((s) => Number.isNaN(Date.parse(s))), fc.constantFrom('2024-13-45T00:00:00Z', 'yesterday', '1e999'));
    case 'number':
      return fc.oneof(
        fc.string(),
        fc.boolean(),
        fc.array(fc.integer(), { maxLength: 3 }),
        fc.constant({}),
        fc.integer({ min: -1e9, max: -1 }),
        fc.constant(1.5), // llm_tokens_* quantities must be integers
        fc.constant(1e300),
      );
    case 'object':
      return fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.array(fc.jsonValue(), { maxLength: 3 }));
  }
}

const huge = fc.integer({ min: 20_000, max: 400_000 }).map((n) => 'x'.repeat(n));

/** JSON text of a value nested `depth` deep, built as text: JSON.stringify itself would overflow the stack. */
function deepNestText(depth: number, asArray: boolean): string {
  return asArray ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"d":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** One fuzz case: a request to send, and whether it may legitimately succeed. */
interface Case {
  label: string;
  payload: string | Buffer;
  headers: Record<string, string>;
  maySucceed: boolean;
}

const json = { 'content-type': 'application/json' };

/** Every bad-input family for a body route. `wrap` puts the mutated body where the route expects it. */
function bodyCases(route: BodyRoute, wrap: (body: unknown) => unknown): fc.Arbitrary<Case> {
  const fieldNames = Object.keys(route.fields);
  const field = fc.constantFrom(...fieldNames);
  const withField = (name: string, value: unknown): unknown => wrap({ ...route.valid(), [name]: value });
  const text = (label: string, body: unknown, maySucceed = false): Case => ({ label, payload: JSON.stringify(body), headers: json, maySucceed });
  const validText = (): string => JSON.stringify(wrap(route.valid()));
  return fc.oneof(
    // Arbitrary JSON as the whole body, or in place of the event: rarely valid, so success is allowed.
    fc.jsonValue().map((v) => text('arbitrary JSON', v, true)),
    fc.jsonValue().map((v) => text('arbitrary JSON event', wrap(v), true)),
    field.chain((name) => wrongValue(route.fields[name] as FieldKind).map((v) => text(`wrong type ${name}`, withField(name, v)))),
    field
      .filter((name) => route.fields[name] === 'string' || route.fields[name] === 'date')
      .chain((name) => huge.map((v) => text(`huge ${name}`, withField(name, v)))),
    fc.record({ depth: fc.integer({ min: 5_000, max: 60_000 }), asArray: fc.boolean() }).map(({ depth, asArray }) => {
      const marker = '"DEEP_VALUE_HERE"';
      const payload = JSON.stringify(wrap({ ...route.valid(), metadata: { deep: 'DEEP_VALUE_HERE' } })).replace(marker, deepNestText(depth, asArray));
      return { label: `metadata nested ${depth} deep`, payload, headers: json, maySucceed: false };
    }),
    fc.integer({ min: 1, max: 200 }).map((cut) => {
      const full = validText();
      return { label: 'truncated JSON', payload: full.slice(0, Math.max(1, full.length - cut)), headers: json, maySucceed: false };
    }),
    fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/octet-stream').map((type) => ({
      label: `content-type ${type}`,
      payload: validText(),
      headers: { 'content-type': type },
      maySucceed: false,
    })),
    fc.constantFrom(...fieldNames.filter((n) => route.fields[n] === 'string')).map((name) => {
      // Invalid UTF-8 inside a string value: a lone continuation byte and an overlong encoding.
      const marker = 'INVALID_UTF8_HERE';
      const [before, after] = JSON.stringify(withField(name, `a${marker}b`)).split(marker) as [string, string];
      return { label: `invalid UTF-8 in ${name}`, payload: Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0x80, 0xc0, 0xaf]), Buffer.from(after)]), headers: json, maySucceed: false };
    }),
    // U+0000 and other control characters: SQLite stores them, PostgreSQL TEXT refuses U+0000.
    fc.constantFrom(...fieldNames.filter((n) => route.fields[n] === 'string')).chain((name) =>
      fc.constantFrom('a\u0000b', '\u0000', 'x\u0000'.repeat(3)).map((v) => text(`NUL in ${name}`, withField(name, v))),
    ),
    fc.constantFrom('agent_id', 'workflow_id').map((name) => text(`NUL in metadata.${name}`, withField('metadata', { [name]: 'a\u0000b' }), route.fields['metadata'] === 'object' && !route.name.includes('usage'))),
    fc.uint8Array({ minLength: 0, maxLength: 200 }).map((bytes) => ({
      label: 'bad gzip',
      payload: Buffer.from(bytes),
      headers: { ...json, 'content-encoding': 'gzip' },
      maySucceed: false,
    })),
    fc.integer({ min: 1, max: 40 }).map((cut) => {
      const gz = gzipSync(validText());
      return { label: 'truncated gzip', payload: gz.subarray(0, Math.max(1, gz.length - cut)), headers: { ...json, 'content-encoding': 'gzip' }, maySucceed: false };
    }),
    fc.constantFrom('br', 'deflate', 'compress', 'zstd').map((encoding) => ({
      label: `content-encoding ${encoding}`,
      payload: validText(),
      headers: { ...json, 'content-encoding': encoding },
      maySucceed: false,
    })),
    fc.integer({ min: 1, max: 1000 }).map((extra) => {
      const payload = validText();
      return { label: 'Content-Length larger than the body', payload, headers: { ...json, 'content-length': String(Buffer.byteLength(payload) + extra) }, maySucceed: false };
    }),
  );
}

// ── Checks ──────────────────────────────────────────────────────────────────────────────────────

async function check(routeName: string, method: string, url: string, c: Case | { label: string; maySucceed: boolean; payload?: undefined; headers: Record<string, string> }): Promise<void> {
  casesPerRoute.set(routeName, (casesPerRoute.get(routeName) ?? 0) + 1);
  const before = await snapshot();
  const res = await app.inject({
    method: method as 'POST',
    url,
    headers: { authorization: auth, ...c.headers },
    ...(c.payload === undefined ? {} : { payload: c.payload }),
  });
  const label = `${routeName} ${c.label}: ${res.statusCode} ${res.body.slice(0, 300)}`;
  expect(res.statusCode, label).toBeLessThan(500);
  if (res.statusCode < 300 && c.maySucceed) {
    acceptedPerRoute.set(routeName, (acceptedPerRoute.get(routeName) ?? 0) + 1);
    return;
  }
  expect(res.statusCode, label).toBeGreaterThanOrEqual(400);
  expect(String(res.headers['content-type']), label).toMatch(/^application\/json/);
  const body = res.json<{ error?: { code?: unknown; message?: unknown; type?: unknown }; requestId?: unknown }>();
  expect(typeof body.error?.code, label).toBe('string');
  expect(typeof body.error?.message, label).toBe('string');
  expect(body.requestId, label).toMatch(/^req_/);
  expect(res.headers['x-request-id'], label).toBe(body.requestId);
  expect(await snapshot(), `${label} changed the database`).toBe(before);
}

const runs = { numRuns: RUNS_PER_ROUTE, seed: SEED, endOnFailure: true };

for (const engine of ENGINES) {
  describe(`server fuzz on ${engine.name}`, () => {
    let stop: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      stop = await startEngine(engine.open);
    });
    afterAll(async () => {
      await stop?.();
    });

    describe('server fuzz: bodies', () => {
      for (const route of BODY_ROUTES) {
        it(`${route.name}: every bad body is a 4xx JSON error with a request id; the database is unchanged`, async () => {
          await fc.assert(fc.asyncProperty(bodyCases(route, (b) => b), (c) => check(route.name, route.method, route.url(), c)), runs);
        });
      }

      it(`${BATCH_ROUTE.name}: one bad event among valid ones refuses the whole batch`, async () => {
        const wrap = (event: unknown): unknown => ({ events: [BATCH_ROUTE.valid(), event, BATCH_ROUTE.valid()] });
        await fc.assert(fc.asyncProperty(bodyCases(BATCH_ROUTE, wrap), (c) => check(BATCH_ROUTE.name, 'POST', BATCH_ROUTE.url(), c)), runs);
      });

      it('POST /v1/usage/events/batch: wrong envelope shapes are refused', async () => {
        const envelope = fc.oneof(
          fc.constant({ events: [] }),
          fc.array(fc.constant(BATCH_ROUTE.valid()), { minLength: 1001, maxLength: 1001 }).map((events) => ({ events })),
          fc.jsonValue().filter((v) => !Array.isArray(v) || v.length > 0).map((events) => ({ events })),
          fc.constant({ events: [BATCH_ROUTE.valid()], extra: 1 }),
          fc.array(fc.jsonValue(), { maxLength: 3 }),
        );
        await fc.assert(
          fc.asyncProperty(envelope, (body) => check(BATCH_ROUTE.name, 'POST', BATCH_ROUTE.url(), { label: 'envelope', payload: JSON.stringify(body), headers: json, maySucceed: false })),
          { ...runs, numRuns: Math.ceil(RUNS_PER_ROUTE / 2) },
        );
      });
    });

    /** Routes without a body: junk ids (URL-encoded) and junk bodies must not act on anything. */
    const ID_ROUTES: { name: string; method: 'GET' | 'POST' | 'PATCH'; url: (id: string) => string }[] = [
      { name: 'GET /v1/end-users/:id', method: 'GET', url: (id) => `/v1/end-users/${id}` },
      { name: 'PATCH /v1/end-users/:id', method: 'PATCH', url: (id) => `/v1/end-users/${id}` },
      { name: 'POST /v1/end-users/:id/deactivate', method: 'POST', url: (id) => `/v1/end-users/${id}/deactivate` },
      { name: 'POST /v1/end-users/:id/reactivate', method: 'POST', url: (id) => `/v1/end-users/${id}/reactivate` },
      { name: 'GET /v1/subscriptions/:id', method: 'GET', url: (id) => `/v1/subscriptions/${id}` },
      { name: 'PATCH /v1/subscriptions/:id', method: 'PATCH', url: (id) => `/v1/subscriptions/${id}` },
      { name: 'POST /v1/subscriptions/:id/cancel', method: 'POST', url: (id) => `/v1/subscriptions/${id}/cancel` },
    ];

    describe('server fuzz: ids', () => {
      for (const route of ID_ROUTES) {
        it(`${route.name}: an unknown or malformed id is a 4xx and changes nothing`, async () => {
          const id = fc.oneof(
            fc.string({ minLength: 1, maxLength: 300 }).filter((s) => s !== userId && s !== subscriptionId),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
        fc.constantFrom('eu\u0000', '\u0000', `${userId}\u0000`),
            fc.constantFrom('..', '%00', 'eu_', 'sub_', `${userId}x`, `${subscriptionId} `, 'x'.repeat(10_000)),
          );
          await fc.assert(
            fc.asyncProperty(id, async (raw) => {
              const payload = route.method === 'GET' ? {} : { payload: JSON.stringify({ name: 'x', pricingPlanId: 'y' }), headers: json };
              await check(route.name, route.method, route.url(encodeURIComponent(raw)), { label: `id ${JSON.stringify(raw.slice(0, 40))}`, maySucceed: false, headers: {}, ...payload });
            }),
            { ...runs, numRuns: Math.ceil(RUNS_PER_ROUTE / 2) },
          );
        });
      }
    });

    /** List and report routes: any query string is a 2xx or a 4xx, never a 5xx, and never writes. */
    const QUERY_ROUTES: { name: string; url: string; params: Record<string, fc.Arbitrary<string>> }[] = (() => {
      const date = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('2024-01-01', '2024-02-30', '0000-00-00', '9999-12-31T23:59:59Z', '-1', '1e20'));
      const num = fc.oneof(fc.string({ maxLength: 10 }), fc.integer().map(String), fc.constantFrom('-1', '0', '1001', '1e3', 'NaN', '1.5', '99999999999999999999'));
      const str = fc.oneof(fc.string({ maxLength: 50 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom('\u0000', 'a\u0000b'), huge.map((s) => s.slice(0, 5000)));
      const range = { startDate: date, endDate: date };
      const filters = { ...range, subscriptionId: str, metricName: str, eventType: str, agent_id: str, workflow_id: str };
      return [
        { name: 'GET /v1/end-users', url: '/v1/end-users', params: { status: str, limit: num, offset: num } },
        { name: 'GET /v1/subscriptions', url: '/v1/subscriptions', params: { userId: str, status: str, limit: num, offset: num } },
        { name: 'GET /v1/usage/events', url: '/v1/usage/events', params: { ...filters, limit: num, offset: num } },
        { name: 'GET /v1/usage/aggregation', url: '/v1/usage/aggregation', params: { ...filters, windowSize: str } },
        { name: 'GET /v1/usage/summary', url: '/v1/usage/summary', params: filters },
        { name: 'GET /v1/cost-attribution/by-agent', url: '/v1/cost-attribution/by-agent', params: range },
        { name: 'GET /v1/cost-attribution/by-workflow', url: '/v1/cost-attribution/by-workflow', params: range },
        { name: 'GET /v1/cost-attribution/agents', url: '/v1/cost-attribution/agents', params: range },
        { name: 'GET /v1/cost-attribution/workflows', url: '/v1/cost-attribution/workflows', params: range },
        { name: 'GET /healthz', url: '/healthz', params: {} },
      ];
    })();

    describe('server fuzz: query strings', () => {
      for (const route of QUERY_ROUTES) {
        it(`${route.name}: junk parameters are a 2xx or a 4xx JSON error, never a 5xx; nothing is written`, async () => {
          const known = fc.record(route.params, { requiredKeys: [] });
          const unknown = fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 20 }), { maxKeys: 3 });
          const repeated = fc.boolean();
          await fc.assert(
            fc.asyncProperty(known, unknown, repeated, async (params, extra, twice) => {
              const search = new URLSearchParams();
              for (const [k, v] of Object.entries({ ...extra, ...params })) {
                if (v === undefined) continue;
                search.append(k, v);
                if (twice) search.append(k, v);
              }
              await check(route.name, 'GET', `${route.url}?${search.toString()}`, { label: `?${search.toString().slice(0, 200)}`, maySucceed: true, headers: {} });
            }),
            runs,
          );
        });
      }
    });

    describe('server fuzz: oversized bodies', () => {
      const big = `{"pad":"${'x'.repeat(16 * 1024 * 1024)}"}`;
      const bomb = gzipSync(big);
      for (const route of [...BODY_ROUTES, BATCH_ROUTE]) {
        it(`${route.name}: a body over 16 MiB is 413, plain or as a small gzip that expands past it`, async () => {
          const plain = await app.inject({ method: route.method, url: route.url(), headers: { authorization: auth, ...json }, payload: big });
          const gz = await app.inject({ method: route.method, url: route.url(), headers: { authorization: auth, ...json, 'content-encoding': 'gzip' }, payload: bomb });
          for (const res of [plain, gz]) {
            expect(res.statusCode, res.body.slice(0, 200)).toBe(413);
            expect(res.json<{ error: { code: string } }>().error.code).toBe('payload_too_large');
            expect(res.headers['x-request-id']).toMatch(/^req_/);
          }
          casesPerRoute.set(route.name, (casesPerRoute.get(route.name) ?? 0) + 2);
        });
      }
    });
  });
}
