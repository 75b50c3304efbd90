'use strict';
// greenhub's scheduler micro-benchmarks: the twin of the anchors'
// node/micro.js and gevent/micro.py (same workloads, same JSON lines).
//
//   node --expose-gc bench/micro.js WORKLOAD    run one workload in this process
//   node bench/micro.js --list                  workload names
//
// Uses the compiled package (dist/): run `npm run build` after changing lib/.
const { performance } = require('perf_hooks');

const greenhub = require('..');

const { spawn, sleep, joinAll, run, Greenlet } = greenhub;

const N_TASKS = 100_000;
const N_SWITCH = 1_000_000;
const MB = 1024 * 1024;
const now = () => performance.now() / 1000;
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;
const gcNow = () => {
  if (global.gc) {
    global.gc();
    global.gc();
  }
};

function* task(i) {
  return i;
}

async function benchSpawnJoin() {
  return run(function* () {
    const t0 = now();
    const gs = new Array(N_TASKS);
    for (let i = 0; i < N_TASKS; i++) gs[i] = spawn(task, i);
    yield* joinAll(gs);
    const dt = now() - t0;
    let s = 0;
    for (const g of gs) s += g.value;
    if (s !== (N_TASKS * (N_TASKS - 1)) / 2) throw new Error('bad sum');
    return { n: N_TASKS, secs: dt, ops_per_s: N_TASKS / dt, unit: 'tasks/s', variant: 'spawn(generator fn) + joinAll' };
  });
}

async function benchSwitch() {
  const perTask = N_SWITCH / 2;
  return run(function* () {
    function* pinger() {
      for (let i = 0; i < perTask; i++) yield* sleep(0);
    }
    const t0 = now();
    yield* joinAll([spawn(pinger), spawn(pinger)]);
    const dt = now() - t0;
    return { n: N_SWITCH, secs: dt, ops_per_s: N_SWITCH / dt, unit: 'switches/s', variant: 'sleep(0)' };
  });
}

async function benchSleepers() {
  const delays = new Array(N_TASKS);
  let maxd = 0;
  for (let i = 0; i < N_TASKS; i++) {
    delays[i] = Math.floor(Math.random() * 101);
    if (delays[i] > maxd) maxd = delays[i];
  }
  function* sleeper(ms) {
    yield* sleep(ms / 1000);
  }
  return run(function* () {
    const t0 = now();
    const gs = new Array(N_TASKS);
    for (let i = 0; i < N_TASKS; i++) gs[i] = spawn(sleeper, delays[i]);
    yield* joinAll(gs);
    const dt = now() - t0;
    return {
      n: N_TASKS,
      secs: dt,
      ops_per_s: N_TASKS / dt,
      unit: 'sleepers/s',
      max_delay_s: maxd / 1000,
      overhead_s: dt - maxd / 1000,
      variant: 'sleep(ms / 1000), one native timer each',
    };
  });
}

async function benchIdleMemory() {
  // 100,000 greenlets blocked on one object (a gate greenlet that has not
  // started: the same link/waiter path an Event wait takes).
  const gate = new Greenlet(() => undefined);
  let started = 0;
  function* idle() {
    started++;
    yield* gate.join();
  }
  gcNow();
  const base = process.memoryUsage();
  const gs = new Array(N_TASKS);
  await run(function* () {
    for (let i = 0; i < N_TASKS; i++) gs[i] = spawn(idle);
    yield* sleep(0);
  });
  if (started !== N_TASKS) throw new Error(`not all started: ${started}`);
  gcNow();
  const after = process.memoryUsage();
  const peakBlocked = peakRssMb();
  gate.kill();
  await joinAll(gs);
  return {
    n: N_TASKS,
    base_rss_mb: base.rss / MB,
    blocked_rss_mb: after.rss / MB,
    bytes_per_task: (after.rss - base.rss) / N_TASKS,
    heap_bytes_per_task: (after.heapUsed - base.heapUsed) / N_TASKS,
    peak_rss_while_blocked_mb: peakBlocked,
    gc_exposed: !!global.gc,
    variant: 'greenlets blocked in join() of one gate greenlet',
  };
}

const BENCHES = {
  a_spawn_join: benchSpawnJoin,
  b_switch: benchSwitch,
  c_sleepers: benchSleepers,
  f_idle_memory: benchIdleMemory,
};

async function runOne(name) {
  const startRss = process.memoryUsage().rss / MB;
  const res = await BENCHES[name]();
  const peak = peakRssMb();
  if (name !== 'f_idle_memory') {
    gcNow();
    const warm = await BENCHES[name]();
    res.warm_secs = warm.secs;
    res.warm_ops_per_s = warm.ops_per_s;
  }
  const out = Object.assign({ variant: '' }, res, {
    impl: 'greenhub',
    backend: greenhub.getHub().loop.backend,
    bench: name,
    start_rss_mb: startRss,
    peak_rss_mb: peak,
  });
  process.stdout.write(JSON.stringify(out) + '\n');
}

const [name] = process.argv.slice(2);
if (name === '--list') {
  process.stdout.write(Object.keys(BENCHES).join('\n') + '\n');
} else if (BENCHES[name]) {
  runOne(name).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  console.error(`usage: node --expose-gc bench/micro.js (--list | ${Object.keys(BENCHES).join(' | ')})`);
  process.exit(2);
}
