// Dispatch: events from 1,000 io watchers reaching their JS callbacks.
//
//   node -r tsx/cjs bench/dispatch.ts [--seconds=3] [--watchers=1000] [--rounds=3] [--backends=uv,ev]
//
// ping-pong: `watchers` / 2 socketpairs made with the addon's syscalls, an
// io watcher (READ) on both ends of each; each end echoes what it reads, one
// 64-byte message in flight per pair. Node: the same over `net` on a Unix
// socket (a 'data' listener echoing on both ends of each connection).
// Each event costs a read() and a write() on top of the dispatch.
//
// ready: the same watchers on sockets that stay readable (nothing is ever
// read), with empty callbacks: what remains is the poll and the dispatch,
// here measured as user-space CPU time per event (the kernel's epoll work
// is system time). Node has no counterpart.
//
// idle: as many idle watchers, which fire on every loop turn without any
// syscall: the native callback, the ring and the JS dispatch alone.
//
// Every measurement runs in a fresh process; figures are medians over
// `rounds` processes per side, every greenhub backend a side of its own.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { addon, greenhub } from './greenhub';
import { backendEnv, backendsToRun, column, median, option, printTable, runChild, standardRatios, stringOption, type Row } from './common';

const MESSAGE = 64;
const AF_UNIX = 1;
const SOCK_STREAM = 1;

interface Result {
  events: number;
  seconds: number;
  userNs: number;
  systemNs: number;
}

function measure(seconds: number, count: () => number, done: (result: Result) => void): void {
  // Warm up for a fifth of the time, then count.
  setTimeout(() => {
    const start = count();
    const cpu = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    setTimeout(() => {
      const events = count() - start;
      const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
      const used = process.cpuUsage(cpu);
      done({ events, seconds: elapsed, userNs: used.user * 1000, systemNs: used.system * 1000 });
    }, seconds * 1000);
  }, seconds * 200);
}

function greenhubPingPong(watchers: number, seconds: number, ready: boolean): void {
  const loop = greenhub.defaultLoop();
  const { read, write, socketpair } = addon.syscalls;
  const buffer = Buffer.alloc(MESSAGE, 0x61);
  let events = 0;
  for (let i = 0; i < watchers / 2; i++) {
    const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
    for (const fd of [a, b]) {
      const w = loop.io(fd, greenhub.READ);
      if (ready) {
        w.start(() => {
          events++;
        });
      } else {
        w.start(() => {
          events++;
          const n = read(fd, buffer, 0, MESSAGE);
          if (n > 0) write(fd, buffer, 0, n);
        });
      }
    }
    write(a, buffer, 0, MESSAGE);
    if (ready) write(b, buffer, 0, MESSAGE);
  }
  measure(seconds, () => events, (result) => {
    console.log(JSON.stringify(result));
    process.exit(0);
  });
}

function greenhubIdle(watchers: number, seconds: number): void {
  const loop = greenhub.defaultLoop();
  let events = 0;
  for (let i = 0; i < watchers; i++) {
    loop.idle().start(() => {
      events++;
    });
  }
  measure(seconds, () => events, (result) => {
    console.log(JSON.stringify(result));
    process.exit(0);
  });
}

function nodePingPong(watchers: number, seconds: number): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greenhub-bench-'));
  const socketPath = path.join(dir, 'echo.sock');
  let events = 0;
  const echo = (socket: net.Socket): void => {
    socket.on('data', (data) => {
      events++;
      socket.write(data);
    });
  };
  const server = net.createServer(echo);
  server.listen(socketPath, () => {
    const message = Buffer.alloc(MESSAGE, 0x61);
    let connected = 0;
    for (let i = 0; i < watchers / 2; i++) {
      const client = net.connect(socketPath, () => {
        echo(client);
        client.write(message);
        if (++connected === watchers / 2) {
          measure(seconds, () => events, (result) => {
            console.log(JSON.stringify(result));
            fs.rmSync(dir, { recursive: true, force: true });
            process.exit(0);
          });
        }
      });
    }
  });
}

function main(): void {
  const seconds = option('seconds', 3);
  const watchers = option('watchers', 1000);
  const rounds = option('rounds', 3);
  const backends = backendsToRun(greenhub.Loop.backends);
  console.log(`dispatch: ${watchers} io watchers, ${seconds} s per measurement, median of ${rounds} processes per side`);
  console.log(`node ${process.version}, greenhub backends ${backends.join(', ')}, ${os.cpus().length} CPUs`);
  const args = [`--seconds=${seconds}`, `--watchers=${watchers}`];
  // runs[`${side} ${column}`]: the greenhub sides once per backend.
  const runs: Record<string, Result[]> = {};
  const record = (key: string, result: Result): void => {
    (runs[key] ??= []).push(result);
  };
  for (let round = 0; round < rounds; round++) {
    for (const side of ['greenhub', 'ready', 'idle']) {
      for (const b of backends) record(`${side} ${column(b)}`, runChild<Result>(__filename, [`--side=${side}`, ...args], backendEnv(b)));
    }
    record('greenhub node', runChild<Result>(__filename, ['--side=node', ...args]));
  }
  const rate = (r: Result): number => r.events / r.seconds;
  const wall = (r: Result): number => (r.seconds * 1e9) / r.events;
  const user = (r: Result): number => r.userNs / r.events;
  const system = (r: Result): number => r.systemNs / r.events;
  const rowOf = (side: string, columns: string[], label: string, f: (r: Result) => number, unit: string, higherIsBetter: boolean): Row => ({
    label,
    values: Object.fromEntries(columns.map((c) => [c, median(runs[`${side} ${c}`].map(f))])),
    unit,
    higherIsBetter,
    digits: higherIsBetter ? 0 : 1,
  });
  const table = (side: string, columns: string[], title: string, ratios: [string, string][]): void => {
    printTable(title, columns, [
      rowOf(side, columns, 'events', rate, 'events/s', true),
      rowOf(side, columns, '  wall time per event', wall, 'ns', false),
      rowOf(side, columns, '  user CPU per event', user, 'ns', false),
      rowOf(side, columns, '  system CPU per event', system, 'ns', false),
    ], ratios);
  };
  const greenhubColumns = backends.map(column);
  table('greenhub', [...greenhubColumns, 'node'], 'ping-pong: read + write per event (node: net over a Unix socket)', standardRatios(backends, true));
  table('ready', greenhubColumns, `${watchers} io watchers on ready sockets, empty callbacks (greenhub only): poll + dispatch`, standardRatios(backends, false));
  table('idle', greenhubColumns, `${watchers} idle watchers, empty callbacks (greenhub only): dispatch without the kernel`, standardRatios(backends, false));
}

const side = stringOption('side');
if (side === 'idle') {
  greenhubIdle(option('watchers', 1000), option('seconds', 3));
} else if (side === 'greenhub' || side === 'ready') {
  greenhubPingPong(option('watchers', 1000), option('seconds', 3), side === 'ready');
} else if (side === 'node') {
  nodePingPong(option('watchers', 1000), option('seconds', 3));
} else {
  main();
}
