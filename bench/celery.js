'use strict';
// Celery throughput: tasks/s of a no-op task and of a 10 ms I/O wait at
// concurrency 100, greenhub's worker vs Python Celery's `-P gevent -c 100`,
// on one private redis-server, in one run, alternated round by round.
// Each measurement: N tasks are queued first (identical protocol-2
// messages, as greenhub's client sends them), then the worker starts; the
// clock runs from its first reservation until N results are stored. Both
// workers ack after the task (greenhub's default; Celery's task_acks_late)
// and prefetch 4 per slot.
//
//   node bench/celery.js [--tasks 5000] [--rounds 2]
const { execFileSync, spawn, spawnSync } = require('child_process');
const net = require('net');
const path = require('path');
const { PYTHON, median, fmt, ratio, table, ensureBuilt } = require('./lib');

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const N = Number(option('--tasks', 5000));
const rounds = Number(option('--rounds', 2));
const QUEUE = 'bench';

ensureBuilt();
const { CeleryApp, encodeTaskMessage } = require('../dist/celery');
const Redis = require('ioredis');

if (spawnSync('redis-server', ['--version']).status !== 0) {
  console.error('redis-server is not installed (apt-get install redis-server)');
  process.exit(2);
}
const havePythonGevent = spawnSync(PYTHON, ['-c', 'import celery, gevent'], { encoding: 'utf8' }).status === 0;
if (!havePythonGevent) console.error('python3-celery / python3-gevent missing: the Python rows are left out');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startRedis(port) {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.destroy();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (ok) return child;
    await sleep(25);
  }
  throw new Error('redis-server did not start');
}

/** Queues N tasks named `task`, pipelined, exactly as greenhub's client would send them one by one. */
async function enqueue(redis, transport, task) {
  await transport.declareQueue(QUEUE);
  const batch = 500;
  for (let i = 0; i < N; i += batch) {
    const pipe = redis.pipeline();
    for (let j = i; j < Math.min(N, i + batch); j++) {
      const payload = encodeTaskMessage({ task });
      payload.properties.delivery_tag = require('crypto').randomUUID();
      payload.properties.delivery_info = { exchange: '', routing_key: QUEUE };
      pipe.lpush(QUEUE, JSON.stringify(payload));
    }
    await pipe.exec();
  }
}

/** CPU time (user + system, seconds) a process has used, from /proc. */
function cpuSeconds(pid) {
  const fields = require('fs').readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

async function countResults(redis) {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', 'celery-task-meta-*', 'COUNT', 1000);
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

function startWorker(kind, url) {
  const env = { ...process.env, BENCH_BROKER: url };
  if (kind === 'greenhub') {
    return spawn(process.execPath, [path.join(__dirname, '..', 'bin', 'greenhub'), 'celery', 'worker', '-A', path.join(__dirname, 'celery_tasks.js'), '-c', '100', '-Q', QUEUE, '-l', 'warning'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  }
  return spawn(PYTHON, ['-m', 'celery', '-A', 'pybench_tasks', 'worker', '-P', 'gevent', '-c', '100', '-Q', QUEUE, '--without-mingle', '--without-gossip', '--without-heartbeat', '-l', 'warning'], {
    cwd: __dirname,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

function stopWorker(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function measure(kind, task, redis, transport, url) {
  await redis.flushdb();
  await enqueue(redis, transport, task);
  const child = startWorker(kind, url);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  try {
    let started = 0;
    let cpuStart = 0;
    const deadline = Date.now() + 300_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${kind} worker exited: ${stderr.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`${kind} worker did not finish: ${stderr.slice(-2000)}`);
      if (started === 0) {
        if ((await redis.llen(QUEUE)) < N) {
          started = performance.now();
          cpuStart = cpuSeconds(child.pid);
        }
        await sleep(5);
        continue;
      }
      // Done when every result is stored (DBSIZE is O(1); SCAN confirms).
      if ((await redis.dbsize()) >= N && (await countResults(redis)) === N) break;
      await sleep(2);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuSeconds(child.pid) - cpuStart;
    return { rate: N / seconds, cpuPerTask: (cpu / N) * 1e6 };
  } finally {
    await stopWorker(child);
  }
}

(async () => {
  const port = 19950;
  const server = await startRedis(port);
  const url = `redis://127.0.0.1:${port}/0`;
  const redis = new Redis(url);
  const app = new CeleryApp({ broker: url });
  const transport = app.transport;
  const workers = havePythonGevent ? ['greenhub', 'python'] : ['greenhub'];
  const tasks = [
    ['no-op', 'bench.noop'],
    ['10 ms I/O wait', 'bench.io10ms'],
  ];
  const results = new Map();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [label, task] of tasks) {
        for (const kind of workers) {
          const r = await measure(kind, task, redis, transport, url);
          const key = `${label}|${kind}`;
          if (!results.has(key)) results.set(key, []);
          results.get(key).push(r);
          process.stderr.write(`round ${round + 1} ${label} ${kind}: ${fmt(r.rate)} tasks/s, ${fmt(r.cpuPerTask)} µs CPU/task\n`);
        }
      }
    }
  } finally {
    await app.close();
    await redis.quit();
    server.kill();
  }
  const pick = (label, kind, key) => median((results.get(`${label}|${kind}`) ?? []).map((r) => r[key]));
  console.log(`\nCelery worker throughput, concurrency 100, ${N} tasks per run, ${rounds} rounds (medians)`);
  table(
    ['task', 'greenhub tasks/s', 'Celery -P gevent tasks/s', 'ratio', 'greenhub CPU µs/task', 'Celery CPU µs/task'],
    tasks.map(([label]) => [
      label,
      fmt(pick(label, 'greenhub', 'rate')),
      fmt(pick(label, 'python', 'rate')),
      ratio(pick(label, 'greenhub', 'rate'), pick(label, 'python', 'rate')),
      fmt(pick(label, 'greenhub', 'cpuPerTask')),
      fmt(pick(label, 'python', 'cpuPerTask')),
    ]),
  );
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
