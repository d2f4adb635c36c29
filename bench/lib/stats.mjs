// Small statistics and formatting helpers for the report.
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** { median, min, max, n } of the finite numbers in `values`, or null when there are none. */
export function summarize(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { median, min: v[0], max: v[v.length - 1], n: v.length };
}

/** Formats a number for humans: thousands separators, `digits` decimals under 100. */
export function fmt(x, digits = 1) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const abs = Math.abs(x);
  const d = abs >= 100 ? 0 : abs >= 10 ? Math.min(digits, 1) : digits;
  return x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** "median (min–max)" of a summary, through `scale` (e.g. ns → µs). */
export function cell(s, scale = 1, digits = 1) {
  if (!s) return '—';
  if (s.n === 1) return fmt(s.median * scale, digits);
  return `${fmt(s.median * scale, digits)} (${fmt(s.min * scale, digits)}–${fmt(s.max * scale, digits)})`;
}

/**
 * Cores busy with other work, sampled from /proc/stat over `ms` while no benchmark process runs
 * (the load average cannot tell the benchmark's own sink, server and SDK processes from other work).
 * null where /proc/stat is not available.
 */
export async function busyCores(ms = 2000) {
  const read = () => {
    try {
      const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
      const idle = fields[3] + (fields[4] ?? 0);
      const total = fields.reduce((a, b) => a + b, 0);
      return { idle, total };
    } catch {
      return null;
    }
  };
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  if (a === null || b === null || b.total === a.total) return null;
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  return Math.round((1 - (b.idle - a.idle) / (b.total - a.total)) * cores * 100) / 100;
}

/** The machine the figures were taken on, and how busy it was. */
export function machine() {
  const cpus = os.cpus();
  let cpuModel = cpus[0]?.model ?? 'unknown';
  if (!cpuModel || cpuModel === 'unknown') {
    try {
      cpuModel = execFileSync('lscpu', { encoding: 'utf8' }).match(/Model name:\s*(.+)/)?.[1] ?? 'unknown';
    } catch {
      cpuModel = 'unknown';
    }
  }
  return {
    cpu: cpuModel.trim(),
    cores: os.availableParallelism?.() ?? cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
