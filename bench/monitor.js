'use strict';
// What the blocking monitor (and the context patch) cost.
//
// 1. The echo benchmark with the monitor off and on (GREENHUB_MONITOR=1),
//    alternating in one run: the server pinned to CPU 0, echo_load to CPU 1.
// 2. CPU time per greenlet switch, per spawn + join and per echo round trip
//    (client and server greenlets in one process), with the monitor off and
//    on (with and without spawn sites) and with the context monkey patch,
//    alternating in one process: differences of a few percent show here,
//    where the two-process echo's rounds scatter by ±10% or more.
//
//   node bench/monitor.js [--rounds N] [--seconds S] [--connections C] [--size B] [--skip-echo] [--skip-micro]
//
// Uses the compiled package (npm run build) and bench/bin/echo_load, built
// from ../shared/anchors/load/echo_load.c when missing.
const { spawn, spawnSync, execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { ROOT, ANCHORS, jsonLines, median, fmt, table, ensureBuilt } = require('./lib');

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const rounds = option('--rounds', 5);
const seconds = option('--seconds', 5);
const connections = option('--connections', 50);
const size = option('--size', 64);
ensureBuilt();

const LOAD = path.join(__dirname, 'bin', 'echo_load');
if (!fs.existsSync(LOAD)) {
  fs.mkdirSync(path.dirname(LOAD), { recursive: true });
  execFileSync('gcc', ['-O2', '-o', LOAD, path.join(ANCHORS, 'load', 'echo_load.c')], { stdio: 'inherit' });
}
const haveTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const pinned = (cpu, command, argv) => (haveTaskset ? ['taskset', ['-c', String(cpu), command, ...argv]] : [command, argv]);

function startServer(port, monitor) {
  const [command, argv] = pinned(0, process.execPath, [path.join(__dirname, 'echo_server.js'), String(port)]);
  const child = spawn(command, argv, {
    env: { ...process.env, GREENHUB_MONITOR: monitor ? '1' : '0' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.includes('listening')) resolve({ child, stderr: () => stderr });
    });
    child.on('exit', (code) => reject(new Error(`echo server exited (${code}): ${stderr}`)));
  });
}

// The server's CPU time so far (all its threads), from /proc.
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100/s)
}

// echo_load counts the round trips of its last SECONDS seconds, after a
// 1 s warm-up: the server's CPU is read over the same window, which makes
// CPU per message a figure other load on the machine hardly moves.
async function load(port, serverPid) {
  const [command, argv] = pinned(1, LOAD, [String(port), String(connections), String(size), String(seconds)]);
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const done = new Promise((resolve) => child.on('exit', resolve));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const cpu0 = cpuSeconds(serverPid);
  await done;
  const cpu = cpuSeconds(serverPid) - cpu0;
  const fields = Object.fromEntries(out.trim().split(/\s+/).map((kv) => kv.split('=')));
  const msgs = Number(fields.msgs_per_s);
  return { msgs, p99: Number(fields.p99_us), cpuPerMsg: (cpu / (msgs * seconds)) * 1e6 };
}

async function echoRound(monitor, port) {
  const server = await startServer(port, monitor);
  try {
    const result = await load(port, server.child.pid);
    // A report would mean the monitor saw the echo server block: count them.
    result.reports = (server.stderr().match(/greenhub monitor:/g) || []).length;
    return result;
  } finally {
    server.child.kill('SIGINT');
    await new Promise((resolve) => server.child.on('exit', resolve));
  }
}

async function echo() {
  const results = { off: [], on: [] };
  const basePort = 20000 + Math.floor(Math.random() * 20000);
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first, so drift in the machine's load hits both.
    const order = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
    for (const which of order) {
      const r = await echoRound(which === 'on', basePort + round * 2 + (which === 'on' ? 1 : 0));
      results[which].push(r);
      console.error(`round ${round + 1}/${rounds} monitor ${which}: ${fmt(r.msgs)} msgs/s, ${r.cpuPerMsg.toFixed(2)} CPU µs/msg, p99 ${r.p99} µs, ${r.reports} report(s)`);
    }
  }
  const summary = (list) => ({
    msgs: median(list.map((r) => r.msgs)),
    p99: median(list.map((r) => r.p99)),
    cpu: median(list.map((r) => r.cpuPerMsg)),
    reports: list.reduce((sum, r) => sum + r.reports, 0),
  });
  const off = summary(results.off);
  const on = summary(results.on);
  // Per-round ratios cancel most of the machine's drift between rounds.
  const msgRatios = results.on.map((r, i) => r.msgs / results.off[i].msgs);
  const cpuRatios = results.on.map((r, i) => r.cpuPerMsg / results.off[i].cpuPerMsg);
  const pct = (ratio) => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%`;
  console.log(
    `\nEcho, ${connections} connections × ${size} B, ${seconds} s × ${rounds} rounds per setting` +
      (haveTaskset ? ' (server on CPU 0, load on CPU 1)' : ' (no taskset: not pinned)'),
  );
  table(
    ['monitor', 'msgs/s', 'server CPU µs/msg', 'p99 µs', 'reports'],
    [
      ['off', fmt(off.msgs), off.cpu.toFixed(2), fmt(off.p99), String(off.reports)],
      ['on (maxBlockingTime 0.1 s)', fmt(on.msgs), on.cpu.toFixed(2), fmt(on.p99), String(on.reports)],
    ],
  );
  console.log(
    `monitor on vs off, median of per-round ratios: throughput ${pct(median(msgRatios))} ` +
      `(${msgRatios.map(pct).join(' ')}), CPU per message ${pct(median(cpuRatios))} (${cpuRatios.map(pct).join(' ')})`,
  );
}

// In one process, alternating: CPU time (user + system, the watchdog
// thread's included) per operation with each setting. CPU time, unlike wall
// time, does not count the time other processes take the CPU away.
function microChild() {
  const greenhub = require('..');
  const { run, spawn, sleep, joinAll, getHub, monkey } = greenhub;
  const hub = getHub();
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const SWITCHES = 400_000;
  const SPAWNS = 50_000;
  function* switches() {
    function* pinger() {
      for (let i = 0; i < SWITCHES / 2; i++) yield* sleep(0);
    }
    yield* joinAll([spawn(pinger), spawn(pinger)]);
    return SWITCHES;
  }
  function* task(i) {
    return i;
  }
  function* spawns() {
    const gs = new Array(SPAWNS);
    for (let i = 0; i < SPAWNS; i++) gs[i] = spawn(task, i);
    yield* joinAll(gs);
    return SPAWNS;
  }
  // An echo round trip over loopback TCP, client and server greenlets in
  // this process: the echo benchmark's path, measured without the noise of
  // a second process.
  const { Socket } = greenhub;
  const ROUND_TRIPS = 20_000;
  const PAIRS = 20;
  let listener = null;
  function* echoServer(conn) {
    const buffer = Buffer.allocUnsafe(4096);
    try {
      for (;;) {
        const n = yield* conn.recvInto(buffer);
        if (n === 0) return;
        yield* conn.sendall(buffer.subarray(0, n));
      }
    } finally {
      conn.close();
    }
  }
  function* echoClient(conn, count) {
    const message = Buffer.alloc(64, 1);
    const buffer = Buffer.allocUnsafe(4096);
    try {
      for (let i = 0; i < count; i++) {
        yield* conn.sendall(message);
        let got = 0;
        while (got < message.length) got += yield* conn.recvInto(buffer);
      }
    } finally {
      conn.close();
    }
  }
  function* echo() {
    if (listener === null) {
      listener = new Socket();
      listener.bind(['127.0.0.1', 0]);
      listener.listen(128);
    }
    const pairs = [];
    for (let i = 0; i < PAIRS; i++) {
      const client = new Socket();
      yield* client.connect(listener.getsockname());
      const [server] = yield* listener.accept();
      pairs.push([client, server]);
    }
    yield* joinAll(pairs.flatMap(([client, server]) => [spawn(echoServer, server), spawn(echoClient, client, ROUND_TRIPS / PAIRS)]));
    return ROUND_TRIPS;
  }
  const settings = {
    off: () => {
      hub.stopMonitor();
      monkey.unpatch('context');
    },
    monitor: () => hub.startMonitor({ printReports: false }),
    'monitor, no spawn sites': () => hub.startMonitor({ printReports: false, spawnSites: false }),
    context: () => monkey.patch('context'),
  };
  const workloads = { switches, spawns, echo };
  const samples = {};
  return run(function* () {
    for (let trial = 0; trial < rounds * 2; trial++) {
      const names = Object.keys(settings);
      if (trial % 2 === 1) names.reverse();
      for (const [workload, body] of Object.entries(workloads)) {
        for (const name of names) {
          settings.off();
          settings[name]();
          const t0 = cpu();
          const n = yield* body();
          const perOp = ((cpu() - t0) / n) * 1e9;
          // The first trial warms the JIT up for every setting.
          if (trial > 0) ((samples[workload] ??= {})[name] ??= []).push(perOp);
        }
      }
    }
    settings.off();
    listener?.close();
    return samples;
  });
}

function micro() {
  const [samples] = jsonLines(process.execPath, [__filename, '--micro-child', '--rounds', String(rounds)]);
  if (samples.error) throw new Error(samples.error);
  const rows = [];
  const names = ['off', 'monitor', 'monitor, no spawn sites', 'context'];
  for (const [workload, bySetting] of Object.entries(samples)) {
    const base = median(bySetting.off);
    rows.push([
      { switches: 'greenlet switch (sleep(0))', spawns: 'spawn + join', echo: 'echo round trip, 64 B, loopback TCP' }[workload],
      ...names.map((name) => {
        const m = median(bySetting[name]);
        return name === 'off' ? `${m.toFixed(0)} ns` : `${m.toFixed(0)} ns (${m >= base ? '+' : ''}${(((m - base) / base) * 100).toFixed(1)}%)`;
      }),
    ]);
  }
  console.log(`\nCPU time per operation, in one process, settings alternating (median of ${rounds * 2 - 1} trials)`);
  table(['operation', ...names.map((name) => (name === 'off' ? 'monitor off, no patch' : name === 'context' ? 'context patch' : `${name} on`.replace(', no spawn sites on', ' on, no spawn sites')))], rows);
}

(async () => {
  if (args.includes('--micro-child')) {
    process.stdout.write(`${JSON.stringify(await microChild())}\n`);
    return;
  }
  if (!args.includes('--skip-echo')) await echo();
  if (!args.includes('--skip-micro')) micro();
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
