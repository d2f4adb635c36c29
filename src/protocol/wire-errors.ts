/** The wire contract: Error bodies and health. (src/protocol/types.ts re-exports every part.) */

/** One failing item of a rejected batch. */
export interface ErrorDetail {
  /** Index of the event in the batch. */
  index: number;
  code: string;
  message: string;
  param?: string;
  idempotencyKey?: string;
}

/** Body of every non-2xx response. */
export interface ErrorBody {
  error: {
    type: string;
    code: string;
    message: string;
    param?: string;
    details?: ErrorDetail[];
  };
  requestId: string;
}

/** Body of `GET /healthz`. */
export interface HealthResponse {
  status: 'ok';
  version: string;
  store: 'sqlite' | 'postgres';
}
