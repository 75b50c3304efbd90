import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

import { CHILD, ChildWatcher, ClosedError, EVENTS, Loop } from '../../lib/loop';
import { delay, newLoop, runScript, until } from '../helpers';

/** How many pidfds this process holds open. */
function pidfdCount(): number {
  let count = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`) === 'anon_inode:[pidfd]') count++;
    } catch {
      // The fd the directory listing used is gone already.
    }
  }
  return count;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function exitOf(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

function sh(script: string): ChildProcess {
  return spawn('/bin/sh', ['-c', script], { stdio: 'ignore' });
}

/** Resolves with the watcher once its callback ran `times` times. */
function fired(w: ChildWatcher, times = 1): Promise<number[]> {
  const seen: number[] = [];
  return new Promise((resolve) => {
    w.start((revents: number) => {
      seen.push(revents);
      if (seen.length === times) resolve(seen);
    }, EVENTS);
  });
}

// Both ways of seeing an exit run the same tests: pidfds (Linux >= 5.3) and
// SIGCHLD with waitid, which GREENHUB_NO_PIDFD=1 forces at each start.
for (const mode of ['pidfd', 'SIGCHLD'] as const) {
  describe(`loop.child (${mode})`, () => {
    let loop: Loop;
    let children: ChildProcess[] = [];
    const start = (script: string): ChildProcess => {
      const child = sh(script);
      children.push(child);
      return child;
    };
    beforeEach(() => {
      loop = newLoop();
      if (mode === 'SIGCHLD') process.env.GREENHUB_NO_PIDFD = '1';
    });
    afterEach(() => {
      delete process.env.GREENHUB_NO_PIDFD;
      loop.close();
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      children = [];
    });

    it('fires when a child_process child exits, and Node still sees the exit', async () => {
      const child = start('exit 3');
      const w = loop.child(child.pid as number);
      assert.equal(w.pid, child.pid);
      assert.equal(w.active, false);
      const nodeExit = exitOf(child);
      const seen = await fired(w);
      assert.deepEqual(seen, [CHILD]);
      assert.deepEqual(await nodeExit, { code: 3, signal: null });
      assert.equal(w.active, false);
      assert.equal(w.callback, null);
      assert.equal(w.rpid, child.pid);
      if (mode === 'pidfd') {
        assert.equal(w.rstatus, 3 << 8);
        assert.equal(w.exitCode, 3);
        assert.equal(w.signalCode, null);
      } else {
        // Node reaps its children from its own SIGCHLD handler, which libuv
        // runs before ours: the status may be gone by the time we look.
        assert.ok(w.rstatus === 3 << 8 || w.rstatus === -1, `rstatus ${w.rstatus}`);
      }
    });

    it('reports the signal that killed the child', async () => {
      const child = start('sleep 10');
      const w = loop.child(child.pid as number);
      const done = fired(w);
      const nodeExit = exitOf(child);
      child.kill('SIGTERM');
      await done;
      assert.deepEqual(await nodeExit, { code: null, signal: 'SIGTERM' });
      if (mode === 'pidfd' || w.rstatus !== -1) {
        assert.equal(w.exitCode, null);
        assert.equal(w.signalCode, 'SIGTERM');
        assert.equal(w.stopped, false);
      }
    });

    it('with trace, fires when the child stops and continues, and stays active until it exits', async () => {
      const child = start('sleep 10');
      const w = loop.child(child.pid as number, true);
      assert.equal(w.trace, true);
      const events: string[] = [];
      w.start(() => events.push(w.stopped ? `stopped ${w.stopSignal}` : w.continued ? 'continued' : 'exited'));
      const nodeExit = exitOf(child);
      child.kill('SIGSTOP');
      await until(() => events.length === 1);
      assert.equal(w.active, true);
      child.kill('SIGCONT');
      await until(() => events.length === 2);
      assert.equal(w.active, true);
      child.kill('SIGKILL');
      await until(() => events.length === 3);
      assert.deepEqual(events, ['stopped SIGSTOP', 'continued', 'exited']);
      assert.equal(w.active, false);
      assert.equal((await nodeExit).signal, 'SIGKILL');
    });

    it('without trace, ignores stops and continues', async () => {
      const child = start('sleep 10');
      const w = loop.child(child.pid as number);
      let count = 0;
      w.start(() => count++);
      child.kill('SIGSTOP');
      await delay(50);
      child.kill('SIGCONT');
      await delay(50);
      assert.equal(count, 0);
      assert.equal(w.active, true);
      child.kill('SIGKILL');
      await until(() => count === 1);
    });

    it('several watchers on one child all fire', async () => {
      const child = start('sleep 0.05');
      const [a, b] = [loop.child(child.pid as number), loop.child(child.pid as number)];
      await Promise.all([fired(a), fired(b), exitOf(child)]);
    });

    it('a stopped or closed watcher does not fire; Node still sees the exit', async () => {
      const child = start('sleep 0.05');
      const stopped = loop.child(child.pid as number);
      const closed = loop.child(child.pid as number);
      let count = 0;
      stopped.start(() => count++);
      closed.start(() => count++);
      stopped.stop();
      closed.close();
      assert.deepEqual(await exitOf(child), { code: 0, signal: null });
      await delay(30);
      assert.equal(count, 0);
    });

    it('sees a child that exited before the watcher started', async () => {
      const child = start('exit 5');
      const nodeExit = exitOf(child);
      // Block this thread until the child is surely a zombie: Node cannot
      // reap it meanwhile.
      const deadline = Date.now() + 300;
      while (Date.now() < deadline);
      const w = loop.child(child.pid as number);
      await fired(w);
      assert.equal((await nodeExit).code, 5);
      if (mode === 'pidfd') assert.equal(w.exitCode, 5);
    });
  });
}

describe('loop.child', () => {
  let loop: Loop;
  beforeEach(() => {
    loop = newLoop();
  });
  afterEach(() => {
    delete process.env.GREENHUB_NO_PIDFD;
    loop.close();
  });

  it('reads GREENHUB_NO_PIDFD at each start', async () => {
    const child = sh('sleep 10');
    try {
      const before = pidfdCount();
      const withPidfd = loop.child(child.pid as number);
      withPidfd.start(() => undefined);
      const opened = pidfdCount() - before;
      process.env.GREENHUB_NO_PIDFD = '1';
      const withSignal = loop.child(child.pid as number);
      withSignal.start(() => undefined);
      assert.equal(pidfdCount() - before, opened);
      delete process.env.GREENHUB_NO_PIDFD;
      const again = loop.child(child.pid as number);
      again.start(() => undefined);
      // Kernels without pidfds open none at all; the watchers still work.
      assert.equal(pidfdCount() - before, opened * 2);
      let exits = 0;
      for (const w of [withPidfd, withSignal, again]) w.start(() => exits++);
      child.kill('SIGKILL');
      await until(() => exits === 3);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('with reap, takes the exit status away from other waiters', () => {
    const result = runScript(`
      import { spawn } from 'node:child_process';
      import { defaultLoop } from 'lib/loop';
      const loop = defaultLoop();
      const child = spawn('/bin/sh', ['-c', 'exit 4'], { stdio: 'ignore' });
      child.unref();
      child.on('exit', () => console.log('node saw the exit'));
      const w = loop.child(child.pid!, false, { reap: true });
      w.start(() => {
        console.log('exit code', w.exitCode);
        try {
          loop.child(child.pid!);
        } catch (error) {
          console.log((error as NodeJS.ErrnoException).code);
        }
      });
    `);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split('\n'), ['exit code 4', 'ECHILD']);
  });

  it('refuses processes that are not unreaped children with ECHILD', async () => {
    const child = sh('exit 0');
    await exitOf(child);
    for (const pid of [1, process.pid, child.pid as number]) {
      assert.throws(() => loop.child(pid), (error: NodeJS.ErrnoException) => {
        assert.equal(error.code, 'ECHILD');
        assert.equal(error.syscall, 'waitid');
        assert.match(error.message, new RegExp(`process ${pid} `));
        return true;
      });
    }
  });

  it('rejects bad arguments with errors that name them', () => {
    for (const bad of [0, -1, 1.5, 2 ** 31, NaN, Infinity]) {
      assert.throws(() => loop.child(bad), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"pid"/ });
    }
    for (const bad of ['1', null, undefined, {}]) {
      assert.throws(() => loop.child(bad as unknown as number), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"pid"/ });
    }
    const child = sh('sleep 10');
    try {
      const pid = child.pid as number;
      assert.throws(() => loop.child(pid, 'yes' as unknown as boolean), { name: 'TypeError', message: /"trace"/ });
      assert.throws(() => loop.child(pid, false, null as unknown as object), { name: 'TypeError', message: /"options"/ });
      assert.throws(() => loop.child(pid, false, { reap: 1 as unknown as boolean }), { name: 'TypeError', message: /"options.reap"/ });
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses use after close with ClosedError', () => {
    const child = sh('sleep 10');
    try {
      const w = loop.child(child.pid as number);
      w.start(() => undefined);
      w.close();
      assert.equal(w.active, false);
      assert.throws(() => w.start(() => undefined), ClosedError);
      assert.throws(() => (w.ref = false), ClosedError);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
