/** What every route plugin receives: the store, the pricer and the clock. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Pricer } from './pricing';
import type { Store, Tenant } from './store/store';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant of the request's API key (set by the auth hook on /v1 routes). */
    tenant: Tenant;
  }
}

/** Options of every route plugin. */
export interface RouteContext {
  store: Store;
  pricer: Pricer;
  /** Epoch ms now; injectable so tests can pin time. */
  now: () => number;
}

/** A route plugin of this server. */
export type RoutePlugin = FastifyPluginAsyncTypebox<RouteContext>;
