/**
 * Estimated JSON bytes per `JSON.stringify` call when many events are encoded: the batch body's pieces
 * (batch-body.ts) and the spool's runs (spool/runs.ts). One call over a few dozen same-shaped events
 * costs about half of one call per event. Node 22 and 24 build any string over ~128 KiB in V8's
 * large-object space and JSON.stringify slows ~5× past that size; Node 18 and 20 pay a similar price
 * to turn such a string into bytes for gzip. Pieces this small stay fast on all four (measured in
 * docs/benchmarks.md, "Batch body encoding", "Spool records"); an event is at most ~11 KB, so no piece
 * nears the cliff.
 */
export const PIECE_BYTES = 32 * 1024;
