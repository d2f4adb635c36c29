/**
 * `createServer()`: the fastify app of the reference server, fully wired, never listening (the CLI
 * and tests call `listen` or `inject`). Separating the app from the process keeps it testable.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions, type RouteOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { MAX_BODY_BYTES, MAX_ID_LENGTH } from '../protocol/limits';
import { ROUTES } from '../protocol/routes';
import { Authenticator } from './auth';
import { installBodyHandling } from './body';
import { clientErrorHandler, resolveTimeouts, timeoutOptions, type ServerTimeouts } from './connection-limits';
import { installDashboard } from './dashboard';
import type { RouteContext } from './context';
import { installErrorHandlers, sendApiError } from './error-handler';
import { ApiError } from './errors';
import { newId } from './ids';
import { installNulGuard } from './nul-guard';
import { Pricer } from './pricing';
import { installRequestIdempotency } from './request-idempotency';
import { costAttributionRoutes } from './routes/cost-attribution';
import { costReportRoutes } from './routes/cost-reports';
import { priceRoutes } from './routes/prices';
import { endUserRoutes } from './routes/end-users';
import { subscriptionRoutes } from './routes/subscriptions';
import { usageRoutes } from './routes/usage';
import { HealthResponseSchema } from './schemas/health';
import type { Store } from './store/store';
import { validatorCompiler } from './validator';
import { parseRetainEventsDays, startRetention, type Retention } from './retention';
import { SERVER_VERSION } from './version';

/** Options of `createServer`. */
export interface ServerOptions {
  /** The store to serve (e.g. `SqliteStore.open(path)`); the app closes it on `app.close()`. */
  store: Store;
  /**
   * Prices that win over the bundled genai-prices data: a `Pricer`, or the path of an override
   * file (see docs/server.md).
   * @default process.env.BEARLUMEN_PRICES, else none
   */
  prices?: Pricer | string;
  /**
   * A genai-prices data file (its `data.json` format) used instead of the bundled data, so newer
   * prices apply without upgrading the package (docs/server.md "Pricing"). Ignored when `prices` is a Pricer.
   * @default process.env.BEARLUMEN_PRICES_DATA, else the bundled data
   */
  pricesData?: string;
  /**
   * fastify logger option (`true`, `false` or pino options).
   * @default false
   */
  logger?: FastifyServerOptions['logger'];
  /**
   * Clock in epoch ms, for tests that pin time (timestamp window, ranges).
   * @default Date.now
   */
  now?: () => number;
  /**
   * Close the store when the app closes.
   * @default true
   */
  closeStore?: boolean;
  /**
   * Folder of the built dashboard page served at `/`, or `false` to serve none.
   * @default dist/dashboard/ of this package (see `dashboard.ts`)
   */
  dashboard?: string | false;
  /**
   * Keep raw usage events this many days (an integer, at least 35), deleting older ones every hour
   * while keeping the rollups; see docs/server.md ("Retention").
   * @default process.env.BEARLUMEN_RETAIN_EVENTS_DAYS, else events are kept forever
   */
  retainEventsDays?: number;
  /** Called with every route as it is registered (the OpenAPI generator reads the schemas this way). */
  onRoute?: (route: RouteOptions) => void;
  /**
   * Socket timeouts in ms; each field left out keeps its default (see `ServerTimeouts` and
   * docs/server.md, "Timeouts").
   * @default { connectionMs: 60_000, requestMs: 30_000, headersMs: 10_000, keepAliveMs: 72_000 }
   */
  timeouts?: Partial<ServerTimeouts>;
}

/** The app type: fastify with the TypeBox type provider. */
export type BearLumenServer = FastifyInstance;

/**
 * Build the reference server: every route of docs/protocol.md, API-key auth, validation, error
 * bodies, `x-request-id` on every response. Does not listen.
 * @throws {Error} if the price override file cannot be read or is invalid.
 * @throws {TypeError} naming the field if a timeout is invalid.
 */
export async function createServer(options: ServerOptions): Promise<BearLumenServer> {
  const { store, now = Date.now } = options;
  const timeouts = resolveTimeouts(options.timeouts);
  const pricesOption = options.prices ?? process.env['BEARLUMEN_PRICES'];
  const pricer = pricesOption instanceof Pricer ? pricesOption : Pricer.fromFile(pricesOption, options.pricesData ?? process.env['BEARLUMEN_PRICES_DATA']);
  const retainEnv = process.env['BEARLUMEN_RETAIN_EVENTS_DAYS'];
  const retainDays =
    options.retainEventsDays !== undefined
      ? parseRetainEventsDays(options.retainEventsDays, 'retainEventsDays')
      : retainEnv !== undefined && retainEnv.trim() !== ''
        ? parseRetainEventsDays(retainEnv, 'BEARLUMEN_RETAIN_EVENTS_DAYS')
        : undefined;

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: MAX_BODY_BYTES,
    genReqId: () => newId('req_'),
    requestIdHeader: false,
    ...timeoutOptions(timeouts),
    // Requests Node refuses before routing (oversize headers, a request that arrived too late)
    // still get the protocol's error body.
    clientErrorHandler,
    // Path parameters are ids of at most MAX_ID_LENGTH characters (fastify's default cap is 100).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_ID_LENGTH },
    // Router-level refusals (a malformed URL, an over-long path parameter) skip the hooks and the error
    // handler; without this they answer fastify's own body, with no requestId (found by server-fuzz).
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id);
      const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? `A path parameter is longer than ${MAX_ID_LENGTH} characters` : 'The URL is malformed';
      return sendApiError(reply, new ApiError('parameter_invalid', message), request.id);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  const { onRoute } = options;
  if (onRoute !== undefined) app.addHook('onRoute', (route) => onRoute(route as RouteOptions));
  installErrorHandlers(app);
  installBodyHandling(app);
  installNulGuard(app);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  const authenticator = new Authenticator(store);
  app.decorateRequest('tenant', null as never);
  app.addHook('onRequest', async (request, reply) => {
    // Every /v1 URL needs a key (unknown ones too, so routes cannot be probed without one), and so
    // does every request matched to a /v1 route however its URL was spelt.
    const routeUrl = request.routeOptions.url;
    if (request.url.startsWith('/v1') || (routeUrl !== undefined && routeUrl.startsWith('/v1'))) {
      const { tenant, keyId } = await authenticator.authenticate(request);
      request.tenant = tenant;
      // The request's log lines name the tenant and the key by its id, never by the key.
      request.log = request.log.child({ tenantId: tenant.id, keyId });
      reply.log = request.log;
    }
  });
  installRequestIdempotency(app, store, (r) => r.tenant.id, now);

  app.get(
    ROUTES.health,
    { schema: { tags: ['health'], summary: 'Liveness and version', response: { 200: HealthResponseSchema } } },
    async () => ({ status: 'ok' as const, version: SERVER_VERSION, store: store.kind }),
  );

  const context: RouteContext = { store, pricer, now };
  await app.register(endUserRoutes, context);
  await app.register(subscriptionRoutes, context);
  await app.register(usageRoutes, context);
  await app.register(costAttributionRoutes, context);
  await app.register(costReportRoutes, context);
  await app.register(priceRoutes, context);
  installDashboard(app, options.dashboard);

  if (retainDays !== undefined) {
    let retention: Retention | undefined;
    app.addHook('onReady', async () => {
      retention = startRetention(store, retainDays, now, (error) => app.log.error({ err: error }, 'event retention failed; retrying in an hour'));
    });
    // Registered before the store's close, so a run in progress finishes first.
    app.addHook('onClose', async () => retention?.stop());
  }
  if (options.closeStore !== false) app.addHook('onClose', async () => store.close());
  return app;
}
