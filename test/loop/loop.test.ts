import { strict as assert } from 'node:assert';

import { Callback, ClosedError, defaultLoop, EVENTS, Loop, TIMER, type TimerWatcher, type Watcher } from '../../lib/loop';
import { BACKEND, delay, newLoop, runScript, runScriptAsync, until } from '../helpers';

/** Keeps this thread busy for `ms` milliseconds. */
function spin(ms: number): void {
  const end = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
  while (process.hrtime.bigint() < end);
}

describe('Loop', () => {
  let loop: Loop;
  beforeEach(() => {
    loop = newLoop();
  });
  afterEach(() => {
    loop.close();
  });

  describe('runCallback', () => {
    it('runs fn(...args) soon, in FIFO order, and returns a cancellable Callback', async () => {
      const order: unknown[][] = [];
      const first = loop.runCallback((...args: unknown[]) => order.push(args), 1, 'a');
      loop.runCallback(() => order.push([2]));
      assert.ok(first instanceof Callback);
      assert.equal(first.pending, true);
      assert.deepEqual(first.args, [1, 'a']);
      assert.deepEqual(order, []);
      await until(() => order.length === 2);
      assert.deepEqual(order, [[1, 'a'], [2]]);
      assert.equal(first.pending, false);
      assert.equal(first.callback, null);
    });

    it('a stopped Callback never runs (gevent test__core_callback)', async () => {
      let ran = 0;
      const cancelled = loop.runCallback(() => ran++);
      const closed = loop.runCallback(() => ran++);
      cancelled.stop();
      closed.close();
      assert.equal(cancelled.pending, false);
      let after = false;
      loop.runCallback(() => (after = true));
      await until(() => after);
      assert.equal(ran, 0);
    });

    it('runs callbacks queued during a drain in that same drain, before any timer', async () => {
      const order: string[] = [];
      loop.timer(0).start(() => order.push('timer'));
      loop.runCallback(() => {
        order.push('A');
        loop.runCallback(() => {
          order.push('B');
          loop.runCallback(() => order.push('C'));
        });
      });
      await until(() => order.length === 4);
      assert.deepEqual(order, ['A', 'B', 'C', 'timer']);
    });

    it('runs callbacks before a zero timer, whichever was started first (gevent: spawn before spawn_later(0))', async () => {
      const order: string[] = [];
      loop.runCallback(() => order.push('spawn'));
      loop.timer(0).start(() => order.push('later0'));
      loop.runCallback(() => order.push('callback'));
      // A busy thread lets the timer expire before the loop gets a turn.
      spin(5);
      await until(() => order.length === 3);
      assert.deepEqual(order, ['spawn', 'callback', 'later0']);
    });

    it('rejects a callback that is not a function', () => {
      for (const bad of [null, undefined, 5, 'f', {}]) {
        assert.throws(() => loop.runCallback(bad as unknown as () => void), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"fn"/ });
      }
    });
  });

  describe('errors', () => {
    it('an error in a callback reaches errorHandler with its context; the others still run', async () => {
      const errors: [unknown, unknown][] = [];
      loop.errorHandler = (error, context) => errors.push([error, context]);
      const boom = new Error('boom');
      let after = 0;
      const failing = loop.runCallback(() => {
        throw boom;
      });
      loop.runCallback(() => after++);
      const timer = loop.timer(0);
      timer.start(() => {
        throw boom;
      });
      await until(() => errors.length === 2 && after === 1);
      assert.deepEqual(
        errors.map(([, context]) => context),
        [failing, timer],
      );
      assert.ok(errors.every(([error]) => error === boom));
    });

    it('by default an error in a callback is an uncaught exception, and so is one from errorHandler', () => {
      const result = runScript(`
        import { defaultLoop } from 'lib/loop';
        process.on('uncaughtException', (e) => console.log('uncaught', e.message));
        const loop = defaultLoop();
        loop.runCallback(() => { throw new Error('from a callback'); });
        loop.runCallback(() => {
          loop.errorHandler = () => { throw new Error('from the handler'); };
          loop.runCallback(() => { throw new Error('swallowed'); });
          loop.timer(0.02).start(() => console.log('still running'));
        });
      `);
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(result.stdout.trim().split('\n'), ['uncaught from a callback', 'uncaught from the handler', 'still running']);
    });

    it('an uncaught error does not stop the loop from delivering the rest of its batch', () => {
      const result = runScript(`
        import { defaultLoop } from 'lib/loop';
        let caught = 0;
        process.on('uncaughtException', () => caught++);
        const loop = defaultLoop();
        let fired = 0;
        for (let i = 0; i < 5; i++) loop.timer(0.01).start(() => { fired++; throw new Error('x'); });
        setTimeout(() => console.log(fired, caught), 200);
      `);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.trim(), '5 5');
    });

    it('an error from an internal listener (the hub) is reported and the batch goes on', async () => {
      const errors: unknown[] = [];
      loop.errorHandler = (error) => errors.push(error);
      const boom = new Error('listener');
      const first = loop.timer(0.01);
      const second = loop.timer(0.01);
      first._startFor({
        _onWatcher() {
          throw boom;
        },
      });
      let secondFired = false;
      second.start(() => (secondFired = true));
      await until(() => secondFired && errors.length === 1);
      assert.equal(errors[0], boom);
    });

    it('refuses an errorHandler that is not a function', () => {
      for (const bad of [null, undefined, 5, {}]) {
        assert.throws(() => (loop.errorHandler = bad as unknown as () => void), { name: 'TypeError', message: /"errorHandler"/ });
      }
      assert.equal(typeof loop.errorHandler, 'function');
    });
  });

  describe('switch interval', () => {
    /**
     * Queues a chain of `total` callbacks, each busy for `each` ms and
     * queueing the next; answers after how many callbacks a zero timer and
     * a Node immediate, started first, got their turn.
     */
    async function chain(total: number, each: number): Promise<{ timer: number; immediate: number }> {
      let ran = 0;
      let timerAt = -1;
      let immediateAt = -1;
      loop.timer(0).start(() => (timerAt = ran));
      setImmediate(() => (immediateAt = ran));
      const next = (): void => {
        spin(each);
        if (++ran < total) loop.runCallback(next);
      };
      loop.runCallback(next);
      await until(() => ran === total && timerAt >= 0 && immediateAt >= 0, 20000);
      return { timer: timerAt, immediate: immediateAt };
    }

    it('bounds one drain of the queue, so that timers and Node\'s own callbacks run meanwhile', async () => {
      assert.equal(loop.switchInterval, 0.005);
      const { timer, immediate } = await chain(600, 0.05);
      // The clock is read every 50 callbacks: 5 ms pass after 100 of these.
      assert.ok(timer >= 50 && timer < 600, `the timer ran after ${timer} callbacks`);
      assert.ok(immediate < 600, `the immediate ran after ${immediate} callbacks`);
    });

    it('a longer switch interval lets one drain run longer', async () => {
      loop.switchInterval = 10;
      const { timer } = await chain(200, 0.05);
      assert.equal(timer, 200);
    });

    it('rejects bad values naming "switchInterval"', () => {
      for (const bad of [-1, NaN, Infinity]) {
        assert.throws(() => (loop.switchInterval = bad), { name: 'RangeError', message: /"switchInterval"/ });
      }
      assert.throws(() => (loop.switchInterval = '1' as unknown as number), { name: 'TypeError', message: /"switchInterval"/ });
      assert.equal(loop.switchInterval, 0.005);
    });
  });

  describe('pending', () => {
    // On the uv backend our timers and Node's expire in one phase, ours
    // first: Node's callback sees our expired timers' events waiting. Other
    // backends may notice the expiry later; whatever they report, a stopped
    // watcher must forget its waiting event.
    const waiting = (uv: string, other: string): string => (BACKEND === 'uv' ? uv : other);

    it('is true for a watcher whose event waits for the next turn, and false once delivered', () => {
      const result = runScript(`
        import { Loop } from 'lib/loop';
        const loop = new Loop({ backend: process.env.GREENHUB_LOOP as 'uv' || 'uv' });
        const timers = Array.from({ length: 3 }, () => loop.timer(0.01));
        let fired = 0;
        for (const t of timers) t.start(() => fired++);
        setTimeout(() => {
          console.log('pending', timers.map((t) => t.pending).join());
          timers[1].stop();
          timers[1].set(5);
          timers[1].start(() => console.log('restarted timer fired'));
          console.log('after restart', timers[1].pending);
          setTimeout(() => { console.log('fired', fired); loop.close(); }, 50);
        }, 15);
        const end = Date.now() + 30;
        while (Date.now() < end);
      `);
      assert.equal(result.status, 0, result.stderr);
      const lines = result.stdout.trim().split('\n');
      assert.match(lines[0], new RegExp(waiting('^pending true,true,true$', '^pending (true|false),(true|false),(true|false)$')));
      assert.deepEqual(lines.slice(1), ['after restart false', 'fired 2']);
    });

    it('is false in the nextTicks and promises that follow a delivery', async () => {
      const t = loop.timer(0.005, 0.005);
      const seen: boolean[] = [];
      t.start(() => {
        process.nextTick(() => seen.push(t.pending));
        void Promise.resolve().then(() => seen.push(t.pending));
      });
      await until(() => seen.length >= 4);
      t.stop();
      assert.deepEqual(seen.slice(0, 4), [false, false, false, false]);
    });

    it('holds when more events come in one turn than the ring first had room for', () => {
      const result = runScript(`
        import { Loop } from 'lib/loop';
        const loop = new Loop({ backend: process.env.GREENHUB_LOOP as 'uv' || 'uv' });
        const count = 10000;
        const timers = Array.from({ length: count }, () => loop.timer(0.01));
        let fired = 0;
        for (const t of timers) t.start(() => fired++);
        setTimeout(() => {
          const last = timers[count - 1];
          console.log('pending', timers.filter((t) => t.pending).length);
          last.stop();
          last.set(5);
          last.start(() => console.log('restarted timer fired'));
          setTimeout(() => { console.log('fired', fired); loop.close(); }, 100);
        }, 25);
        const end = Date.now() + 50;
        while (Date.now() < end);
      `);
      assert.equal(result.status, 0, result.stderr);
      const lines = result.stdout.trim().split('\n');
      assert.match(lines[0], new RegExp(waiting('^pending 10000$', '^pending \\d+$')));
      assert.deepEqual(lines.slice(1), ['fired 9999']);
    });
  });

  describe('now / updateNow', () => {
    it('now() is the cached loop time in seconds; updateNow() refreshes it', async () => {
      const before = loop.now();
      assert.equal(typeof before, 'number');
      spin(30);
      assert.equal(loop.now(), before);
      loop.updateNow();
      const after = loop.now();
      assert.ok(after - before >= 0.025 && after - before < 5, `${before} → ${after}`);
      await delay(30);
      assert.ok(loop.now() - after >= 0.025, `${after} → ${loop.now()}`);
    });
  });

  describe('close', () => {
    it('stops and closes every watcher, drops queued callbacks, refuses further use', async () => {
      const fired: string[] = [];
      const timer = loop.timer(0);
      timer.start(() => fired.push('timer'));
      const idle = loop.idle();
      idle.start(() => fired.push('idle'));
      const callback = loop.runCallback(() => fired.push('callback'));
      loop.close();
      assert.equal(loop.closed, true);
      for (const w of [timer, idle]) {
        assert.equal(w.active, false);
        assert.equal(w.closed, true);
        w.stop();
        w.close();
        assert.throws(() => w.start(() => undefined), (e: unknown) => e instanceof ClosedError && e.code === 'ERR_LOOP_CLOSED');
      }
      await delay(30);
      assert.deepEqual(fired, []);
      assert.equal(callback.pending, false);
      for (const use of [
        () => loop.runCallback(() => undefined),
        () => loop.now(),
        () => loop.updateNow(),
        () => loop.timer(1),
        () => loop.idle(),
        () => loop.async(),
        () => loop.stat('/x'),
        () => loop.periodic(0, 1),
      ]) {
        assert.throws(use, (e: unknown) => e instanceof ClosedError && e.code === 'ERR_LOOP_CLOSED');
      }
      loop.close();
    });

    it('from a callback, stops the rest of the batch', async () => {
      const ran: number[] = [];
      for (let i = 0; i < 5; i++) {
        loop.timer(0.01).start(() => {
          ran.push(i);
          if (i === 1) loop.close();
        });
      }
      await delay(60);
      assert.deepEqual(ran, [0, 1]);
    });

    it('lets the process exit although watchers were active', async () => {
      const result = await runScriptAsync(`
        import { defaultLoop } from 'lib/loop';
        import { addon } from 'lib/loop/native';
        const loop = defaultLoop();
        loop.timer(10).start(() => undefined);
        loop.io(addon.syscalls.pipe()[0], 1).start(() => undefined);
        loop.signal('SIGUSR2').start(() => undefined);
        loop.periodic(0, 3600).start(() => undefined);
        loop.async().start(() => undefined);
        loop.check().start(() => undefined);
        setTimeout(() => loop.close(), 50);
      `);
      assert.equal(result.status, 0, result.stderr);
      assert.ok(result.elapsedMs < 8000, `took ${result.elapsedMs} ms`);
    });

    it('defaultLoop() makes a new loop once the default one is closed', () => {
      const result = runScript(`
        import { defaultLoop } from 'lib/loop';
        const first = defaultLoop();
        console.log(defaultLoop() === first);
        first.close();
        const second = defaultLoop();
        console.log(second !== first, second.closed);
        second.timer(0).start(() => console.log('fired'));
      `);
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(result.stdout.trim().split('\n'), ['true', 'true false', 'fired']);
    });
  });

  describe('backends', () => {
    it('knows "uv" always; "ev" works where the addon was built with libev', () => {
      assert.ok(Loop.backends.includes('uv'));
      assert.equal(loop.backend, BACKEND);
      for (const backend of ['uv', 'ev'] as const) {
        if (Loop.backends.includes(backend)) {
          const other = new Loop({ backend });
          assert.equal(other.backend, backend);
          other.close();
        } else {
          assert.throws(() => new Loop({ backend }), { code: 'ERR_GREENHUB_BACKEND', message: /libev-dev/ });
        }
      }
    });

    it('rejects unknown backend names and bad options', () => {
      for (const bad of ['libuv', 'UV', '', 'select', 5, null]) {
        assert.throws(() => new Loop({ backend: bad as 'uv' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /"options.backend"/ });
      }
      for (const bad of [null, 'uv', 5]) {
        assert.throws(() => new Loop(bad as unknown as object), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"options"/ });
      }
    });

    it('defaultLoop() honours GREENHUB_LOOP and refuses unknown names', () => {
      const result = runScript(`
        import { defaultLoop } from 'lib/loop';
        try {
          defaultLoop();
        } catch (error) {
          console.log((error as Error).name, (error as NodeJS.ErrnoException).code, /GREENHUB_LOOP/.test((error as Error).message));
        }
      `, { env: { GREENHUB_LOOP: 'bogus' } });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.trim(), 'TypeError ERR_INVALID_ARG_VALUE true');
      assert.equal(defaultLoop().backend, BACKEND);
    });
  });

  describe('ref', () => {
    it('a loop with nothing to do does not keep the process alive (gevent test__core_loop_run)', async () => {
      const result = await runScriptAsync(`
        import { defaultLoop, Loop } from 'lib/loop';
        defaultLoop();
        new Loop();
        const w = defaultLoop().signal('SIGUSR2');
        w.start(() => undefined);
        w.ref = false;
        defaultLoop().runCallback(() => console.log('ran'));
      `);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.trim(), 'ran');
      assert.ok(result.elapsedMs < 8000);
    });

    // Each watcher type, ref'd and unref'd, in a process of its own: it must
    // stay alive for a ref'd active watcher (until an unref'd Node timer
    // closes the loop) and exit at once for an unref'd one (which a loaded
    // machine may still take a while to do: its timer waits longer).
    const kinds: Record<string, { make: string; cleanup?: string }> = {
      io: { make: `loop.io(addon.syscalls.pipe()[0], 1)` },
      timer: { make: `loop.timer(3600)` },
      signal: { make: `loop.signal('SIGUSR2')` },
      child: {
        make: `loop.child(child.pid!)`,
        cleanup: `child.kill('SIGKILL');`,
      },
      periodic: { make: `loop.periodic(0, 3600)` },
      stat: { make: `loop.stat('/nonexistent/greenhub', 1)` },
      idle: { make: `loop.idle()` },
      prepare: { make: `loop.prepare()` },
      check: { make: `loop.check()` },
      async: { make: `loop.async()` },
    };
    for (const [kind, { make, cleanup }] of Object.entries(kinds)) {
      it(`an active ${kind} watcher keeps the process alive unless unref'd`, async () => {
        const script = (ref: boolean, before: boolean): string => `
          import { spawn } from 'node:child_process';
          import { defaultLoop } from 'lib/loop';
          import { addon } from 'lib/loop/native';
          void addon;
          const loop = defaultLoop();
          const child = spawn('sleep', ['30'], { stdio: 'ignore' });
          child.unref();
          const w = ${make};
          ${before ? `w.ref = ${ref};` : ''}
          w.start(() => undefined);
          ${before ? '' : `w.ref = ${ref};`}
          // setTimeout counts from the loop's cached time, which module
          // loading left stale: refresh it so that the timer waits in full.
          loop.updateNow();
          setTimeout(() => {
            console.log('alive', w.active, w.ref);
            loop.close();
            child.kill('SIGKILL');
            ${cleanup ?? ''}
          }, ${ref ? 400 : 3000}).unref();
          process.on('exit', () => child.kill('SIGKILL'));
        `;
        const [kept, dropped, droppedBefore] = await Promise.all([
          runScriptAsync(script(true, false)),
          runScriptAsync(script(false, false)),
          runScriptAsync(script(false, true)),
        ]);
        assert.equal(kept.status, 0, kept.stderr);
        assert.equal(kept.stdout.trim(), 'alive true true');
        for (const result of [dropped, droppedBefore]) {
          assert.equal(result.status, 0, result.stderr);
          assert.equal(result.stdout.trim(), '');
        }
      });
    }

    it('ref can be toggled back on and off while active', async () => {
      const t: TimerWatcher = loop.timer(3600);
      t.start(() => undefined);
      const toggles: Watcher[] = [t, loop.idle(), loop.async()];
      for (const w of toggles) {
        if (!w.active) w.start(() => undefined);
        w.ref = false;
        assert.equal(w.ref, false);
        w.ref = true;
        w.ref = true;
        assert.equal(w.ref, true);
      }
      const result = await runScriptAsync(`
        import { defaultLoop } from 'lib/loop';
        const loop = defaultLoop();
        const w = loop.timer(0.2);
        w.start(() => console.log('fired'));
        w.ref = false;
        w.ref = true;
        w.ref = false;
        w.ref = true;
      `);
      assert.equal(result.stdout.trim(), 'fired');
    });
  });

  describe('watchers (gevent test__core_watcher)', () => {
    it('callback and args can change while active; a callback can close its watcher', async () => {
      const seen: unknown[] = [];
      const t = loop.timer(0.001, 0.001);
      t.start(function (this: TimerWatcher, ...args: unknown[]) {
        seen.push(args);
        assert.equal(this, t);
        t.args = null;
        t.callback = () => {
          seen.push(25);
          t.close();
        };
      });
      assert.deepEqual(t.args, []);
      assert.throws(() => (t.callback = 5 as unknown as () => void), { name: 'TypeError', message: /"callback"/ });
      assert.throws(() => (t.args = 5 as unknown as unknown[]), TypeError);
      assert.deepEqual(t.args, []);
      await until(() => t.closed);
      assert.deepEqual(seen, [[], 25]);
      assert.equal(t.active, false);
    });

    it('EVENTS may stand at any place and several times; args set later receive it too', async () => {
      const t = loop.timer(0);
      let got: unknown[] = [];
      t.start((...args: unknown[]) => (got = args), EVENTS, 'x', EVENTS);
      await until(() => got.length > 0);
      assert.deepEqual(got, [TIMER, 'x', TIMER]);
      const again = loop.timer(0);
      got = [];
      again.start((...args: unknown[]) => (got = args));
      again.args = ['y', EVENTS];
      await until(() => got.length > 0);
      assert.deepEqual(got, ['y', TIMER]);
    });

    it('closes at the end of a using block', () => {
      let kept: TimerWatcher;
      {
        using t = loop.timer(1);
        t.start(() => undefined);
        kept = t;
      }
      assert.equal(kept.closed, true);
      assert.equal(kept.active, false);
    });
  });

  describe('garbage', () => {
    it('a watcher dropped without close() is closed when collected, and only that one', () => {
      const result = runScript(`
        import { defaultLoop, sendAsync } from 'lib/loop';
        const loop = defaultLoop();
        const turn = () => new Promise((resolve) => setImmediate(resolve));
        const tokens = (() => {
          const dropped = Array.from({ length: 3 }, () => loop.async());
          return dropped.map((w) => w.token);
        })();
        // A closed watcher whose id a live one took over: collecting the
        // closed one must leave the live one alone.
        let reused = loop.timer(1);
        const reusedId = reused._id;
        reused.close();
        const live = loop.async();
        const liveToken = live.token;
        reused = undefined as never;
        void (async () => {
          for (let i = 0; i < 5; i++) {
            global.gc!();
            await turn();
          }
          console.log(tokens.map((t) => sendAsync(t)).join(), sendAsync(liveToken), live._id === reusedId);
          live.close();
        })();
      `, { nodeArgs: ['--expose-gc'] });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.trim(), 'false,false,false true true');
    });
  });

  describe('addon', () => {
    it('refuses bad calls to every native function without aborting the process', () => {
      // In a child process: an abort() would take mocha down with it.
      const result = runScript(`
        import { Loop } from 'lib/loop';
        import { addon } from 'lib/loop/native';
        const loop = new Loop({ backend: (process.env.GREENHUB_LOOP || 'uv') as 'uv' });
        const native = loop._native as unknown as Record<string, unknown>;
        const timer = loop.timer(1);
        const closed = loop.timer(1);
        closed.close();
        const ids = [timer._id, closed._id, 0, -1, 2 ** 31, 1e10, NaN, 1.5, 'x', undefined, null, {}];
        const values = [undefined, null, NaN, -1, 0, 1.5, 1e300, Infinity, 'x', true, {}, [], () => 0];
        let calls = 0;
        let threw = 0;
        const call = (fn: unknown, args: unknown[]) => {
          calls++;
          try {
            (fn as (...a: unknown[]) => unknown)(...args);
          } catch (error) {
            if (!(error instanceof Error)) throw new Error('threw a non-Error: ' + String(error));
            threw++;
          }
        };
        for (const name of Object.keys(native)) {
          const fn = native[name];
          if (typeof fn !== 'function' || name === 'closeLoop') continue;
          call(fn, []);
          for (const id of ids) {
            call(fn, [id]);
            for (const v of values) {
              call(fn, [id, v]);
              call(fn, [id, v, v, v]);
              call(fn, [v, v]);
            }
          }
        }
        const buffer = Buffer.alloc(8);
        for (const name of ['read', 'write']) {
          const fn = (addon.syscalls as unknown as Record<string, unknown>)[name];
          for (const args of [[], [-1, buffer, 0, 8], [0, buffer, 4, 8], [0, buffer, -1, 1], [0, 'x', 0, 1], [0, new Float64Array(2), 0, 1], [0, buffer, 0, 2 ** 31]]) call(fn, args);
        }
        for (const [fn, args] of [
          [addon.createLoop, []], [addon.createLoop, ['nope', () => 0]], [addon.createLoop, ['uv', 5]],
          [addon.asyncSend, ['x']], [addon.periodicNext, [NaN, NaN, NaN]], [addon.periodicNext, ['a']],
          [addon.syscalls.socketpair, [999, 999]], [addon.syscalls.close, [-1]], [addon.syscalls.setNonBlocking, [-1, 'x']],
        ] as [unknown, unknown[]][]) call(fn, args);
        // The loop still works after all that (the calls above closed
        // \`timer\` through the native close()).
        loop.timer(0.01).start(() => {
          console.log('calls', calls > 1000, 'threw', threw > 1000);
          loop.close();
        });
      `);
      assert.equal(result.signal, null, result.stderr);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.trim(), 'calls true threw true');
    });
  });
});
