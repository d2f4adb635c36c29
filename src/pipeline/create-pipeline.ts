import type { Logger } from 'pino';
import type { UsageEventInput, UsageRecordResponse } from '../protocol/types';
import { ROUTES } from '../protocol/routes';
import type { Transport } from '../transport/types';
import type { ResolvedBatchingOptions } from './options';
import type { Pipeline, PipelineStats, ShutdownReport } from './types';

export interface PipelineDeps {
  transport: Transport;
  logger: Logger;
  options: ResolvedBatchingOptions;
  /** Install the beforeExit / SIGTERM / SIGINT drain hook. */
  handleExit: boolean;
}

/**
 * PLACEHOLDER (replaced by the batching pipeline issue): sends each event on its own, no buffering.
 * It exists so the client and resources can be built and tested against the final `Pipeline` contract.
 */
export function createPipeline({ transport }: PipelineDeps): Pipeline {
  let delivered = 0;
  let duplicates = 0;
  const stats = (): PipelineStats => ({
    buffered: 0, inFlight: 0, delivered, duplicates, failed: 0, dropped: 0, droppedByReason: {}, retries: 0, batches: 0, lastError: null,
  });
  return {
    async record(event: UsageEventInput): Promise<UsageRecordResponse> {
      const result = await transport.request<UsageRecordResponse>({ method: 'POST', path: ROUTES.usageEvents, body: event });
      if (result.recorded) delivered++;
      else duplicates++;
      return result;
    },
    async flush() {},
    async shutdown(): Promise<ShutdownReport> {
      await transport.close();
      return { delivered, duplicates, failed: 0, dropped: 0, unsent: [] };
    },
    stats,
    on() {
      return () => {};
    },
  };
}
