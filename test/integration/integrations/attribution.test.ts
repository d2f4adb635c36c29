import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen, BearLumenValidationError, type UsageEvent } from '@bearlumen/node-sdk';
import { startServer, type StartedServer } from '../../helpers/start-server';

let server: StartedServer;
let client: BearLumen;
let subscriptionId = '';

beforeAll(async () => {
  server = await startServer();
  client = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false, batching: { flushIntervalMs: 10 } });
  const userId = (await client.endUsers.create({ externalId: 'attribution-owner' })).endUser.id;
  subscriptionId = (
    await client.subscriptions.create({
      userId,
      pricingPlanId: 'plan',
      currentPeriodStart: new Date(Date.now() - 86_400_000).toISOString(),
      currentPeriodEnd: new Date(Date.now() + 29 * 86_400_000).toISOString(),
    })
  ).id;
});

afterAll(async () => {
  await client?.shutdown();
  await server?.close();
});

const stored = async (key: string): Promise<UsageEvent> => {
  const { events } = await client.usage.query({ limit: 1000 });
  const found = events.find((e) => e.idempotencyKey === key);
  if (found === undefined) throw new Error(`no stored event ${key}`);
  return found;
};
const input = (key: string, extra: object = {}) => ({ eventType: 'token_usage', metricName: 'tool_calls', quantity: 1, idempotencyKey: key, ...extra });

describe('bearLumen.withAttribution', () => {
  it('every record inside fn, across awaits and timers, carries the scope fields', async () => {
    await client.withAttribution({ agent_id: 'agent-a', workflow_id: 'wf-a', subscriptionId, metadata: { team: 'blue' } }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      await client.usage.record(input('attr-1'));
      await client.usage.recordBatch([input('attr-batch')]);
    });
    for (const key of ['attr-1', 'attr-batch']) {
      const event = await stored(key);
      expect(event.subscriptionId).toBe(subscriptionId);
      expect(event.metadata).toMatchObject({ agent_id: 'agent-a', workflow_id: 'wf-a', team: 'blue' });
    }
  });

  it("the call's own fields win, then the inner scope, then the outer one", async () => {
    await client.withAttribution({ agent_id: 'outer', workflow_id: 'outer-wf', metadata: { team: 'outer', region: 'eu' } }, () =>
      client.withAttribution({ agent_id: 'inner', metadata: { team: 'inner' } }, async () => {
        await client.usage.record(input('attr-nested'));
        await client.usage.record(input('attr-own', { agent_id: 'call', metadata: { region: 'us' } }));
        await client.usage.record(input('attr-meta', { metadata: { workflow_id: 'call-meta-wf' } }));
      }),
    );
    expect((await stored('attr-nested')).metadata).toEqual({ agent_id: 'inner', workflow_id: 'outer-wf', team: 'inner', region: 'eu' });
    expect((await stored('attr-own')).metadata).toEqual({ agent_id: 'call', workflow_id: 'outer-wf', team: 'inner', region: 'us' });
    expect((await stored('attr-meta')).metadata).toMatchObject({ agent_id: 'inner', workflow_id: 'call-meta-wf' });
  });

  it('outside the scope (and in work started after it ended) nothing is added', async () => {
    await client.withAttribution({ agent_id: 'scoped' }, () => undefined);
    await client.usage.record(input('attr-outside'));
    expect((await stored('attr-outside')).metadata ?? {}).not.toHaveProperty('agent_id');
    expect(client.currentAttribution()).toBeUndefined();
  });

  it('returns what fn returns and validates the fields before fn runs', () => {
    expect(client.withAttribution({ agent_id: 'x' }, () => client.currentAttribution())).toEqual({ agent_id: 'x' });
    let ran = false;
    const run = () => {
      ran = true;
    };
    expect(() => client.withAttribution({ agent_id: '' }, run)).toThrow(BearLumenValidationError);
    expect(() => client.withAttribution({ agent_id: 'a', agentId: 'typo' } as never, run)).toThrow(/fields\.agentId is not a known option/);
    expect(() => client.withAttribution({ metadata: [] } as never, run)).toThrow(/fields\.metadata must be an object/);
    expect(ran).toBe(false);
  });
});
