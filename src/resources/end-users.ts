import { assertEndUserCreateInput, assertEndUserListParams, assertEndUserUpdateInput } from '../internal/validate-inputs';
import { assertId } from '../internal/validate';
import { ROUTES } from '../protocol/routes';
import type {
  EndUser,
  EndUserCreateInput,
  EndUserListParams,
  EndUserListResponse,
  EndUserResponse,
  EndUserUpdateInput,
} from '../protocol/types';
import type { RequestOptions } from '../transport/request-options';
import { paginate, ITERATE_PAGE_SIZE } from './pagination';
import { APIResource } from './resource';

/** Manage end users whose AI usage you track. */
export class EndUsers extends APIResource {
  /**
   * Create a new end user. Retries are safe: an `Idempotency-Key` is fixed before the first attempt.
   * @throws {BearLumenValidationError} before any request when `data` is invalid.
   * @throws {BearLumenConflictError} when `externalId` is already taken in your tenant.
   */
  async create(data: EndUserCreateInput, options?: RequestOptions): Promise<EndUserResponse> {
    assertEndUserCreateInput(data);
    return this.context.request<EndUserResponse>({ method: 'POST', path: ROUTES.endUsers, body: data }, options);
  }

  /**
   * Update an end user's name, email or metadata (`null` clears name or email; metadata is replaced).
   * @throws {BearLumenNotFoundError} when no such end user exists in your tenant.
   */
  async update(id: string, data: EndUserUpdateInput, options?: RequestOptions): Promise<EndUserResponse> {
    assertId(id, 'id');
    assertEndUserUpdateInput(data);
    return this.context.request<EndUserResponse>({ method: 'PATCH', path: ROUTES.endUser(id), body: data }, options);
  }

  /** List end users, optionally by `status`; `limit` 1–1000 (default 100), `offset` ≥ 0. */
  async list(params?: EndUserListParams, options?: RequestOptions): Promise<EndUserListResponse> {
    assertEndUserListParams(params);
    return this.context.request<EndUserListResponse>({ method: 'GET', path: ROUTES.endUsers, query: { ...params } }, options);
  }

  /** Soft-delete an end user: usage history is retained. */
  async deactivate(id: string, options?: RequestOptions): Promise<EndUserResponse> {
    assertId(id, 'id');
    return this.context.request<EndUserResponse>({ method: 'POST', path: ROUTES.endUserDeactivate(id) }, options);
  }

  /** Restore a deactivated end user. */
  async reactivate(id: string, options?: RequestOptions): Promise<EndUserResponse> {
    assertId(id, 'id');
    return this.context.request<EndUserResponse>({ method: 'POST', path: ROUTES.endUserReactivate(id) }, options);
  }

  /**
   * Iterate over every end user (optionally by `status`), fetching pages of `limit` (default 100) from `offset`.
   * @example for await (const user of client.endUsers.iterate({ status: 'ACTIVE' })) console.log(user.externalId);
   */
  async *iterate(params?: EndUserListParams, options?: RequestOptions): AsyncGenerator<EndUser, void, undefined> {
    assertEndUserListParams(params);
    yield* paginate(
      (offset, limit) => this.list({ ...params, offset, limit }, options),
      (page) => page.endUsers,
      params?.offset ?? 0,
      params?.limit ?? ITERATE_PAGE_SIZE,
    );
  }
}
