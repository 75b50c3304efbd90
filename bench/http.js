'use strict';
// HTTP benchmark with wrk (-t1 -c50): hello world, a 64 KiB response and a
// 1 MiB upload; greenhub (uv, ev) vs the C epoll server vs Node http vs
// gevent pywsgi. Server on CPU 0, wrk on CPU 1, servers alternated.
//
//   node bench/http.js [--seconds 5] [--rounds 3] [--cases hello,64k,upload]
//                      [--servers 'greenhub uv,C epoll']   (a subset, by name)
const { execFileSync } = require('child_process');
const path = require('path');
const { ANCHORS, PYTHON, haveGevent, median, fmt, ratio, table, ensureBuilt, buildAnchors, startServer, stopServer, runLoad, cpuSeconds } = require('./lib');

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const seconds = Number(option('--seconds', 5));
const rounds = Number(option('--rounds', 3));
const cases = option('--cases', 'hello,64k,upload').split(',');
const only = option('--servers', null)?.split(',');

ensureBuilt();
const bin = buildAnchors();
const { Loop } = require('..');
try {
  execFileSync('wrk', ['--version'], { stdio: 'ignore' });
} catch (error) {
  if (error.code === 'ENOENT') {
    console.error('wrk is not installed (apt-get install wrk)');
    process.exit(2);
  }
}

const greenhub = (backend, mode) => (port) =>
  startServer(process.execPath, [path.join(__dirname, 'http_server.js'), String(port), mode], port, { GREENHUB_LOOP: backend });

function serversFor(mode) {
  const list = [];
  if (mode === 'hello') list.push({ name: 'C epoll', start: (port) => startServer(path.join(bin, 'http_epoll'), [String(port)], port) });
  list.push({ name: 'greenhub uv', start: greenhub('uv', mode) });
  if (Loop.backends.includes('ev')) list.push({ name: 'greenhub ev', start: greenhub('ev', mode) });
  list.push({
    name: 'Node http',
    start: (port) =>
      mode === 'hello'
        ? startServer(process.execPath, [path.join(ANCHORS, 'node', 'http_node.js'), String(port)], port)
        : startServer(process.execPath, [path.join(__dirname, 'http_node_variants.js'), String(port), mode], port),
  });
  if (mode === 'hello' && haveGevent()) {
    list.push({ name: 'gevent pywsgi', start: (port) => startServer(PYTHON, [path.join(ANCHORS, 'gevent', 'wsgi_hello.py'), String(port), '--nodelay'], port) });
  }
  return only ? list.filter((s) => only.includes(s.name)) : list;
}

function parseWrk(out) {
  const rate = Number(/Requests\/sec:\s+([0-9.]+)/.exec(out)?.[1]);
  const p99 = /99%\s+([0-9.]+)(us|ms|s)/.exec(out);
  const unit = { us: 1, ms: 1000, s: 1e6 };
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  return { rate, requests, p99: p99 ? Number(p99[1]) * unit[p99[2]] : NaN };
}

(async () => {
  let port = 19600;
  for (const mode of cases) {
    const servers = serversFor(mode);
    const results = new Map();
    for (let round = 0; round < rounds; round++) {
      for (const server of servers) {
        port++;
        const child = await server.start(port);
        try {
          const wrkArgs = ['-t1', '-c50', `-d${seconds}s`, '--latency'];
          if (mode === 'upload') wrkArgs.push('-s', path.join(__dirname, 'upload.lua'));
          const cpuBefore = cpuSeconds(child.pid);
          const out = runLoad('wrk', [...wrkArgs, `http://127.0.0.1:${port}/`]);
          const cpu = cpuSeconds(child.pid) - cpuBefore;
          if (!results.has(server.name)) results.set(server.name, []);
          const parsed = parseWrk(out);
          // Server CPU per request: the efficiency figure that holds even
          // when other work on the machine caps throughput.
          parsed.cpuUs = (cpu / parsed.requests) * 1e6;
          results.get(server.name).push(parsed);
          process.stderr.write(`round ${round + 1} ${mode} ${server.name}: ${fmt(parsed.rate)} req/s, p99 ${fmt(parsed.p99, 0)} µs, ${fmt(parsed.cpuUs, 2)} CPU µs/req\n`);
        } finally {
          await stopServer(child);
        }
      }
    }
    const pick = (name, key) => median((results.get(name) ?? []).map((r) => r[key]));
    console.log(`\n${mode}: wrk -t1 -c50 -d${seconds}s × ${rounds} rounds (medians)`);
    table(
      ['server', 'req/s', 'p99 µs', 'server CPU µs/req'],
      servers.map((s) => [s.name, fmt(pick(s.name, 'rate')), fmt(pick(s.name, 'p99'), 0), fmt(pick(s.name, 'cpuUs'), 2)]),
    );
    const g = pick('greenhub uv', 'rate');
    const ratios = [['greenhub uv / Node http', ratio(g, pick('Node http', 'rate'))]];
    if (results.has('C epoll')) ratios.push(['greenhub uv / C epoll', ratio(g, pick('C epoll', 'rate'))]);
    if (results.has('gevent pywsgi')) ratios.push(['greenhub uv / gevent pywsgi', ratio(g, pick('gevent pywsgi', 'rate'))]);
    if (results.has('greenhub ev')) ratios.push(['greenhub ev / greenhub uv', ratio(pick('greenhub ev', 'rate'), g)]);
    ratios.push(['p99: Node http / greenhub uv', ratio(pick('Node http', 'p99'), pick('greenhub uv', 'p99'))]);
    ratios.push(['CPU per request: Node http / greenhub uv', ratio(pick('Node http', 'cpuUs'), pick('greenhub uv', 'cpuUs'))]);
    if (results.has('C epoll')) ratios.push(['CPU per request: C epoll / greenhub uv', ratio(pick('C epoll', 'cpuUs'), pick('greenhub uv', 'cpuUs'))]);
    table(['ratio', ''], ratios);
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
