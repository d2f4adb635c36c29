/** Subscriptions: create, retrieve, update, cancel, list. Responses are the bare Subscription (no envelope). */
import { DEFAULT_LIST_LIMIT } from '../../protocol/limits';
import type { RoutePlugin } from '../context';
import { ApiError, describeValue, notFound } from '../errors';
import { newId } from '../ids';
import { metadataJsonOf } from '../metadata';
import { ErrorBodySchema, IdempotencyHeaders, IdParams } from '../schemas/common';
import {
  SubscriptionCreateInputSchema,
  SubscriptionListParamsSchema,
  SubscriptionListResponseSchema,
  SubscriptionSchema,
  SubscriptionUpdateInputSchema,
} from '../schemas/subscriptions';

const tags = ['subscriptions'];

const PERIOD_RULE = 'must be an ISO 8601 date (2024-01-31, read as 00:00 UTC) or an RFC 3339 date-time';

/**
 * Normalise a period bound to RFC 3339 UTC and check the order. A date-only bound (already checked to
 * be a real date by the schema) is 00:00 UTC of that day, which is how Date.parse reads that form.
 * @throws {ApiError} 400 naming the field.
 */
function checkPeriod(start: string, end: string): { start: string; end: string } {
  const startMs = Date.parse(start);
  const endMs = Date.parse(end);
  if (Number.isNaN(startMs)) throw new ApiError('parameter_invalid', `currentPeriodStart ${PERIOD_RULE} (got ${describeValue(start)})`, { param: 'currentPeriodStart' });
  if (Number.isNaN(endMs)) throw new ApiError('parameter_invalid', `currentPeriodEnd ${PERIOD_RULE} (got ${describeValue(end)})`, { param: 'currentPeriodEnd' });
  if (endMs <= startMs) throw new ApiError('parameter_invalid', `currentPeriodEnd must be after currentPeriodStart (got ${end} <= ${start})`, { param: 'currentPeriodEnd' });
  return { start: new Date(startMs).toISOString(), end: new Date(endMs).toISOString() };
}

/** Subscription routes: create, retrieve, update, cancel, list. */
export const subscriptionRoutes: RoutePlugin = async (app, { store, now }) => {
  app.post(
    '/v1/subscriptions',
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: 'Create a subscription',
        headers: IdempotencyHeaders,
        body: SubscriptionCreateInputSchema,
        response: { 201: SubscriptionSchema, 400: ErrorBodySchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const tenantId = request.tenant.id;
      const period = checkPeriod(body.currentPeriodStart, body.currentPeriodEnd);
      if ((await store.getEndUser(tenantId, body.userId)) === null) {
        throw new ApiError('resource_missing', `No end user ${describeValue(body.userId)} in this tenant`, { param: 'userId' });
      }
      const subscription = await store.createSubscription(tenantId, {
        id: newId('sub_'),
        userId: body.userId,
        pricingPlanId: body.pricingPlanId,
        currentPeriodStart: period.start,
        currentPeriodEnd: period.end,
        stripeSubscriptionId: body.stripeSubscriptionId ?? null,
        metadataJson: metadataJsonOf(body.metadata),
        nowMs: now(),
      });
      return reply.code(201).send(subscription);
    },
  );

  app.get(
    '/v1/subscriptions/:id',
    { schema: { tags, summary: 'Retrieve a subscription', params: IdParams, response: { 200: SubscriptionSchema, 404: ErrorBodySchema } } },
    async (request) => {
      const subscription = await store.getSubscription(request.tenant.id, request.params.id);
      if (subscription === null) throw notFound('subscription', request.params.id);
      return subscription;
    },
  );

  app.patch(
    '/v1/subscriptions/:id',
    {
      schema: {
        tags,
        summary: 'Update a subscription',
        params: IdParams,
        body: SubscriptionUpdateInputSchema,
        response: { 200: SubscriptionSchema, 404: ErrorBodySchema },
      },
    },
    async (request) => {
      const body = request.body;
      const tenantId = request.tenant.id;
      const current = await store.getSubscription(tenantId, request.params.id);
      if (current === null) throw notFound('subscription', request.params.id);
      const period = checkPeriod(body.currentPeriodStart ?? current.currentPeriodStart, body.currentPeriodEnd ?? current.currentPeriodEnd);
      const updated = await store.updateSubscription(
        tenantId,
        current.id,
        {
          ...(body.pricingPlanId === undefined ? {} : { pricingPlanId: body.pricingPlanId }),
          ...(body.currentPeriodStart === undefined ? {} : { currentPeriodStart: period.start }),
          ...(body.currentPeriodEnd === undefined ? {} : { currentPeriodEnd: period.end }),
          ...(body.stripeSubscriptionId === undefined ? {} : { stripeSubscriptionId: body.stripeSubscriptionId }),
          ...(body.metadata === undefined ? {} : { metadataJson: metadataJsonOf(body.metadata) }),
        },
        now(),
      );
      if (updated === null) throw notFound('subscription', request.params.id);
      return updated;
    },
  );

  app.post(
    '/v1/subscriptions/:id/cancel',
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: 'Cancel a subscription',
        headers: IdempotencyHeaders,
        params: IdParams,
        response: { 200: SubscriptionSchema, 404: ErrorBodySchema },
      },
    },
    async (request) => {
      const subscription = await store.cancelSubscription(request.tenant.id, request.params.id, now());
      if (subscription === null) throw notFound('subscription', request.params.id);
      return subscription;
    },
  );

  app.get(
    '/v1/subscriptions',
    { schema: { tags, summary: 'List subscriptions', querystring: SubscriptionListParamsSchema, response: { 200: SubscriptionListResponseSchema } } },
    async (request) => {
      const { userId, status, limit = DEFAULT_LIST_LIMIT, offset = 0 } = request.query;
      const page = await store.listSubscriptions(request.tenant.id, {
        ...(userId === undefined ? {} : { userId }),
        ...(status === undefined ? {} : { status }),
        limit,
        offset,
      });
      return { ...page, limit, offset };
    },
  );
};
