import type { Pipeline } from '../pipeline/types';
import type { RequestOptions } from '../transport/request-options';
import type { TransportRequest } from '../transport/types';

/** What a resource needs from its client: a guarded request function, the pipeline and a clock. */
export interface ResourceContext {
  /**
   * Sends one request with the call's RequestOptions applied.
   * @throws {BearLumenClosedError} after `shutdown()`. @throws {BearLumenValidationError} for bad `options`.
   */
  request<T>(req: TransportRequest, options: RequestOptions | undefined): Promise<T>;
  /** The usage pipeline (it refuses, and counts, records once shutdown has started). */
  readonly pipeline: Pipeline;
  /** Current time, ms. */
  now(): number;
}

/** Base of every resource class: holds the client context and nothing else. */
export abstract class APIResource {
  protected readonly context: ResourceContext;

  constructor(context: ResourceContext) {
    this.context = context;
  }
}
