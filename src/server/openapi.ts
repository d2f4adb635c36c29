/**
 * The OpenAPI 3.1 document of the server, generated from the TypeBox schemas the routes are
 * validated and serialised with, so docs/openapi.json cannot drift from the code
 * (`npm run openapi` writes it; a test fails when the committed file is stale).
 */
import type { RouteOptions } from 'fastify';
import { ERROR_CODES } from '../protocol/error-codes';
import { createServer } from './app';
import { ErrorBodySchema } from './schemas/common';
import type { Store } from './store/store';
import { SERVER_VERSION } from './version';

type JsonObject = Record<string, unknown>;

/** The route fields the document is built from. */
export type DocumentedRoute = Pick<RouteOptions, 'method' | 'url' | 'schema'>;

/** Copy to plain JSON (drops TypeBox's non-JSON bookkeeping and `$id`s used only by the validator). */
function plain(schema: unknown): JsonObject {
  const copy = JSON.parse(JSON.stringify(schema)) as JsonObject;
  delete copy['$id'];
  return copy;
}

function parameters(schema: unknown, location: 'path' | 'query' | 'header'): JsonObject[] {
  if (schema === undefined) return [];
  const object = plain(schema);
  const required = new Set((object['required'] as string[] | undefined) ?? []);
  const properties = (object['properties'] as Record<string, JsonObject> | undefined) ?? {};
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name: location === 'header' ? name.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase()) : name,
      in: location,
      required: location === 'path' || required.has(name),
      ...(description === undefined ? {} : { description }),
      schema: rest,
    };
  });
}

const STATUS_TEXT: Record<string, string> = { '200': 'OK', '201': 'Created' };

function operation(route: DocumentedRoute): JsonObject {
  const schema = (route.schema ?? {}) as JsonObject & { response?: Record<string, unknown> };
  const responses: JsonObject = {};
  for (const [status, body] of Object.entries(schema.response ?? {})) {
    if (Number(status) >= 400) continue;
    responses[status] = { description: STATUS_TEXT[status] ?? 'Success', content: { 'application/json': { schema: plain(body) } } };
  }
  responses['default'] = { description: 'Error (see the error codes in docs/protocol.md)', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } } };
  const isPublic = route.url === '/healthz';
  return {
    ...(schema['summary'] === undefined ? {} : { summary: schema['summary'] }),
    ...(schema['tags'] === undefined ? {} : { tags: schema['tags'] }),
    ...(isPublic ? { security: [] } : {}),
    parameters: [...parameters(schema['params'], 'path'), ...parameters(schema['querystring'], 'query'), ...parameters(schema['headers'], 'header')],
    ...(schema['body'] === undefined
      ? {}
      : { requestBody: { required: true, content: { 'application/json': { schema: plain(schema['body']) } } } }),
    responses,
  };
}

/** Build the document from the routes of an app. Deterministic: paths and methods sorted. */
export function buildOpenApiDocument(routes: readonly DocumentedRoute[]): JsonObject {
  const paths: Record<string, JsonObject> = {};
  const sorted = [...routes]
    .filter((r) => r.schema !== undefined && r.method !== 'HEAD')
    .sort((a, b) => (a.url === b.url ? String(a.method).localeCompare(String(b.method)) : a.url.localeCompare(b.url)));
  for (const route of sorted) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      paths[path] = { ...paths[path], [method.toLowerCase()]: operation(route) };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'BearLumen reference server',
      version: SERVER_VERSION,
      description: 'AI-usage metering and cost attribution, wire contract v1. Generated from the server schemas; see docs/protocol.md.',
    },
    servers: [{ url: 'http://127.0.0.1:8080' }],
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'API key bl_live_… or bl_test_…' } },
      schemas: { ErrorBody: plain(ErrorBodySchema), ErrorCode: { type: 'string', enum: Object.keys(ERROR_CODES) } },
    },
  };
}

/** A store that is never called: enough to build the app and read its routes. */
const NO_STORE = new Proxy({ kind: 'sqlite' } as Store, {
  get(target, prop) {
    if (prop in target) return target[prop as keyof Store];
    if (prop === 'then') return undefined;
    return () => Promise.reject(new Error('openapi: the store is not used'));
  },
});

/** Build the app (never listening, no database) and return its OpenAPI document. */
export async function generateOpenApi(): Promise<JsonObject> {
  const routes: DocumentedRoute[] = [];
  const app = await createServer({ store: NO_STORE, prices: '', closeStore: false, onRoute: (r) => routes.push(r) });
  await app.ready();
  await app.close();
  return buildOpenApiDocument(routes);
}
