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

const { spawn, sleep, joinAll, run, Event, Queue, Pool } = greenhub;

const N_TASKS = 100_000;
const N_SWITCH = 1_000_000;
const N_ITEMS = 1_000_000;
const QUEUE_MAX = 100;
const POOL_SIZE = 100;
const MB = 1024 * 1024;
const now = () => performance.now() / 1000;
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;
// CPU seconds of this process (all its threads, GC helpers included) since
// `since`: on a loaded machine a steadier figure than wall time.
const cpuSecs = (since) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
};
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
    const c0 = process.cpuUsage();
    const t0 = now();
    const gs = new Array(N_TASKS);
    for (let i = 0; i < N_TASKS; i++) gs[i] = spawn(task, i);
    yield* joinAll(gs);
    const dt = now() - t0;
    const cpu = cpuSecs(c0);
    let s = 0;
    for (const g of gs) s += g.value;
    if (s !== (N_TASKS * (N_TASKS - 1)) / 2) throw new Error('bad sum');
    return {
      n: N_TASKS,
      secs: dt,
      ops_per_s: N_TASKS / dt,
      unit: 'tasks/s',
      cpu_secs: cpu,
      cpu_ops_per_s: N_TASKS / cpu,
      variant: 'spawn(generator fn) + joinAll',
    };
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
    const c0 = process.cpuUsage();
    const t0 = now();
    const gs = new Array(N_TASKS);
    for (let i = 0; i < N_TASKS; i++) gs[i] = spawn(sleeper, delays[i]);
    yield* joinAll(gs);
    const dt = now() - t0;
    const cpu = cpuSecs(c0);
    return {
      n: N_TASKS,
      secs: dt,
      ops_per_s: N_TASKS / dt,
      unit: 'sleepers/s',
      max_delay_s: maxd / 1000,
      overhead_s: dt - maxd / 1000,
      cpu_secs: cpu,
      cpu_ops_per_s: N_TASKS / cpu,
      variant: "sleep(ms / 1000): entries in the loop's timer queue, one native timer",
    };
  });
}

async function benchEventFanout() {
  // As the anchors: 100,000 greenlets block on one Event; time from set()
  // to the last one resumed (joinAll runs in that window, as joinall and
  // Promise.all do in the twins).
  return run(function* () {
    const ev = new Event();
    let started = 0;
    let resumed = 0;
    let tLast = 0;
    let cpu = 0;
    let c0;
    function* waiter() {
      started++;
      yield* ev.wait();
      resumed++;
      if (resumed === N_TASKS) {
        tLast = now();
        cpu = cpuSecs(c0);
      }
    }
    const tSpawn = now();
    const gs = new Array(N_TASKS);
    for (let i = 0; i < N_TASKS; i++) gs[i] = spawn(waiter);
    yield* sleep(0); // FIFO: every greenlet starts and blocks before this resumes
    const tBlocked = now();
    if (started !== N_TASKS || resumed !== 0) throw new Error('not all blocked');
    c0 = process.cpuUsage();
    const t0 = now();
    ev.set();
    yield* joinAll(gs);
    const tJoin = now();
    if (resumed !== N_TASKS) throw new Error('not all resumed');
    const dt = tLast - t0;
    return {
      n: N_TASKS,
      secs: dt,
      ops_per_s: N_TASKS / dt,
      unit: 'resumes/s',
      setup_secs: tBlocked - tSpawn,
      set_to_joined_secs: tJoin - t0,
      cpu_secs: cpu,
      cpu_ops_per_s: N_TASKS / cpu,
      variant: 'Event.wait() x 100,000; set(); joinAll',
    };
  });
}

async function benchQueue() {
  return run(function* () {
    const q = new Queue(QUEUE_MAX);
    let sum = 0;
    function* producer() {
      for (let i = 0; i < N_ITEMS; i++) yield* q.put(i);
    }
    function* consumer() {
      let s = 0;
      for (let i = 0; i < N_ITEMS; i++) s += yield* q.get();
      sum = s;
    }
    const c0 = process.cpuUsage();
    const t0 = now();
    yield* joinAll([spawn(producer), spawn(consumer)]);
    const dt = now() - t0;
    const cpu = cpuSecs(c0);
    if (sum !== (N_ITEMS * (N_ITEMS - 1)) / 2) throw new Error('bad sum');
    return {
      n: N_ITEMS,
      secs: dt,
      ops_per_s: N_ITEMS / dt,
      unit: 'items/s',
      cpu_secs: cpu,
      cpu_ops_per_s: N_ITEMS / cpu,
      variant: 'Queue(100): yield* put / yield* get',
    };
  });
}

async function benchPoolMap() {
  // Pool(100).map over 100,000 items: one greenlet per item, at most 100
  // alive (twins: bench/twins/pool_map.{js,py}).
  const items = new Array(N_TASKS);
  for (let i = 0; i < N_TASKS; i++) items[i] = i;
  const double = (x) => x * 2;
  return run(function* () {
    const pool = new Pool(POOL_SIZE);
    const c0 = process.cpuUsage();
    const t0 = now();
    const out = yield* pool.map(double, items);
    const dt = now() - t0;
    const cpu = cpuSecs(c0);
    if (out.length !== N_TASKS || out[N_TASKS - 1] !== 2 * (N_TASKS - 1)) throw new Error('bad results');
    return {
      n: N_TASKS,
      secs: dt,
      ops_per_s: N_TASKS / dt,
      unit: 'items/s',
      cpu_secs: cpu,
      cpu_ops_per_s: N_TASKS / cpu,
      variant: 'Pool(100).map(x => x * 2, 100,000 items)',
    };
  });
}

async function benchIdleMemory() {
  // 100,000 greenlets blocked on one Event, as in the anchors.
  const ev = new Event();
  let started = 0;
  function* idle() {
    started++;
    yield* ev.wait();
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
  ev.set();
  await joinAll(gs);
  return {
    n: N_TASKS,
    base_rss_mb: base.rss / MB,
    blocked_rss_mb: after.rss / MB,
    bytes_per_task: (after.rss - base.rss) / N_TASKS,
    heap_bytes_per_task: (after.heapUsed - base.heapUsed) / N_TASKS,
    peak_rss_while_blocked_mb: peakBlocked,
    gc_exposed: !!global.gc,
    variant: 'greenlets blocked in Event.wait()',
  };
}

const BENCHES = {
  a_spawn_join: benchSpawnJoin,
  b_switch: benchSwitch,
  c_sleepers: benchSleepers,
  d_event_fanout: benchEventFanout,
  e_queue: benchQueue,
  f_idle_memory: benchIdleMemory,
  g_pool_map: benchPoolMap,
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
    if (warm.cpu_ops_per_s !== undefined) res.warm_cpu_ops_per_s = warm.cpu_ops_per_s;
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
