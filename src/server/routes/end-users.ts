/** End users: create, update, list (status filter and counts), deactivate, reactivate. */
import { DEFAULT_LIST_LIMIT } from '../../protocol/limits';
import type { RoutePlugin } from '../context';
import { ApiError, describeValue, notFound } from '../errors';
import { newId } from '../ids';
import { metadataJsonOf } from '../metadata';
import { ErrorBodySchema, IdempotencyHeaders, IdParams } from '../schemas/common';
import {
  EndUserCreateInputSchema,
  EndUserListParamsSchema,
  EndUserListResponseSchema,
  EndUserResponseSchema,
  EndUserUpdateInputSchema,
} from '../schemas/end-users';

const tags = ['end users'];

/** End-user routes: create, retrieve, update, list, deactivate, reactivate. */
export const endUserRoutes: RoutePlugin = async (app, { store, now }) => {
  app.post(
    '/v1/end-users',
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: 'Create an end user',
        headers: IdempotencyHeaders,
        body: EndUserCreateInputSchema,
        response: { 201: EndUserResponseSchema, 409: ErrorBodySchema },
      },
    },
    async (request, reply) => {
      const { externalId, name, email, metadata } = request.body;
      const created = await store.createEndUser(request.tenant.id, {
        id: newId('eu_'),
        externalId,
        name: name ?? null,
        email: email ?? null,
        metadataJson: metadataJsonOf(metadata),
        nowMs: now(),
      });
      if (created === 'external_id_taken') {
        throw new ApiError('external_id_taken', `An end user with externalId ${describeValue(externalId)} already exists`, { param: 'externalId' });
      }
      return reply.code(201).send({ endUser: created });
    },
  );

  app.patch(
    '/v1/end-users/:id',
    {
      schema: {
        tags,
        summary: 'Update an end user',
        params: IdParams,
        body: EndUserUpdateInputSchema,
        response: { 200: EndUserResponseSchema, 404: ErrorBodySchema },
      },
    },
    async (request) => {
      const body = request.body;
      const updated = await store.updateEndUser(
        request.tenant.id,
        request.params.id,
        {
          ...(body.name === undefined ? {} : { name: body.name }),
          ...(body.email === undefined ? {} : { email: body.email }),
          ...(body.metadata === undefined ? {} : { metadataJson: metadataJsonOf(body.metadata) }),
        },
        now(),
      );
      if (updated === null) throw notFound('end user', request.params.id);
      return { endUser: updated };
    },
  );

  app.get(
    '/v1/end-users/:id',
    { schema: { tags, summary: 'Retrieve an end user', params: IdParams, response: { 200: EndUserResponseSchema, 404: ErrorBodySchema } } },
    async (request) => {
      const endUser = await store.getEndUser(request.tenant.id, request.params.id);
      if (endUser === null) throw notFound('end user', request.params.id);
      return { endUser };
    },
  );

  app.get(
    '/v1/end-users',
    { schema: { tags, summary: 'List end users', querystring: EndUserListParamsSchema, response: { 200: EndUserListResponseSchema } } },
    async (request) => {
      const { status, limit = DEFAULT_LIST_LIMIT, offset = 0 } = request.query;
      const page = await store.listEndUsers(request.tenant.id, { ...(status === undefined ? {} : { status }), limit, offset });
      return { ...page, limit, offset };
    },
  );

  for (const [action, status] of [
    ['deactivate', 'DEACTIVATED'],
    ['reactivate', 'ACTIVE'],
  ] as const) {
    app.post(
      `/v1/end-users/:id/${action}`,
      {
        config: { idempotent: true },
        schema: {
          tags,
          summary: action === 'deactivate' ? 'Deactivate (soft-delete) an end user' : 'Reactivate an end user',
          headers: IdempotencyHeaders,
          params: IdParams,
          response: { 200: EndUserResponseSchema, 404: ErrorBodySchema },
        },
      },
      async (request) => {
        const endUser = await store.setEndUserStatus(request.tenant.id, request.params.id, status, now());
        if (endUser === null) throw notFound('end user', request.params.id);
        return { endUser };
      },
    );
  }
};
