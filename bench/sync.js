'use strict';
// Sync-primitive benchmarks, greenhub side by side with Node promises and
// gevent in one run: Event fan-out, a bounded producer/consumer queue,
// Pool.map, and the memory of greenlets blocked on one Event. Each
// workload runs in a fresh process per repetition, the three
// implementations interleaved so that they see the same load; the table
// shows medians and ratios.
//
//   node bench/sync.js [--repeats N] [--backend uv|ev]
const path = require('path');
const { ANCHORS, PYTHON, haveGevent, jsonLines, median, fmt, ratio, table, ensureBuilt } = require('./lib');

const args = process.argv.slice(2);
const repeats = args.includes('--repeats') ? Number(args[args.indexOf('--repeats') + 1]) : 3;
const backend = args.includes('--backend') ? args[args.indexOf('--backend') + 1] : 'uv';
ensureBuilt();

const micro = path.join(__dirname, 'micro.js');
const nodeMicro = path.join(ANCHORS, 'node', 'micro.js');
const geventMicro = path.join(ANCHORS, 'gevent', 'micro.py');
const nodePoolMap = path.join(__dirname, 'twins', 'pool_map.js');
const geventPoolMap = path.join(__dirname, 'twins', 'pool_map.py');
const gevent = haveGevent();
const env = { ...process.env, GREENHUB_LOOP: backend };

// workload -> how to run it in greenhub, Node and gevent.
const WORKLOADS = {
  d_event_fanout: {
    greenhub: [process.execPath, ['--expose-gc', micro, 'd_event_fanout']],
    node: [process.execPath, ['--expose-gc', nodeMicro, 'd_event_fanout']],
    gevent: [PYTHON, [geventMicro, 'd_event_fanout']],
    goal: 2e6,
  },
  e_queue: {
    greenhub: [process.execPath, ['--expose-gc', micro, 'e_queue']],
    node: [process.execPath, ['--expose-gc', nodeMicro, 'e_queue']],
    gevent: [PYTHON, [geventMicro, 'e_queue']],
    goal: 5e6,
  },
  g_pool_map: {
    greenhub: [process.execPath, ['--expose-gc', micro, 'g_pool_map']],
    node: [process.execPath, ['--expose-gc', nodePoolMap, 'g_pool_map']],
    gevent: [PYTHON, [geventPoolMap, 'g_pool_map']],
  },
  f_idle_memory: {
    greenhub: [process.execPath, ['--expose-gc', micro, 'f_idle_memory']],
    node: [process.execPath, ['--expose-gc', nodeMicro, 'f_idle_memory']],
    gevent: [PYTHON, [geventMicro, 'f_idle_memory']],
  },
};

const rows = [];
const goals = [];
for (const [workload, how] of Object.entries(WORKLOADS)) {
  const results = { greenhub: [], node: [], gevent: [] };
  for (let rep = 0; rep < repeats; rep++) {
    for (const impl of ['greenhub', 'node', 'gevent']) {
      if (impl === 'gevent' && !gevent) continue;
      const [command, argv] = how[impl];
      for (const r of jsonLines(command, argv, { env })) {
        if (r.error) console.error(`${workload} (${impl}): ${r.error}`);
        else results[impl].push(r);
      }
    }
  }
  const pick = (impl, key) => median(results[impl].map((r) => r[key]));
  if (workload === 'f_idle_memory') {
    const [g, n, e] = ['greenhub', 'node', 'gevent'].map((impl) => pick(impl, 'bytes_per_task'));
    rows.push([`${workload} (bytes/greenlet, less is better)`, fmt(g), fmt(n), fmt(e), ratio(n, g), ratio(e, g)]);
    continue;
  }
  const unit = results.greenhub[0]?.unit ?? 'ops/s';
  const [gc, nc, ec] = ['greenhub', 'node', 'gevent'].map((impl) => pick(impl, 'ops_per_s'));
  const [gw, nw, ew] = ['greenhub', 'node', 'gevent'].map((impl) => pick(impl, 'warm_ops_per_s'));
  const [gr, nr, er] = ['greenhub', 'node', 'gevent'].map((impl) => pick(impl, 'peak_rss_mb'));
  rows.push([`${workload} (${unit}, cold)`, fmt(gc), fmt(nc), fmt(ec), ratio(gc, nc), ratio(gc, ec)]);
  rows.push([`${workload} (${unit}, warm)`, fmt(gw), fmt(nw), fmt(ew), ratio(gw, nw), ratio(gw, ew)]);
  rows.push([`${workload} (peak RSS MB)`, fmt(gr, 1), fmt(nr, 1), fmt(er, 1), ratio(nr, gr), ratio(er, gr)]);
  const [cc, cw] = [pick('greenhub', 'cpu_ops_per_s'), pick('greenhub', 'warm_cpu_ops_per_s')];
  rows.push([`${workload} (greenhub per CPU-second, cold / warm)`, `${fmt(cc)} / ${fmt(cw)}`, '', '', '', '']);
  if (how.goal) {
    const verdict = Math.max(gc, gw) >= how.goal ? 'met' : 'missed';
    goals.push(`${workload}: cold ${fmt(gc)} / warm ${fmt(gw)} ${unit} — goal ${fmt(how.goal)}: ${verdict}`);
  }
}
const missing = gevent ? '' : ' (python3-gevent not installed)';
console.log(`greenhub (${backend} backend) vs Node promises vs gevent${missing}; medians of ${repeats}`);
table(['workload', 'greenhub', 'node', 'gevent', 'greenhub vs node', 'greenhub vs gevent'], rows);
console.log('Ratios: above 1× means greenhub is better (faster, or less memory).');
for (const line of goals) console.log(line);
