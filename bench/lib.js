'use strict';
// Shared pieces of the benchmark runners: child processes, medians, tables.
const { execFileSync, spawnSync } = require('child_process');
const path = require('path');
const fs = require('fs');

const ROOT = path.resolve(__dirname, '..');
const ANCHORS = path.resolve(ROOT, '..', 'shared', 'anchors');
const PYTHON = '/usr/bin/python3';

/** Whether Debian's python3 with gevent is there (python3-gevent). */
function haveGevent() {
  const r = spawnSync(PYTHON, ['-c', 'import gevent'], { encoding: 'utf8' });
  return r.status === 0;
}

/** Runs a command that prints JSON lines; returns the parsed objects. */
function jsonLines(command, args, options = {}) {
  let out;
  try {
    out = execFileSync(command, args, { encoding: 'utf8', timeout: 600_000, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  } catch (e) {
    return [{ error: String(e.stderr || e.message).slice(-1500) }];
  }
  return out
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l));
}

function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

function fmt(value, digits = 0) {
  if (!Number.isFinite(value)) return '—';
  if (Math.abs(value) >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (Math.abs(value) >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(digits);
}

function ratio(a, b) {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : '—';
}

/** Prints rows (arrays of cells) as an aligned Markdown table. */
function table(header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(all[0]));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of all.slice(1)) console.log(line(r));
}

function ensureBuilt() {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) {
    throw new Error('dist/ is missing: run npm run build first');
  }
}

module.exports = { ROOT, ANCHORS, PYTHON, haveGevent, jsonLines, median, fmt, ratio, table, ensureBuilt };
