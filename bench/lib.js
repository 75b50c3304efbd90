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

/** Builds the anchors' C programs into bench/bin (once). */
function buildAnchors() {
  const bin = path.join(__dirname, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  const programs = {
    echo_epoll: 'limit/echo_epoll.c',
    http_epoll: 'limit/http_epoll.c',
    echo_load: 'load/echo_load.c',
  };
  for (const [name, source] of Object.entries(programs)) {
    const out = path.join(bin, name);
    if (!fs.existsSync(out)) execFileSync('gcc', ['-O2', '-o', out, path.join(ANCHORS, source)], { stdio: 'inherit' });
  }
  return bin;
}

/** Starts a server pinned to CPU 0; resolves once its port accepts connections. */
async function startServer(command, args, port, env = {}) {
  const { spawn } = require('child_process');
  const net = require('net');
  const child = spawn('taskset', ['-c', '0', command, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.destroy();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (ok) return child;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`server ${command} ${args.join(' ')} did not start: ${stderr}`);
}

async function stopServer(child) {
  if (child.exitCode !== null) return;
  child.kill('SIGINT');
  await new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 2000);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat (11 and 12 after the name).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Runs the load pinned to CPU 1 and returns its stdout. */
function runLoad(command, args) {
  return execFileSync('taskset', ['-c', '1', command, ...args], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

function ensureBuilt() {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) {
    throw new Error('dist/ is missing: run npm run build first');
  }
}

module.exports = { ROOT, ANCHORS, PYTHON, haveGevent, jsonLines, median, fmt, ratio, table, ensureBuilt, buildAnchors, startServer, stopServer, runLoad, cpuSeconds };
