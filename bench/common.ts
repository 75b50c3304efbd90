// Shared by the benchmarks: child processes per side (and per greenhub
// backend), medians, and the side-by-side table every benchmark prints.
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
 * Runs this benchmark file again in a fresh node process with `args` (and
 * `env` on top of this process's), and returns the JSON object its last
 * stdout line holds. A fresh process per measurement keeps garbage, JIT
 * state and RSS of one side away from the other.
 */
export function runChild<T>(file: string, args: string[], env: NodeJS.ProcessEnv = {}): T {
  const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', '--expose-gc', file, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 1 << 24,
  });
  if (result.status !== 0) {
    throw new Error(`${file} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stderr}`);
  }
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}

/**
 * The greenhub backends to measure: `--backends=uv,ev`, else every backend
 * this build has. Each runs in its own child processes (GREENHUB_LOOP), so
 * that one run prints uv, ev and node side by side.
 */
export function backendsToRun(built: readonly string[]): string[] {
  const chosen = stringOption('backends')?.split(',') ?? [...built];
  for (const name of chosen) {
    if (!built.includes(name)) throw new RangeError(`--backends: this build has no "${name}" backend (it has ${built.join(', ')})`);
  }
  return chosen;
}

/** The column of a greenhub backend: 'greenhub uv'. */
export const column = (backend: string): string => `greenhub ${backend}`;

/** The environment of a child that measures `backend`. */
export const backendEnv = (backend: string): NodeJS.ProcessEnv => ({ GREENHUB_LOOP: backend });

/**
 * The ratios every benchmark prints: each greenhub backend against node
 * (when node ran), and ev against uv.
 */
export function standardRatios(backends: string[], withNode: boolean): [string, string][] {
  const ratios: [string, string][] = withNode ? backends.map((b): [string, string] => [column(b), 'node']) : [];
  if (backends.includes('uv') && backends.includes('ev')) ratios.push([column('ev'), column('uv')]);
  return ratios;
}

export interface Row {
  label: string;
  /** By column name ('greenhub uv', 'greenhub ev', 'node'). */
  values: Record<string, number>;
  unit: string;
  /** Whether larger figures are better (rates) or smaller (times, memory). */
  higherIsBetter: boolean;
  digits?: number;
}

function format(value: number | undefined, digits: number): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * Prints `columns` side by side, then one ratio column per [a, b] pair in
 * `ratios`: "a/b" > 1 means `a` is better (faster, smaller).
 */
export function printTable(title: string, columns: string[], rows: Row[], ratios: [string, string][]): void {
  console.log(`\n${title}`);
  const ratioNames = ratios.map(([a, b]) => `${a.replace('greenhub ', '')}/${b.replace('greenhub ', '')}`);
  const header = ['', ...columns, 'unit', ...ratioNames];
  const body = rows.map((row) => {
    const digits = row.digits ?? 0;
    const ratioCells = ratios.map(([a, b]) => {
      const [x, y] = [row.values[a], row.values[b]];
      // A ratio of a zero or negative figure (a timer "late" by -0.2 ms) says nothing.
      if (x === undefined || y === undefined || !(x > 0) || !(y > 0)) return '-';
      return `${(row.higherIsBetter ? x / y : y / x).toFixed(2)}×`;
    });
    return [row.label, ...columns.map((c) => format(row.values[c], digits)), row.unit, ...ratioCells];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const unitAt = 1 + columns.length;
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 || i === unitAt ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const r of body) console.log(line(r));
  if (ratios.length > 0) console.log('ratios: a/b > 1 means a is better (faster, cheaper, smaller)');
}
