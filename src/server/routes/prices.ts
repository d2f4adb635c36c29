/** `GET /v1/prices`: which price the server would apply to a model and provider at a time, or that it is unpriced. */
import { ROUTES } from '../../protocol/routes';
import type { RoutePlugin } from '../context';
import { PriceLookupParamsSchema, PriceLookupResponseSchema } from '../schemas/prices';

/** The price lookup route. */
export const priceRoutes: RoutePlugin = async (app, { pricer, now }) => {
  app.get(
    ROUTES.prices,
    { schema: { tags: ['prices'], summary: 'The price events for a model would get (per token kind, with tiers and source)', querystring: PriceLookupParamsSchema, response: { 200: PriceLookupResponseSchema } } },
    async (request) => {
      const { model, provider, at } = request.query;
      return pricer.lookup(model, provider, at === undefined ? now() : Date.parse(at));
    },
  );
};
