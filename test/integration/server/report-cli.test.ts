/**
 * `bearlumen report` (run from source through tsx, as a user would run the CLI) against a real
 * server: the tables carry the API's figures, `--help` and usage mistakes behave, the key is never printed.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen, type UsageRecordInput } from '@bearlumen/node-sdk';
import { startServer, type StartedServer } from '../../helpers/start-server';

const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const CLI = join(process.cwd(), 'src', 'server', 'cli.ts');
const env = { ...process.env, BEARLUMEN_API_KEY: '', BEARLUMEN_URL: '' };

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [CLI, 'report', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let server: StartedServer;
let client: BearLumen;

beforeAll(async () => {
  server = await startServer();
  client = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false });
  const ev = (agent: string, model: string, quantity: number, key: string): UsageRecordInput => ({
    eventType: 'token_usage',
    metricName: 'llm_tokens_input',
    quantity,
    agent_id: agent,
    metadata: { model, provider: 'openai' },
    idempotencyKey: key,
  });
  await client.usage.recordBatch([ev('support-agent', 'gpt-4o', 1_000_000, 'r1'), ev('sales-agent', 'gpt-4o-mini', 500_000, 'r2')]);
});

afterAll(async () => {
  await client?.shutdown();
  await server?.close();
});

describe('bearlumen report', () => {
  it('prints the API’s cost tables for the last 7 days, by agent and by model', async () => {
    const res = await run(['--url', server.url, '--api-key', server.apiKey, '--by', 'agent,model', '--range', '7d']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const byAgent = await client.costAttribution.byAgent({ startDate: new Date(Date.now() - 7 * 86_400_000).toISOString(), endDate: new Date(Date.now() + 1000).toISOString() });
    expect(res.stdout).toContain('Cost by agent');
    expect(res.stdout).toContain('Cost by model');
    for (const item of byAgent.items) {
      expect(res.stdout).toMatch(new RegExp(`${item.attributionValue}\\s+\\$${item.totalCost.toFixed(4)}\\s+${item.percentOfTotal.toFixed(2)}%\\s+${item.inputTokens.toLocaleString('en-US')}`));
    }
    expect(res.stdout).toMatch(new RegExp(`TOTAL\\s+\\$${byAgent.totalCost.toFixed(4)}\\s+100\\.00%\\s+1,500,000`));
    expect(res.stdout).toMatch(/gpt-4o-mini\s+\$/);
    expect(res.stdout + res.stderr).not.toContain(server.apiKey);
  });

  it('--help prints the usage; a bad --by or --range is a usage error naming the flag (exit 2)', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: bearlumen report --url URL --api-key KEY/);
    const badBy = await run(['--url', server.url, '--api-key', server.apiKey, '--by', 'team']);
    expect(badBy.code).toBe(2);
    expect(badBy.stderr).toMatch(/--by must be agent, workflow, model or provider/);
    const badRange = await run(['--url', server.url, '--api-key', server.apiKey, '--range', 'forever']);
    expect(badRange.code).toBe(2);
    expect(badRange.stderr).toMatch(/--range must look like 24h or 7d/);
    const noKey = await run(['--url', server.url]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/--api-key KEY is required/);
  });

  it('a wrong key fails with the server’s message and exit 1, without echoing the key', async () => {
    const wrong = 'bl_test_not_a_real_key_0123456789';
    const res = await run(['--url', server.url, '--api-key', wrong]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/401/);
    expect(res.stderr + res.stdout).not.toContain(wrong);
  });
});
