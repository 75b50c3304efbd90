'use strict';
// Node twin of greenhub's g_pool_map (bench/micro.js): map x => x * 2 over
// 100,000 items with at most 100 running at once, the way a Node user
// writes a bounded concurrent map (p-map / p-limit style): 100 async
// workers pulling the next index. Same JSON line as the anchors.
//
//   node --expose-gc bench/twins/pool_map.js g_pool_map
const { performance } = require('perf_hooks');

const N_TASKS = 100_000;
const POOL_SIZE = 100;
const MB = 1024 * 1024;
const now = () => performance.now() / 1000;
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;
const gcNow = () => {
  if (global.gc) {
    global.gc();
    global.gc();
  }
};

async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  }
  const workers = [];
  for (let w = 0; w < Math.min(limit, items.length); w++) workers.push(worker());
  await Promise.all(workers);
  return results;
}

async function benchPoolMap() {
  const items = new Array(N_TASKS);
  for (let i = 0; i < N_TASKS; i++) items[i] = i;
  const double = async (x) => x * 2;
  const t0 = now();
  const out = await mapLimit(items, POOL_SIZE, double);
  const dt = now() - t0;
  if (out.length !== N_TASKS || out[N_TASKS - 1] !== 2 * (N_TASKS - 1)) throw new Error('bad results');
  return { n: N_TASKS, secs: dt, ops_per_s: N_TASKS / dt, unit: 'items/s', variant: 'mapLimit(items, 100, async x => x * 2)' };
}

async function runOne() {
  const startRss = process.memoryUsage().rss / MB;
  const res = await benchPoolMap();
  const peak = peakRssMb();
  gcNow();
  const warm = await benchPoolMap();
  res.warm_secs = warm.secs;
  res.warm_ops_per_s = warm.ops_per_s;
  const out = Object.assign({ variant: '' }, res, {
    impl: 'node',
    bench: 'g_pool_map',
    start_rss_mb: startRss,
    peak_rss_mb: peak,
  });
  process.stdout.write(JSON.stringify(out) + '\n');
}

if (process.argv[2] === 'g_pool_map') {
  runOne().catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  console.error('usage: node --expose-gc bench/twins/pool_map.js g_pool_map');
  process.exit(2);
}
