/**
 * The dashboard controller: sign-in and sign-out, the selectors, and loading what the views show.
 * The API key lives only in sessionStorage (this tab) and in memory; it is sent as the Authorization
 * header and never written to the page, a URL or the console. See docs/dashboard.md.
 */
import './styles.css';
import type { AggregationWindow, CostDimension } from '../protocol/types';
import { DashboardApi, KeyRejectedError } from './api';
import { CostChart } from './chart';
import { byTestId, fill } from './dom';
import { defaultBucket, isoDay, rangeOf, type RangePreset } from './range';
import { costTable } from './table';
import { hideDrilldown, renderDrilldown, renderSummary } from './view';

const STORAGE_KEY = 'bearlumen.dashboard.apiKey';
/** Series drawn separately in the chart; the rest are one "more" band. */
const CHART_SERIES = 20;
const DIMENSION_NAMES: Record<CostDimension, string> = { agent_id: 'agent', workflow_id: 'workflow', model: 'model', provider: 'provider' };

interface State {
  preset: RangePreset;
  bucket: AggregationWindow;
  dimension: CostDimension;
  custom: { from: string; to: string };
  /** The agent being drilled into, if any. */
  drill: string | null;
}

const state: State = {
  preset: '7d',
  bucket: 'HOUR',
  dimension: 'agent_id',
  custom: { from: isoDay(Date.now() - 6 * 86_400_000), to: isoDay(Date.now()) },
  drill: null,
};
let api: DashboardApi | undefined;
let chart: CostChart | undefined;
/** Increases with every load; answers of an older load are dropped. */
let generation = 0;

function setStatus(kind: 'idle' | 'loading' | 'ready' | 'error', text = ''): void {
  const status = byTestId('status');
  status.dataset['state'] = kind;
  // Which load the state belongs to: scripts (and the browser tests) wait for a newer one to be ready.
  status.dataset['generation'] = String(generation);
  status.textContent = text;
}

function showSignedIn(signedIn: boolean): void {
  byTestId('sign-in-view').hidden = signedIn;
  byTestId('dashboard').hidden = !signedIn;
  byTestId('sign-out').hidden = !signedIn;
}

function signInError(message: string): void {
  const el = byTestId('sign-in-error');
  el.textContent = message;
  el.hidden = message === '';
}

/** Load and render everything for the current state. Rejected keys send the user back to sign-in. */
async function load(): Promise<void> {
  if (api === undefined) return;
  const mine = ++generation;
  const client = api;
  const range = rangeOf(state.preset, Date.now(), state.custom);
  setStatus('loading', 'Loading…');
  try {
    const [report, series, drill] = await Promise.all([
      client.breakdown({ ...range, dimension: state.dimension }),
      client.timeseries({ ...range, dimension: state.dimension, bucket: state.bucket, limit: CHART_SERIES }),
      state.drill === null
        ? null
        : Promise.all([
            client.breakdown({ ...range, dimension: 'workflow_id', agentId: state.drill }),
            client.breakdown({ ...range, dimension: 'model', agentId: state.drill }),
          ]),
    ]);
    if (mine !== generation) return;
    renderSummary(report);
    const name = DIMENSION_NAMES[state.dimension];
    byTestId('chart-title').textContent = `Cost over time by ${name} (${state.bucket === 'HOUR' ? 'hourly' : 'daily'}, USD)`;
    chart ??= new CostChart(byTestId('chart'));
    const drawStart = performance.now();
    chart.render(series);
    // How long drawing took (ms), for the browser tests' render figure (docs/dashboard.md).
    byTestId('chart').dataset['renderMs'] = (performance.now() - drawStart).toFixed(1);
    const onSelect = state.dimension === 'agent_id' ? (agent: string) => void drillInto(agent) : undefined;
    fill(byTestId('table-container'), costTable({ testId: 'breakdown-table', caption: `Cost by ${name}`, items: report.items, ...(onSelect ? { onSelect } : {}) }));
    if (drill === null || state.drill === null) hideDrilldown();
    else renderDrilldown(state.drill, drill[0], drill[1]);
    setStatus('ready');
  } catch (error) {
    if (mine !== generation) return;
    if (error instanceof KeyRejectedError) {
      signOut(error.message);
      return;
    }
    setStatus('error', error instanceof Error ? error.message : 'Loading failed.');
  }
}

async function drillInto(agent: string): Promise<void> {
  state.drill = agent;
  await load();
  byTestId('drilldown').scrollIntoView({ block: 'nearest' });
}

/** Check the key with a first load; keep it in sessionStorage only once the server accepted it. */
async function signIn(key: string): Promise<void> {
  if (key === '') {
    signInError('Paste an API key first.');
    return;
  }
  signInError('');
  api = new DashboardApi(key);
  showSignedIn(true);
  await load();
  if (api !== undefined) sessionStorage.setItem(STORAGE_KEY, key);
}

/** Forget the key and every figure shown; `message` explains why (e.g. a rejected key). */
function signOut(message = ''): void {
  generation += 1;
  api = undefined;
  sessionStorage.removeItem(STORAGE_KEY);
  chart?.destroy();
  chart = undefined;
  fill(byTestId('chart'));
  fill(byTestId('table-container'));
  hideDrilldown();
  state.drill = null;
  showSignedIn(false);
  setStatus('idle');
  signInError(message);
}

function wire(): void {
  const keyInput = byTestId<HTMLInputElement>('api-key');
  byTestId<HTMLFormElement>('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = keyInput.value.trim();
    keyInput.value = '';
    void signIn(key);
  });
  byTestId('sign-out').addEventListener('click', () => signOut());
  const range = byTestId<HTMLSelectElement>('range');
  const bucket = byTestId<HTMLSelectElement>('bucket');
  const dimension = byTestId<HTMLSelectElement>('dimension');
  const from = byTestId<HTMLInputElement>('range-from');
  const to = byTestId<HTMLInputElement>('range-to');
  from.value = state.custom.from;
  to.value = state.custom.to;
  range.value = state.preset;
  bucket.value = state.bucket;
  dimension.value = state.dimension;
  range.addEventListener('change', () => {
    state.preset = range.value as RangePreset;
    byTestId('custom-range').hidden = state.preset !== 'custom';
    state.bucket = defaultBucket(state.preset);
    bucket.value = state.bucket;
    void load();
  });
  for (const input of [from, to]) {
    input.addEventListener('change', () => {
      state.custom = { from: from.value, to: to.value };
      if (from.value !== '' && to.value !== '') void load();
    });
  }
  bucket.addEventListener('change', () => {
    state.bucket = bucket.value as AggregationWindow;
    void load();
  });
  dimension.addEventListener('change', () => {
    state.dimension = dimension.value as CostDimension;
    void load();
  });
  byTestId('drill-close').addEventListener('click', () => {
    state.drill = null;
    hideDrilldown();
  });
  const saved = sessionStorage.getItem(STORAGE_KEY);
  if (saved !== null) void signIn(saved);
}

wire();
