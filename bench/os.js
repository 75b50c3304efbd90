'use strict';
// Subprocess and thread pool benchmarks (issue 8), against dist/:
// - 100 concurrent Popen(['true']) + wait, against child_process.spawn with
//   a Promise per 'exit' (the same work, no stdio); then the same with
//   stdout captured (subprocess.run with capture against promisified
//   execFile);
// - ThreadPool(4).map of a CPU-bound function against the same calls one
//   after the other on the main thread (cold: threads start inside the
//   timing; warm: a second map on the same pool).
// Rounds alternate between the two sides; the table shows medians.
//
//   npm run build && node bench/os.js [--rounds N] [--children N]
const childProcess = require('child_process');
const os = require('os');
const { performance } = require('perf_hooks');
const { promisify } = require('util');
const path = require('path');
const { ROOT, median, ratio, table, ensureBuilt } = require('./lib');

ensureBuilt();
const { joinAll, run, spawn, wait, Popen, subprocess, ThreadPool } = require(path.join(ROOT, 'dist', 'index.js'));

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const rounds = option('--rounds', 7);
const children = option('--children', 100);
const execFile = promisify(childProcess.execFile);

async function greenSpawn() {
  const started = performance.now();
  await run(function* () {
    const list = [];
    for (let i = 0; i < children; i++) list.push(new Popen(['true'], { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' }));
    yield* wait(list);
    for (const p of list) if (p.returncode !== 0) throw new Error(`returncode ${p.returncode}`);
  });
  return performance.now() - started;
}

async function nodeSpawn() {
  const started = performance.now();
  const codes = await Promise.all(
    Array.from({ length: children }, () => new Promise((resolve, reject) => {
      childProcess.spawn('true', [], { stdio: 'ignore' }).on('exit', resolve).on('error', reject);
    })),
  );
  for (const code of codes) if (code !== 0) throw new Error(`code ${code}`);
  return performance.now() - started;
}

async function greenCapture() {
  const started = performance.now();
  await run(function* () {
    const list = [];
    for (let i = 0; i < children; i++) list.push(subprocess.run(['echo', 'x'], { capture: true }));
    const greenlets = list.map((task) => spawn(() => task));
    yield* joinAll(greenlets, { raiseError: true });
    for (const g of greenlets) if (String(g.value.stdout) !== 'x\n') throw new Error('bad output');
  });
  return performance.now() - started;
}

async function nodeCapture() {
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: children }, () => execFile('echo', ['x'])));
  for (const r of results) if (r.stdout !== 'x\n') throw new Error('bad output');
  return performance.now() - started;
}

// The CPU-bound task: self-contained, as a pool thread evaluates its source.
function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
const FIB_N = 30;
const ITEMS = 16;

function sequential() {
  const started = performance.now();
  for (let i = 0; i < ITEMS; i++) fib(FIB_N);
  return performance.now() - started;
}

async function pooled() {
  const pool = new ThreadPool(4);
  try {
    let started = performance.now();
    await pool.map(fib, Array.from({ length: ITEMS }, () => FIB_N));
    const cold = performance.now() - started;
    started = performance.now();
    await pool.map(fib, Array.from({ length: ITEMS }, () => FIB_N));
    return [cold, performance.now() - started];
  } finally {
    pool.kill();
  }
}

async function main() {
  const samples = { gs: [], ns: [], gc: [], nc: [], seq: [], cold: [], warm: [] };
  // One warm-up of each, unmeasured.
  await greenSpawn();
  await nodeSpawn();
  for (let round = 0; round < rounds; round++) {
    const first = round % 2 === 0;
    if (first) samples.gs.push(await greenSpawn());
    samples.ns.push(await nodeSpawn());
    if (!first) samples.gs.push(await greenSpawn());
    if (first) samples.gc.push(await greenCapture());
    samples.nc.push(await nodeCapture());
    if (!first) samples.gc.push(await greenCapture());
  }
  for (let round = 0; round < Math.max(3, Math.ceil(rounds / 2)); round++) {
    samples.seq.push(sequential());
    const [cold, warm] = await pooled();
    samples.cold.push(cold);
    samples.warm.push(warm);
  }
  const ms = (v) => v.toFixed(1);
  console.log(`Node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${rounds} rounds, medians.\n`);
  table(
    ['workload', 'greenhub ms', 'Node ms', 'Node / greenhub'],
    [
      [`${children} × Popen(['true']) + wait`, ms(median(samples.gs)), ms(median(samples.ns)), ratio(median(samples.ns), median(samples.gs))],
      [`${children} × run(['echo','x'], capture)`, ms(median(samples.gc)), ms(median(samples.nc)), ratio(median(samples.nc), median(samples.gc))],
    ],
  );
  console.log('');
  table(
    ['workload', 'ms', 'speed-up vs sequential'],
    [
      [`${ITEMS} × fib(${FIB_N}) sequential, main thread`, ms(median(samples.seq)), '1.00×'],
      [`ThreadPool(4).map, cold (threads start)`, ms(median(samples.cold)), ratio(median(samples.seq), median(samples.cold))],
      [`ThreadPool(4).map, warm`, ms(median(samples.warm)), ratio(median(samples.seq), median(samples.warm))],
    ],
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
