import { assertSubscriptionCreateInput, assertSubscriptionListParams, assertSubscriptionUpdateInput } from '../internal/validate-inputs';
import { assertId } from '../internal/validate';
import { ROUTES } from '../protocol/routes';
import type {
  Subscription,
  SubscriptionCreateInput,
  SubscriptionListParams,
  SubscriptionListResponse,
  SubscriptionUpdateInput,
} from '../protocol/types';
import type { RequestOptions } from '../transport/request-options';
import { paginate, ITERATE_PAGE_SIZE } from './pagination';
import { APIResource } from './resource';

/** Link end users to pricing plans. */
export class Subscriptions extends APIResource {
  /**
   * Create a subscription for an end user of your tenant. Retries are safe (`Idempotency-Key`).
   * @throws {BearLumenValidationError} before any request when `data` is invalid (e.g. period end before start).
   */
  async create(data: SubscriptionCreateInput, options?: RequestOptions): Promise<Subscription> {
    assertSubscriptionCreateInput(data);
    return this.context.request<Subscription>({ method: 'POST', path: ROUTES.subscriptions, body: data }, options);
  }

  /** Get a subscription by id. @throws {BearLumenNotFoundError} when it is not in your tenant. */
  async retrieve(id: string, options?: RequestOptions): Promise<Subscription> {
    assertId(id, 'id');
    return this.context.request<Subscription>({ method: 'GET', path: ROUTES.subscription(id) }, options);
  }

  /** Update a subscription's plan, period, Stripe id or metadata. */
  async update(id: string, data: SubscriptionUpdateInput, options?: RequestOptions): Promise<Subscription> {
    assertId(id, 'id');
    assertSubscriptionUpdateInput(data);
    return this.context.request<Subscription>({ method: 'PATCH', path: ROUTES.subscription(id), body: data }, options);
  }

  /** Cancel a subscription; resolves with it in status `CANCELED`. */
  async cancel(id: string, options?: RequestOptions): Promise<Subscription> {
    assertId(id, 'id');
    return this.context.request<Subscription>({ method: 'POST', path: ROUTES.subscriptionCancel(id) }, options);
  }

  /** List subscriptions, optionally by `userId` and `status`; `limit` 1–1000 (default 100), `offset` ≥ 0. */
  async list(params?: SubscriptionListParams, options?: RequestOptions): Promise<SubscriptionListResponse> {
    assertSubscriptionListParams(params);
    return this.context.request<SubscriptionListResponse>({ method: 'GET', path: ROUTES.subscriptions, query: { ...params } }, options);
  }

  /**
   * Iterate over every subscription matching `params`, fetching pages of `limit` (default 100).
   * @example for await (const sub of client.subscriptions.iterate({ userId })) console.log(sub.id);
   */
  async *iterate(params?: SubscriptionListParams, options?: RequestOptions): AsyncGenerator<Subscription, void, undefined> {
    assertSubscriptionListParams(params);
    yield* paginate(
      (offset, limit) => this.list({ ...params, offset, limit }, options),
      (page) => page.data,
      params?.offset ?? 0,
      params?.limit ?? ITERATE_PAGE_SIZE,
    );
  }
}
