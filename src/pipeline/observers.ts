import type { Logger } from 'pino';
import type { PipelineEventMap } from './types';

type Listener<K extends keyof PipelineEventMap> = (payload: PipelineEventMap[K]) => void;

/**
 * The observer mechanism behind `client.on('flush' | 'error' | 'drop', listener)`. Listeners run
 * synchronously in subscription order; one that throws, or an `async` one whose promise rejects, is
 * logged and skipped, never breaking delivery or the host process.
 */
export class Observers {
  readonly #listeners: { [K in keyof PipelineEventMap]: Set<Listener<K>> } = {
    flush: new Set(),
    error: new Set(),
    drop: new Set(),
  };
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof PipelineEventMap>(event: K, listener: Listener<K>): () => void {
    const set = this.#listeners[event] as Set<Listener<K>>;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** Whether anyone listens (skip building payloads nobody reads). */
  has(event: keyof PipelineEventMap): boolean {
    return this.#listeners[event].size > 0;
  }

  emit<K extends keyof PipelineEventMap>(event: K, payload: PipelineEventMap[K]): void {
    for (const listener of this.#listeners[event] as Set<Listener<K>>) {
      try {
        // An `async` listener returns a promise: its rejection is the same mistake as a throw, and
        // left alone it would end the host process as an unhandled rejection (docs/pipeline.md).
        const result: unknown = listener(payload);
        if (isThenable(result)) result.then(undefined, (error: unknown) => this.#listenerFailed(event, error));
      } catch (error) {
        this.#listenerFailed(event, error);
      }
    }
  }

  #listenerFailed(event: keyof PipelineEventMap, error: unknown): void {
    this.#logger.error({ err: error, event }, `a '${event}' listener threw (or its promise rejected); the pipeline continues`);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
