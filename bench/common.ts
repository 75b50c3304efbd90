// Shared by the benchmarks: child processes per side, medians, and the
// side-by-side table every benchmark prints.
import { spawnSync } from 'node:child_process';

export const now = (): bigint => process.hrtime.bigint();

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `--name=value` arguments, with defaults. */
export function option(name: string, fallback: number): number {
  const prefix = `--${name}=`;
  const arg = process.argv.find((a) => a.startsWith(prefix));
  if (arg === undefined) return fallback;
  const value = Number(arg.slice(prefix.length));
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`--${name} must be a positive number, got ${arg}`);
  return value;
}

export function stringOption(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

/**
 * Runs this benchmark file again in a fresh node process with `args`, and
 * returns the JSON object its last stdout line holds. A fresh process per
 * measurement keeps garbage, JIT state and RSS of one side away from the
 * other.
 */
export function runChild<T>(file: string, args: string[]): T {
  const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', '--expose-gc', file, ...args], {
    encoding: 'utf8',
    env: process.env,
    maxBuffer: 1 << 24,
  });
  if (result.status !== 0) {
    throw new Error(`${file} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stderr}`);
  }
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}

export interface Row {
  label: string;
  greenhub: number;
  node: number;
  unit: string;
  /** Whether larger figures are better (rates) or smaller (times, memory). */
  higherIsBetter: boolean;
  digits?: number;
}

function format(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Prints greenhub and Node side by side; "ratio" > 1 means greenhub is better. */
export function printTable(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  const header = ['', 'greenhub', 'node', 'unit', 'ratio'];
  const body = rows.map((row) => {
    const digits = row.digits ?? 0;
    const ratio = row.higherIsBetter ? row.greenhub / row.node : row.node / row.greenhub;
    return [row.label, format(row.greenhub, digits), format(row.node, digits), row.unit, `${ratio.toFixed(2)}×`];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 || i === 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const r of body) console.log(line(r));
  console.log('ratio: greenhub relative to node, > 1 is better for greenhub');
}
