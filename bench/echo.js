'use strict';
// Echo benchmark: 64-byte ping-pong, one message in flight per connection,
// against greenhub (uv and ev backends), the C epoll limit server, Node
// `net` and gevent's StreamServer. Server on CPU 0, load (C) on CPU 1,
// servers alternated round by round; medians and ratios printed.
//
//   node bench/echo.js [--seconds 5] [--rounds 3] [--connections 50,1]
const path = require('path');
const { ANCHORS, PYTHON, haveGevent, median, fmt, ratio, table, ensureBuilt, buildAnchors, startServer, stopServer, runLoad, cpuSeconds } = require('./lib');

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const seconds = Number(option('--seconds', 5));
const rounds = Number(option('--rounds', 3));
const connections = option('--connections', '50,1').split(',').map(Number);

ensureBuilt();
const bin = buildAnchors();
const { Loop } = require('..');

const servers = [
  { name: 'C epoll', start: (port) => startServer(path.join(bin, 'echo_epoll'), [String(port)], port) },
  { name: 'greenhub uv', start: (port) => startServer(process.execPath, [path.join(__dirname, 'echo_server.js'), String(port)], port, { GREENHUB_LOOP: 'uv' }) },
];
if (Loop.backends.includes('ev')) {
  servers.push({ name: 'greenhub ev', start: (port) => startServer(process.execPath, [path.join(__dirname, 'echo_server.js'), String(port)], port, { GREENHUB_LOOP: 'ev' }) });
}
servers.push({ name: 'Node net', start: (port) => startServer(process.execPath, [path.join(ANCHORS, 'node', 'echo_net.js'), String(port), 'data'], port) });
if (haveGevent()) {
  servers.push({ name: 'gevent', start: (port) => startServer(PYTHON, [path.join(ANCHORS, 'gevent', 'echo_stream.py'), String(port)], port) });
}

function parse(out) {
  const field = (name) => Number(new RegExp(`${name}=([0-9.]+)`).exec(out)?.[1]);
  return { rate: field('msgs_per_s'), p50: field('p50_us'), p99: field('p99_us') };
}

(async () => {
  let port = 19400;
  const results = new Map(); // `${conns}/${server}` -> [{rate, p50, p99}]
  for (let round = 0; round < rounds; round++) {
    for (const conns of connections) {
      for (const server of servers) {
        port++;
        const child = await server.start(port);
        try {
          const cpuBefore = cpuSeconds(child.pid);
          const out = runLoad(path.join(bin, 'echo_load'), [String(port), String(conns), '64', String(seconds)]);
          const cpu = cpuSeconds(child.pid) - cpuBefore;
          const key = `${conns}/${server.name}`;
          if (!results.has(key)) results.set(key, []);
          const parsed = parse(out);
          // Server CPU per message: the efficiency figure that holds even
          // when other work on the machine caps throughput.
          parsed.cpuUs = (cpu / (parsed.rate * seconds)) * 1e6;
          results.get(key).push(parsed);
          process.stderr.write(`round ${round + 1} c${conns} ${server.name}: ${out.trim().split(' ').slice(0, 3).join(' ')}\n`);
        } finally {
          await stopServer(child);
        }
      }
    }
  }
  for (const conns of connections) {
    const pick = (name, key) => median((results.get(`${conns}/${name}`) ?? []).map((r) => r[key]));
    const rows = servers.map((s) => [
      s.name,
      fmt(pick(s.name, 'rate')),
      fmt(pick(s.name, 'p50'), 1),
      fmt(pick(s.name, 'p99'), 1),
      fmt(pick(s.name, 'cpuUs'), 2),
    ]);
    console.log(`\n${conns} connection(s), 64-byte messages, ${seconds} s × ${rounds} rounds (medians)`);
    table(['server', 'msgs/s', 'p50 µs', 'p99 µs', 'server CPU µs/msg'], rows);
    const g = pick('greenhub uv', 'rate');
    const ratios = [
      ['greenhub uv / C epoll', ratio(g, pick('C epoll', 'rate'))],
      ['greenhub uv / Node net', ratio(g, pick('Node net', 'rate'))],
      ['CPU per message: Node net / greenhub uv', ratio(pick('Node net', 'cpuUs'), pick('greenhub uv', 'cpuUs'))],
      ['CPU per message: C epoll / greenhub uv', ratio(pick('C epoll', 'cpuUs'), pick('greenhub uv', 'cpuUs'))],
    ];
    if (servers.some((s) => s.name === 'gevent')) ratios.push(['greenhub uv / gevent', ratio(g, pick('gevent', 'rate'))]);
    if (servers.some((s) => s.name === 'greenhub ev')) ratios.push(['greenhub ev / greenhub uv', ratio(pick('greenhub ev', 'rate'), g)]);
    table(['ratio (throughput)', ''], ratios);
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
