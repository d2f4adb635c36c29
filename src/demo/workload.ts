/** A deterministic, realistic LLM-gateway workload: agents running workflows on several providers' models. */
import type { UsageRecordInput } from '../index';

/** A model as the price data names it: `metadata.provider` + `metadata.model`. */
export interface DemoModel {
  readonly provider: string;
  readonly model: string;
}

/** An agent, the workflows it runs and the models it calls (weights sum to anything). */
export interface DemoAgent {
  readonly id: string;
  readonly workflows: readonly string[];
  readonly models: readonly (readonly [DemoModel, number])[];
  /** Typical prompt and completion sizes, tokens. */
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Share of all calls. */
  readonly weight: number;
}

const SONNET: DemoModel = { provider: 'anthropic', model: 'claude-3-5-sonnet' };
const HAIKU: DemoModel = { provider: 'anthropic', model: 'claude-3-haiku' };
const GPT4O: DemoModel = { provider: 'openai', model: 'gpt-4o' };
const GPT4O_MINI: DemoModel = { provider: 'openai', model: 'gpt-4o-mini' };
const GEMINI_PRO: DemoModel = { provider: 'google', model: 'gemini-1.5-pro' };
const GEMINI_FLASH: DemoModel = { provider: 'google', model: 'gemini-1.5-flash' };

/** The agents of the demo company. */
export const DEMO_AGENTS: readonly DemoAgent[] = [
  { id: 'support-agent', workflows: ['ticket-triage', 'refund-handling'], models: [[HAIKU, 6], [GPT4O_MINI, 3], [SONNET, 1]], inputTokens: 1_800, outputTokens: 350, weight: 40 },
  { id: 'sales-agent', workflows: ['lead-qualification', 'proposal-drafting'], models: [[GPT4O, 5], [GPT4O_MINI, 5]], inputTokens: 2_500, outputTokens: 700, weight: 20 },
  { id: 'research-agent', workflows: ['market-report'], models: [[GEMINI_PRO, 6], [SONNET, 4]], inputTokens: 12_000, outputTokens: 1_800, weight: 15 },
  { id: 'code-review-agent', workflows: ['pr-review'], models: [[SONNET, 7], [GPT4O, 3]], inputTokens: 6_000, outputTokens: 900, weight: 15 },
  { id: 'summarizer-agent', workflows: ['ticket-triage', 'market-report'], models: [[GEMINI_FLASH, 8], [HAIKU, 2]], inputTokens: 4_000, outputTokens: 250, weight: 10 },
];

/** mulberry32: a tiny seeded PRNG, so every run with the same seed produces the same workload. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick<T>(items: readonly (readonly [T, number])[], random: () => number): T {
  const total = items.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [item, weight] of items) {
    roll -= weight;
    if (roll < 0) return item;
  }
  return (items[items.length - 1] as readonly [T, number])[0];
}

/** Tokens around `typical`: 0.3×–2.5×, skewed like real prompt sizes. */
function tokens(typical: number, random: () => number): number {
  return Math.max(1, Math.round(typical * (0.3 + 2.2 * random() ** 2)));
}

/**
 * Builds the events of one LLM call: an `llm_tokens_input` and an `llm_tokens_output` event with the
 * agent, workflow, model and provider, for one of the customers' subscriptions.
 */
export function createCallGenerator(subscriptionIds: readonly string[], seed: number): () => [UsageRecordInput, UsageRecordInput] {
  const random = seededRandom(seed);
  const agents = DEMO_AGENTS.map((agent) => [agent, agent.weight] as const);
  return () => {
    const agent = pick(agents, random);
    const { provider, model } = pick(agent.models, random);
    const workflow = agent.workflows[Math.floor(random() * agent.workflows.length)] ?? 'default';
    const subscriptionId = subscriptionIds[Math.floor(random() * subscriptionIds.length)];
    const common = {
      eventType: 'llm_call',
      agent_id: agent.id,
      workflow_id: workflow,
      metadata: { provider, model },
      ...(subscriptionId === undefined ? {} : { subscriptionId }),
    };
    return [
      { ...common, metricName: 'llm_tokens_input', quantity: tokens(agent.inputTokens, random) },
      { ...common, metricName: 'llm_tokens_output', quantity: tokens(agent.outputTokens, random) },
    ];
  };
}
