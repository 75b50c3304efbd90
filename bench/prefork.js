'use strict';
// Prefork HTTP hello world with wrk: 1 worker vs 2 workers (greenhub serve)
// on this machine. Four set-ups, alternated round by round:
//   - 1 worker on CPU 0, wrk -t1 on CPU 1: one core's worth of serving,
//     the load generator on the other core (the HTTP benchmark's layout);
//   - 1 worker, 2 workers, 2 workers pinned to CPU 0 and CPU 1: wrk -t2
//     unpinned, everyone sharing the two cores. On a 2-core machine wrk
//     needs about a core itself, so 2 workers cannot show 2x here.
//
//   node bench/prefork.js [--seconds 5] [--rounds 3] [--connections 100]
const { execFileSync, spawn } = require('child_process');
const path = require('path');
const { median, fmt, ratio, table, ensureBuilt } = require('./lib');

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const seconds = Number(option('--seconds', 5));
const rounds = Number(option('--rounds', 3));
const connections = Number(option('--connections', 100));

ensureBuilt();
try {
  execFileSync('wrk', ['--version'], { stdio: 'ignore' });
} catch (error) {
  if (error.code === 'ENOENT') {
    console.error('wrk is not installed (apt-get install wrk)');
    process.exit(2);
  }
}

/** Starts `greenhub serve` with N workers; resolves with the master and its workers' pids once all accept. */
function startMaster(workers, port) {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'bin', 'greenhub'), 'serve', path.join(__dirname, 'prefork_app.js'), '--workers', String(workers), '--port', String(port), '--graceful-timeout', '1'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const pids = [...log.matchAll(/worker (\d+) \(slot \d+\) accepting/g)].map((m) => Number(m[1]));
      if (pids.length === workers) {
        clearInterval(timer);
        resolve({ child, pids });
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`greenhub serve exited: ${log}`));
      }
    }, 20);
  });
}

function stopMaster(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** CPU time (user + system, seconds) of processes, from /proc. */
function cpuSeconds(pids) {
  let total = 0;
  for (const pid of pids) {
    const fields = require('fs').readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    total += (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, USER_HZ = 100
  }
  return total;
}

function wrk(threads, cpu, port) {
  const command = ['wrk', `-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}/`];
  const out = execFileSync(cpu === null ? command[0] : 'taskset', cpu === null ? command.slice(1) : ['-c', String(cpu), ...command], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  const rate = Number(/Requests\/sec:\s+([0-9.]+)/.exec(out)?.[1]);
  const errors = /Socket errors: (.*)/.exec(out)?.[1] ?? null;
  const p99 = /99%\s+([0-9.]+)(us|ms|s)/.exec(out);
  const unit = { us: 1, ms: 1000, s: 1e6 };
  return { rate, p99: p99 ? Number(p99[1]) * unit[p99[2]] : NaN, errors };
}

const setups = [
  { name: '1 worker on CPU 0, wrk -t1 on CPU 1', workers: 1, pin: [0], wrkThreads: 1, wrkCpu: 1 },
  { name: '1 worker, wrk -t2 (all unpinned)', workers: 1, pin: null, wrkThreads: 2, wrkCpu: null },
  { name: '2 workers, wrk -t2 (all unpinned)', workers: 2, pin: null, wrkThreads: 2, wrkCpu: null },
  { name: '2 workers on CPU 0 / CPU 1, wrk -t2', workers: 2, pin: [0, 1], wrkThreads: 2, wrkCpu: null },
];

(async () => {
  let port = 19800;
  const results = new Map(setups.map((s) => [s.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const setup of setups) {
      port++;
      const { child, pids } = await startMaster(setup.workers, port);
      try {
        if (setup.pin) pids.forEach((pid, i) => execFileSync('taskset', ['-cp', String(setup.pin[i]), String(pid)], { stdio: 'ignore' }));
        const cpuBefore = cpuSeconds(pids);
        const r = wrk(setup.wrkThreads, setup.wrkCpu, port);
        // Worker CPU per request: flat from 1 to 2 workers means the
        // workers do not slow each other down (nothing shared but the port).
        r.cpuPerRequest = ((cpuSeconds(pids) - cpuBefore) / (r.rate * seconds)) * 1e6;
        results.get(setup.name).push(r);
        process.stderr.write(`round ${round + 1} ${setup.name}: ${fmt(r.rate)} req/s, p99 ${fmt(r.p99)} µs, ${fmt(r.cpuPerRequest, 1)} µs worker CPU/request${r.errors ? `, errors ${r.errors}` : ''}\n`);
      } finally {
        await stopMaster(child);
      }
    }
  }
  const pick = (name, key) => median(results.get(name).map((r) => r[key]));
  console.log(`\nHTTP hello, greenhub serve, wrk -c${connections} -d${seconds}s × ${rounds} rounds (medians)`);
  table(
    ['set-up', 'req/s', 'p99 µs', 'worker CPU µs/request'],
    setups.map((s) => [s.name, fmt(pick(s.name, 'rate')), fmt(pick(s.name, 'p99')), fmt(pick(s.name, 'cpuPerRequest'), 1)]),
  );
  table(
    ['ratio', ''],
    [
      ['2 workers / 1 worker (unpinned)', ratio(pick(setups[2].name, 'rate'), pick(setups[1].name, 'rate'))],
      ['2 workers pinned / 1 worker (unpinned)', ratio(pick(setups[3].name, 'rate'), pick(setups[1].name, 'rate'))],
    ],
  );
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
