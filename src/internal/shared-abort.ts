import { setMaxListeners } from 'node:events';

/**
 * An AbortController whose signal many requests or batches in flight listen to at once (the transport's
 * close signal, the batch queue's shutdown signal). Node prints "MaxListenersExceededWarning: Possible
 * EventTarget memory leak detected" to the host's stderr once a signal has more than 10 listeners; these
 * listeners are bounded by the work in flight and removed when it ends, so the limit is lifted for this
 * signal only (docs/pipeline.md "Nothing on the host's stderr").
 */
export function sharedAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
