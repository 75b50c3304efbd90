'use strict';
// Scheduler benchmarks, greenhub side by side with Node promises and gevent
// (the anchors' micro.js / micro.py), in one run. Each workload runs in a
// fresh process per repetition; the table shows medians and ratios.
//
//   node bench/core.js [--repeats N] [--backend uv|ev]
const path = require('path');
const { ANCHORS, PYTHON, haveGevent, jsonLines, median, fmt, ratio, table, ensureBuilt } = require('./lib');

const args = process.argv.slice(2);
const repeats = args.includes('--repeats') ? Number(args[args.indexOf('--repeats') + 1]) : 3;
const backend = args.includes('--backend') ? args[args.indexOf('--backend') + 1] : 'uv';
ensureBuilt();

// greenhub workload -> [node anchor workload, gevent anchor workload]
const PAIRS = {
  a_spawn_join: ['a_spawn_join_await', 'a_spawn_join'],
  b_switch: ['b_switch_immediate', 'b_switch'],
  c_sleepers: ['c_sleepers', 'c_sleepers'],
  f_idle_memory: ['f_idle_memory', 'f_idle_memory'],
};

function runRepeated(command, argsFor, workload) {
  const results = [];
  for (let rep = 0; rep < repeats; rep++) results.push(...jsonLines(command, argsFor(workload)));
  return results;
}

const micro = path.join(__dirname, 'micro.js');
const nodeMicro = path.join(ANCHORS, 'node', 'micro.js');
const geventMicro = path.join(ANCHORS, 'gevent', 'micro.py');
const gevent = haveGevent();
const env = { ...process.env, GREENHUB_LOOP: backend };

const rows = [];
for (const [workload, [nodeName, geventName]] of Object.entries(PAIRS)) {
  const ours = runRepeated(process.execPath, (w) => ['--expose-gc', micro, w], workload).map((r) => r);
  for (let rep = 0; rep < repeats; rep++) ours.push(...[]);
  const theirs = runRepeated(process.execPath, (w) => ['--expose-gc', nodeMicro, w], nodeName);
  const gev = gevent ? runRepeated(PYTHON, (w) => [geventMicro, w], geventName) : [];
  for (const r of [...ours, ...theirs, ...gev]) if (r.error) console.error(`${workload}: ${r.error}`);
  const pick = (list, key) => median(list.map((r) => r[key]));
  if (workload === 'f_idle_memory') {
    const g = pick(ours, 'bytes_per_task');
    const n = pick(theirs, 'bytes_per_task');
    const e = pick(gev, 'bytes_per_task');
    rows.push([`${workload} (bytes/task, less is better)`, fmt(g), fmt(n), fmt(e), ratio(n, g), ratio(e, g)]);
  } else {
    const g = pick(ours, 'warm_ops_per_s');
    const n = pick(theirs, 'warm_ops_per_s');
    const e = pick(gev, 'warm_ops_per_s');
    rows.push([`${workload} (${ours[0]?.unit ?? 'ops/s'}, warm)`, fmt(g), fmt(n), fmt(e), ratio(g, n), ratio(g, e)]);
    const gc = pick(ours, 'ops_per_s');
    const nc = pick(theirs, 'ops_per_s');
    const ec = pick(gev, 'ops_per_s');
    rows.push([`${workload} (cold)`, fmt(gc), fmt(nc), fmt(ec), ratio(gc, nc), ratio(gc, ec)]);
    const gr = pick(ours, 'peak_rss_mb');
    const nr = pick(theirs, 'peak_rss_mb');
    const er = pick(gev, 'peak_rss_mb');
    rows.push([`${workload} (peak RSS MB)`, fmt(gr, 1), fmt(nr, 1), fmt(er, 1), ratio(nr, gr), ratio(er, gr)]);
  }
}
console.log(`greenhub (${backend} backend) vs Node promises vs gevent${gevent ? '' : ' (python3-gevent not installed)'}; medians of ${repeats}`);
table(['workload', 'greenhub', 'node', 'gevent', 'greenhub vs node', 'greenhub vs gevent'], rows);
console.log('Ratios: above 1× means greenhub is better (faster, or less memory).');
