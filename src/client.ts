import type { Logger } from 'pino';
import { resolveConfig, type BearLumenConfig } from './config';
import { BearLumenClosedError, BearLumenValidationError } from './errors';
import { assertAttribution, currentAttribution, runWithAttribution, type Attribution } from './internal/attribution';
import { assertInteger, assertKnownKeys, assertObject } from './internal/validate';
import { createPipeline } from './pipeline/create-pipeline';
import type { Pipeline, PipelineEventMap, PipelineStats, ShutdownReport } from './pipeline/types';
import { CostAttribution } from './resources/cost-attribution';
import { EndUsers } from './resources/end-users';
import { Prices } from './resources/prices';
import type { ResourceContext } from './resources/resource';
import { Subscriptions } from './resources/subscriptions';
import { Usage } from './resources/usage';
import { HttpTransport, POOL_CONNECTIONS } from './transport/http';
import { assertRequestOptions, type RequestOptions } from './transport/request-options';
import type { TransportRequest } from './transport/types';

/** Options of `client.shutdown()`. */
export interface ShutdownOptions {
  /** How long to keep delivering buffered events before giving up on them (they are returned as `unsent`), ms. @default the pipeline's shutdown deadline */
  timeoutMs?: number;
}

const SHUTDOWN_KEYS: ReadonlySet<string> = new Set(['timeoutMs']);

/**
 * The Bear Lumen client: track AI usage, manage end users and subscriptions, and analyze costs.
 * One instance per process is enough; it keeps a keep-alive connection pool and an event buffer.
 * Call `shutdown()` before the process ends (the exit hook does it on beforeExit / SIGTERM / SIGINT).
 * @example
 * const bearLumen = new BearLumen({ apiKey: process.env.BEARLUMEN_API_KEY });
 * await bearLumen.usage.record({ eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: 1500 });
 */
export class BearLumen {
  /** End users whose AI usage you track. */
  readonly endUsers: EndUsers;
  /** Subscriptions linking end users to pricing plans. */
  readonly subscriptions: Subscriptions;
  /** Usage events: record (batched), recordBatch, query, aggregation, summary. */
  readonly usage: Usage;
  /** Cost breakdowns by agent and workflow. */
  readonly costAttribution: CostAttribution;
  /** Which price the server would apply to a model (`prices.lookup`). */
  readonly prices: Prices;
  /**
   * The logger the client writes to: a `{ component: 'bearlumen' }` child of the `logger` option, or the
   * default pino logger. The integrations (`instrumentOpenAI`, …) log metering problems through it.
   */
  readonly logger: Logger;

  readonly #transport: HttpTransport;
  readonly #pipeline: Pipeline;
  #shutdown: Promise<ShutdownReport> | undefined;

  /**
   * @throws {BearLumenValidationError} when an option breaks its rule, an unknown option is passed, or
   * no API key is given (neither `apiKey` nor `BEARLUMEN_API_KEY`).
   */
  constructor(config?: BearLumenConfig) {
    const { apiKey, baseUrl, timeout, maxRetries, logger, dispatcher, batching, handleExit } = resolveConfig(config);
    // Every in-flight batch needs its own connection, or it would wait in the Pool's queue while its
    // timeout runs; a few more serve the other calls.
    const connections = Math.max(POOL_CONNECTIONS, batching.concurrency + 4);
    this.logger = logger;
    this.#transport = new HttpTransport({ apiKey, baseUrl, timeout, maxRetries, logger, dispatcher, connections });
    this.#pipeline = createPipeline({ transport: this.#transport, logger, options: batching, handleExit });
    const context: ResourceContext = {
      request: (req, options) => this.#request(req, options),
      pipeline: this.#pipeline,
      now: () => Date.now(),
    };
    this.endUsers = new EndUsers(context);
    this.subscriptions = new Subscriptions(context);
    this.usage = new Usage(context);
    this.costAttribution = new CostAttribution(context);
    this.prices = new Prices(context);
  }

  /**
   * Send every event buffered so far and wait until each is settled (delivered, duplicate, failed or
   * dropped). Once `shutdown()` has started, waits for the shutdown's drain instead and resolves (the
   * shutdown report says what happened to each event): a SIGTERM handler racing the app's own flush
   * never makes it reject. Never rejects.
   */
  async flush(): Promise<void> {
    if (this.#shutdown !== undefined) {
      await this.#shutdown.catch(ignore);
      return;
    }
    await this.#pipeline.flush();
  }

  /**
   * Stop accepting work, deliver what is buffered within `timeoutMs`, close the connection pool and
   * report what happened to every event. Runs once: later calls return the same report, and every
   * other method except `flush()` (which waits for the drain and resolves) then rejects with
   * BearLumenClosedError.
   * @throws {BearLumenValidationError} when `options.timeoutMs` is not an integer ≥ 0.
   */
  shutdown(options?: ShutdownOptions): Promise<ShutdownReport> {
    if (this.#shutdown === undefined) {
      try {
        assertShutdownOptions(options);
      } catch (error) {
        return Promise.reject(error);
      }
      this.#shutdown = this.#pipeline.shutdown(options).finally(() => this.#transport.close());
    }
    return this.#shutdown;
  }

  /** A snapshot of the event pipeline's counters: buffered, in flight, delivered, failed, dropped, retries. */
  stats(): PipelineStats {
    return this.#pipeline.stats();
  }

  /**
   * Observe the pipeline: `flush` (a batch was acknowledged), `error` (a batch attempt failed),
   * `drop` (events were given up on). Returns a function that unsubscribes.
   */
  on<K extends keyof PipelineEventMap>(event: K, listener: (payload: PipelineEventMap[K]) => void): () => void {
    return this.#pipeline.on(event, listener);
  }

  /**
   * Run `fn` with usage attributed to `fields`: every `usage.record()` / `recordBatch()` made inside it
   * (by you or by an integration such as `instrumentOpenAI`), including in async work it starts, carries
   * `agent_id`, `workflow_id`, `subscriptionId` and `metadata` unless the call sets its own. Nested
   * scopes add to the outer one (inner fields win). Returns what `fn` returns.
   * Precedence, highest first: the record's own fields → the innermost scope → outer scopes → an
   * integration's `defaults` (docs/integrations.md "Attribution").
   * @throws {BearLumenValidationError} naming `fields.<key>` when a field breaks its rule (before `fn` runs).
   * @example
   * await bearLumen.withAttribution({ agent_id: 'support-bot', workflow_id: 'refund' }, () => handle(req));
   */
  withAttribution<R>(fields: Attribution, fn: () => R): R {
    assertAttribution(fields, 'fields');
    if (typeof fn !== 'function') throw new BearLumenValidationError('fn', 'must be a function', fn);
    return runWithAttribution(fields, fn);
  }

  /** The attribution in effect at this point of the async flow (see `withAttribution`), or undefined. */
  currentAttribution(): Readonly<Attribution> | undefined {
    return currentAttribution();
  }

  async #request<T>(req: TransportRequest, options: RequestOptions | undefined): Promise<T> {
    if (this.#shutdown !== undefined) throw new BearLumenClosedError();
    assertRequestOptions(options);
    return this.#transport.request<T>({
      ...req,
      timeoutMs: options?.timeout,
      maxRetries: options?.maxRetries,
      signal: options?.signal,
      idempotencyKey: options?.idempotencyKey,
    });
  }
}

function ignore(): void {
  // flush() reports nothing itself: the shutdown's own caller sees its outcome.
}

function assertShutdownOptions(options: unknown): asserts options is ShutdownOptions | undefined {
  if (options === undefined) return;
  assertObject(options, 'options');
  assertKnownKeys(options, SHUTDOWN_KEYS, 'options');
  if (options['timeoutMs'] !== undefined) assertInteger(options['timeoutMs'], 'options.timeoutMs', 0, 2_147_483_647);
}
