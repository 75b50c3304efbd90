import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { EVENTS, Loop, READ, WRITE, type Watcher } from '../../lib/loop';
import { closeFds, delay, makeSocketPair, runScript, tempDir, until } from '../helpers';

const hasEv = Loop.backends.includes('ev');

describe('loop backends', () => {
  it('Loop.backends lists uv always, and ev where libev was built', () => {
    assert.ok(Loop.backends.includes('uv'));
    for (const name of Loop.backends) assert.ok(name === 'uv' || name === 'ev', name);
  });

  it('new Loop() runs uv; loop.backend tells which runs', () => {
    const loop = new Loop();
    try {
      assert.equal(loop.backend, 'uv');
      assert.equal(loop._native.backend, 'uv');
    } finally {
      loop.close();
    }
  });

  it('refuses unknown backend names, in options and in GREENHUB_LOOP', () => {
    for (const bad of ['libev', 'UV', '', 'default', 1]) {
      assert.throws(() => new Loop({ backend: bad as unknown as 'uv' }), {
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_VALUE',
        message: /"options\.backend".*'uv' or 'ev'/,
      });
    }
    const result = runScript(`
      import { defaultLoop } from 'lib/loop';
      try { defaultLoop(); } catch (e) { console.log(e.code, e.message); }
    `, { env: { GREENHUB_LOOP: 'libev' } });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /ERR_INVALID_ARG_VALUE .*"GREENHUB_LOOP".*'uv' or 'ev'.*'libev'/);
  });

  it('GREENHUB_LOOP picks the default loop\'s backend (empty means uv)', function () {
    const script = `
      import { defaultLoop } from 'lib/loop';
      console.log(defaultLoop().backend);
    `;
    assert.equal(runScript(script, { env: { GREENHUB_LOOP: '' } }).stdout.trim(), 'uv');
    assert.equal(runScript(script, { env: { GREENHUB_LOOP: 'uv' } }).stdout.trim(), 'uv');
    if (!hasEv) this.skip();
    assert.equal(runScript(script, { env: { GREENHUB_LOOP: 'ev' } }).stdout.trim(), 'ev');
  });

  it('without libev, asking for ev is an error that names the missing package', function () {
    if (hasEv) this.skip();
    assert.throws(() => new Loop({ backend: 'ev' }), {
      code: 'ERR_GREENHUB_BACKEND',
      message: /libev-dev/,
    });
  });
});

(hasEv ? describe : describe.skip)('the ev backend', () => {
  let loop: Loop;
  let watchers: Watcher[] = [];
  const track = <W extends Watcher>(watcher: W): W => {
    watchers.push(watcher);
    return watcher;
  };
  beforeEach(() => {
    loop = new Loop({ backend: 'ev' });
  });
  afterEach(() => {
    for (const watcher of watchers) watcher.close();
    watchers = [];
    loop.close();
  });

  it('new Loop({ backend: "ev" }) runs libev with its priorities -2..2', () => {
    assert.equal(loop.backend, 'ev');
    assert.equal(loop._native.backend, 'ev');
    assert.equal(loop._native.minPriority, -2);
    assert.equal(loop._native.maxPriority, 2);
  });

  it('delivers pending watchers highest priority first, across watcher types', async () => {
    const [a, b] = makeSocketPair();
    try {
      const order: string[] = [];
      const io = track(loop.io(b, WRITE)); // writable at once
      const timer = track(loop.timer(0));
      const check = track(loop.check());
      io.priority = -2;
      timer.priority = 2;
      check.priority = 1;
      // Started in the same JS turn: all three are pending in one libev
      // iteration.
      io.start(() => {
        order.push('io');
        io.stop();
      });
      timer.start(() => order.push('timer'));
      check.start(() => {
        order.push('check');
        check.stop();
      });
      await until(() => order.length === 3);
      assert.deepEqual(order, ['timer', 'check', 'io']);
    } finally {
      closeFds(a, b);
    }
  });

  it('runs idle watchers only when nothing of their priority or higher is pending', async () => {
    const [a, b] = makeSocketPair();
    try {
      // b stays writable: its io watcher is pending on every iteration.
      const busy = track(loop.io(b, WRITE));
      let busyCount = 0;
      busy.start(() => busyCount++);
      const same = track(loop.idle());
      const lower = track(loop.idle());
      let sameCount = 0;
      let lowerCount = 0;
      lower.priority = -1;
      same.start(() => sameCount++);
      lower.start(() => lowerCount++);
      await until(() => busyCount >= 20);
      assert.equal(sameCount, 0);
      assert.equal(lowerCount, 0);

      const higher = track(loop.idle());
      higher.priority = 1;
      let higherCount = 0;
      higher.start(() => higherCount++);
      await until(() => higherCount >= 5);
      assert.equal(sameCount, 0, 'only the highest idle priority runs');

      busy.stop();
      higher.stop();
      await until(() => sameCount >= 5);
      assert.equal(lowerCount, 0, 'an idle watcher of higher priority is still due');
      same.stop();
      await until(() => lowerCount >= 5);
    } finally {
      closeFds(a, b);
    }
  });

  it('runs a libev iteration as prepare, then check, then idle', async () => {
    const order: string[] = [];
    const prepare = track(loop.prepare());
    const check = track(loop.check());
    const idle = track(loop.idle());
    prepare.start(() => order.push('P'));
    check.start(() => order.push('C'));
    idle.start(() => order.push('I'));
    await until(() => order.length >= 9);
    prepare.stop();
    check.stop();
    idle.stop();
    const start = order.indexOf('P');
    assert.deepEqual(order.slice(start, start + 6), ['P', 'C', 'I', 'P', 'C', 'I']);
  });

  it('multiplexes several io watchers on one fd, each with its own mask', async () => {
    const [a, b] = makeSocketPair();
    try {
      const reader = track(loop.io(a, READ));
      const writer = track(loop.io(a, WRITE));
      const both = track(loop.io(a, READ | WRITE));
      const seen: [string, number][] = [];
      reader.start((ev: number) => seen.push(['reader', ev]), EVENTS);
      writer.start((ev: number) => seen.push(['writer', ev]), EVENTS);
      both.start((ev: number) => seen.push(['both', ev]), EVENTS);
      await until(() => seen.some(([who]) => who === 'writer'));
      assert.ok(!seen.some(([who]) => who === 'reader'), 'nothing to read yet');
      assert.ok(seen.some(([who, ev]) => who === 'both' && ev === WRITE));
      writer.stop();
      both.stop();
      seen.length = 0;
      fs.writeSync(b, 'x');
      await until(() => seen.length > 0);
      assert.deepEqual(seen[0], ['reader', READ]);
    } finally {
      closeFds(a, b);
    }
  });

  it('an fd closed under an active io watcher stops it with ERROR instead of aborting', async () => {
    const [a, b] = makeSocketPair();
    const io = track(loop.io(a, READ));
    let revents = 0;
    io.start((ev: number) => (revents = ev), EVENTS);
    closeFds(a); // before libev handed the fd to epoll
    await until(() => revents !== 0);
    assert.ok((revents & 0x80000000) !== 0, `revents ${revents}`);
    assert.equal(io.active, false);
    closeFds(b);
  });

  it('refuses io watchers on the loops\' own epoll fds', () => {
    const fds = fs.readdirSync('/proc/self/fd').map(Number);
    const epolls = fds.filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`) === 'anon_inode:[eventpoll]';
      } catch {
        return false;
      }
    });
    let refused = 0;
    for (const fd of epolls) {
      const io = track(loop.io(fd, READ));
      try {
        io.start(() => undefined);
        io.stop();
      } catch (error) {
        assert.equal((error as { code?: string }).code, 'EINVAL');
        refused++;
      }
    }
    assert.ok(refused >= 2, `refused ${refused} of ${epolls.length} epoll fds`); // libev's and Node's
  });

  it('wakes Node at the next libev deadline and not later', async () => {
    const timer = track(loop.timer(0.03));
    const started = process.hrtime.bigint();
    let elapsed = 0;
    timer.start(() => (elapsed = Number(process.hrtime.bigint() - started) / 1e6));
    // Nothing else is due in Node's loop: only the deadline timer wakes it.
    await new Promise<void>((resolve) => {
      const poll = (): void => {
        if (elapsed > 0) resolve();
        else setTimeout(poll, 200);
      };
      setTimeout(poll, 200);
    });
    assert.ok(elapsed >= 29 && elapsed < 60, `fired after ${elapsed} ms`);
  });

  it('loop.now() is libev\'s cached monotonic clock, refreshed by updateNow()', async () => {
    const before = loop.now();
    assert.ok(Math.abs(before - Number(process.hrtime.bigint()) / 1e9) < 1, `now ${before}`);
    await delay(20);
    loop.updateNow();
    const after = loop.now();
    assert.ok(after - before >= 0.019 && after - before < 1, `${after - before}`);
  });

  it('an async watcher wakes the loop from a worker thread', async () => {
    const { Worker } = await import('node:worker_threads');
    const async = track(loop.async());
    let fired = 0;
    async.start(() => fired++);
    const native = path.join(__dirname, '../../lib/loop/native');
    const worker = new Worker(
      `require(${JSON.stringify(native)}).addon.asyncSend(${async.token});`,
      { eval: true, execArgv: ['--require', 'tsx/cjs'] },
    );
    try {
      await until(() => fired === 1, 10000, 'the async event');
    } finally {
      await worker.terminate();
    }
  });

  it('Node signals and process.on() listeners still work beside the ev loop', async () => {
    const timer = track(loop.timer(0.001, 0.001));
    timer.start(() => undefined);
    const signal = track(loop.signal('SIGUSR2'));
    let watched = 0;
    let listened = 0;
    const listener = (): void => {
      listened++;
    };
    process.on('SIGUSR2', listener);
    try {
      signal.start(() => watched++);
      process.kill(process.pid, 'SIGUSR2');
      await until(() => watched === 1 && listened === 1);
    } finally {
      process.off('SIGUSR2', listener);
    }
  });

  it('child_process still reaps its children and reports their exit codes', async () => {
    const idle = track(loop.io(makeSocketPair()[1], WRITE)); // keep libev busy meanwhile
    let busy = 0;
    idle.start(() => busy++);
    const codes = await Promise.all(
      [3, 7].map(
        (code) =>
          new Promise<number | null>((resolve, reject) => {
            const child = spawn('sh', ['-c', `exit ${code}`]);
            child.on('error', reject);
            child.on('exit', resolve);
          }),
      ),
    );
    assert.deepEqual(codes, [3, 7]);
    assert.ok(busy > 0);
    closeFds(idle.fd);
  });

  it('a child watcher sees a child_process exit and Node still gets it too', async () => {
    const child = spawn('sh', ['-c', 'exit 5']);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const watcher = track(loop.child(child.pid as number));
    let status = -1;
    watcher.start(() => (status = watcher.rstatus));
    assert.equal(await exited, 5);
    await until(() => status !== -1);
    assert.equal(status, 5 << 8);
  });

  it('stat watchers see a file appear, change and go', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'watched');
    const stat = track(loop.stat(file, 0.1));
    const seen: (number | null)[] = [];
    stat.start(() => seen.push(stat.attr?.size ?? null));
    try {
      fs.writeFileSync(file, 'ab');
      await until(() => seen.includes(2));
      fs.appendFileSync(file, 'cd');
      await until(() => seen.includes(4));
      fs.unlinkSync(file);
      await until(() => seen.includes(null));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('periodic watchers run on libev: interval schedules and JS-chosen times', async () => {
    const start = Date.now() / 1000;
    const periodic = track(loop.periodic(0, 0.02));
    const times: number[] = [];
    periodic.start(() => {
      times.push(Date.now() / 1000);
      if (times.length === 3) periodic.stop();
    });
    await until(() => times.length === 3);
    for (const t of times) assert.ok(t >= start);

    let asked = 0;
    const manual = track(loop.periodic(0, 0, (_w, now) => {
      asked++;
      return now + 0.01;
    }));
    let fired = 0;
    manual.start(() => {
      fired++;
      if (fired === 3) manual.stop();
    });
    await until(() => fired === 3);
    assert.equal(asked, 4); // at start, then before each firing
    await delay(40);
    assert.equal(fired, 3);
  });

  it('periodic offsets far from now neither hang libev\'s schedule arithmetic nor leave the grid', () => {
    // libev steps from offset + interval * floor((now - offset) / interval)
    // to now: with offset 1e300 that product has no precision left.
    const result = runScript(`
      import { Loop } from 'lib/loop';
      const loop = new Loop({ backend: 'ev' });
      const answers: string[] = [];
      for (const offset of [1e300, -1e300, 1e15]) {
        const p = loop.periodic(offset, 0.01);
        p.start(() => undefined);
        answers.push(String(p.at > Date.now() / 1000 - 1 && p.at < Date.now() / 1000 + 1));
        p.stop();
      }
      console.log(answers.join());
      loop.close();
    `, { timeoutMs: 10000 });
    assert.equal(result.status, 0, result.stderr || String(result.signal));
    assert.equal(result.stdout.trim(), 'true,true,true');
  });

  it('keeps the process alive exactly while a ref\'d ev watcher is active', () => {
    const kept = runScript(`
      import { Loop } from 'lib/loop';
      const loop = new Loop({ backend: 'ev' });
      loop.timer(0.05).start(() => console.log('fired'));
    `);
    assert.equal(kept.stdout.trim(), 'fired', kept.stderr);
    const dropped = runScript(`
      import { Loop, READ } from 'lib/loop';
      import { addon } from 'lib/loop/native';
      const loop = new Loop({ backend: 'ev' });
      const [a] = addon.syscalls.socketpair(1, 1);
      const io = loop.io(a, READ);
      io.start(() => console.log('read'));
      io.ref = false;
      const t = loop.timer(5);
      t.start(() => console.log('timer'));
      t.ref = false;
      const async = loop.async();
      async.start(() => console.log('async'));
      async.ref = false;
      console.log('end');
    `, { timeoutMs: 4000 });
    assert.equal(dropped.status, 0, dropped.stderr);
    assert.equal(dropped.stdout.trim(), 'end');
    const asyncKept = runScript(`
      import { Loop } from 'lib/loop';
      const loop = new Loop({ backend: 'ev' });
      const async = loop.async();
      async.start(() => { console.log('sent'); async.stop(); });
      setTimeout(() => async.send(), 30).unref();
    `, { timeoutMs: 4000 });
    assert.equal(asyncKept.status, 0, asyncKept.stderr);
    assert.equal(asyncKept.stdout.trim(), 'sent');
  });

  it('close() releases everything: the process exits with watchers of every kind left active', () => {
    const result = runScript(`
      import { Loop, READ } from 'lib/loop';
      import { addon } from 'lib/loop/native';
      const loop = new Loop({ backend: 'ev' });
      const [a] = addon.syscalls.socketpair(1, 1);
      loop.io(a, READ).start(() => undefined);
      loop.timer(10, 10).start(() => undefined);
      loop.periodic(0, 60).start(() => undefined);
      loop.stat('/tmp', 1).start(() => undefined);
      loop.idle().start(() => undefined);
      loop.prepare().start(() => undefined);
      loop.check().start(() => undefined);
      loop.async().start(() => undefined);
      setTimeout(() => { loop.close(); console.log('closed'); }, 30);
    `, { timeoutMs: 4000 });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'closed');
  });

  it('a callback may close its own loop', async () => {
    const own = new Loop({ backend: 'ev' });
    const prepare = own.prepare();
    let ran = 0;
    prepare.start(() => {
      ran++;
      own.close();
    });
    await delay(20);
    assert.equal(ran, 1);
    assert.equal(own.closed, true);
  });

  it('Node\'s own timers and promises keep running while ev idle watchers spin', async () => {
    const idle = track(loop.idle());
    let spins = 0;
    idle.start(() => spins++);
    const started = Date.now();
    await delay(20);
    await Promise.resolve();
    assert.ok(Date.now() - started < 500);
    assert.ok(spins > 0);
  });
});
