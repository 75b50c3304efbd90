import { strict as assert } from 'node:assert';

import { ClosedError, defaultLoop, EVENTS, Loop, TIMER, TimerWatcher } from '../../lib/loop';
import { BACKEND, delay, runScript, until } from '../helpers';

describe('loop.timer', () => {
  const loop = defaultLoop();
  let timers: TimerWatcher[] = [];
  const timer = (after: number, repeat = 0): TimerWatcher => {
    const t = loop.timer(after, repeat);
    timers.push(t);
    return t;
  };
  afterEach(() => {
    for (const t of timers) t.close();
    timers = [];
  });

  it('fires once after `after` seconds, then is inactive with no callback', async () => {
    const t = timer(0.05);
    const calls: unknown[][] = [];
    const started = Date.now();
    let firedAt = 0;
    t.start((...args: unknown[]) => {
      firedAt = Date.now();
      calls.push(args);
    }, 'a', 1);
    assert.equal(t.active, true);
    assert.equal(t.after, 0.05);
    await until(() => calls.length > 0);
    assert.deepEqual(calls, [['a', 1]]);
    assert.ok(firedAt - started >= 49, `fired after ${firedAt - started} ms`);
    assert.equal(t.active, false);
    assert.equal(t.pending, false);
    assert.equal(t.callback, null);
    assert.equal(t.args, null);
    await delay(80);
    assert.equal(calls.length, 1);
  });

  it('passes the event bits where EVENTS stands', async () => {
    const t = timer(0);
    let got: unknown[] = [];
    t.start((...args: unknown[]) => (got = args), 'x', EVENTS);
    await until(() => got.length > 0);
    assert.deepEqual(got, ['x', TIMER]);
  });

  it('runs the callback with no arguments when none are given', async () => {
    const t = timer(0);
    let got: unknown[] | undefined;
    t.start((...args: unknown[]) => (got = args));
    await until(() => got !== undefined);
    assert.deepEqual(got, []);
  });

  it('repeats every `repeat` seconds until stopped', async () => {
    const t = timer(0.01, 0.01);
    let count = 0;
    t.start(() => {
      count++;
      if (count === 5) t.stop();
    });
    await until(() => count === 5);
    assert.equal(t.active, false);
    await delay(50);
    assert.equal(count, 5);
  });

  it('fires timers with the same delay in the order they started', async () => {
    const order: number[] = [];
    for (let i = 0; i < 5; i++) timer(0.01).start(() => order.push(i));
    await until(() => order.length === 5);
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
  });

  it('stop() before firing prevents the callback; start() again works', async () => {
    const t = timer(0.02);
    let count = 0;
    t.start(() => count++);
    t.stop();
    assert.equal(t.active, false);
    await delay(50);
    assert.equal(count, 0);
    t.start(() => count++);
    await until(() => count === 1);
  });

  it('a callback can restart its one-shot timer', async () => {
    const t = timer(0);
    let count = 0;
    const cb = (): void => {
      count++;
      if (count < 3) t.start(cb);
    };
    t.start(cb);
    await until(() => count === 3);
    assert.equal(t.active, false);
  });

  it('starting an active timer replaces its callback and arguments', async () => {
    const t = timer(0.02);
    const seen: string[] = [];
    t.start((what: string) => seen.push(`first ${what}`), 'a');
    t.start((what: string) => seen.push(`second ${what}`), 'b');
    assert.deepEqual(t.args, ['b']);
    await until(() => seen.length === 1);
    await delay(30);
    assert.deepEqual(seen, ['second b']);
  });

  it('again() restarts a repeating timer with its repeat value', async () => {
    const t = timer(10, 0.02);
    let count = 0;
    t.again(() => count++);
    assert.equal(t.active, true);
    assert.ok(t.remaining <= 0.02 && t.remaining > 0, `remaining ${t.remaining}`);
    await until(() => count >= 2);
    t.stop();
  });

  it('again() keeps the arguments (gevent test__core_timer)', async () => {
    const t = timer(0.001, 0.05);
    const seen: unknown[] = [];
    t.again((x: unknown) => {
      seen.push(x);
      t.stop();
    }, 'x');
    assert.deepEqual(t.args, ['x']);
    await until(() => seen.length === 1);
    assert.deepEqual(seen, ['x']);
  });

  it('again() on a non-repeating timer stops it', () => {
    const t = timer(10);
    t.start(() => undefined);
    t.again();
    assert.equal(t.active, false);
  });

  it('again() on an inactive timer needs a callback', () => {
    const t = timer(1, 1);
    assert.throws(() => t.again(), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('remaining counts down and is 0 when inactive', async () => {
    const t = timer(0.5);
    assert.equal(t.remaining, 0);
    t.start(() => undefined);
    const first = t.remaining;
    assert.ok(first > 0.4 && first <= 0.5, `remaining ${first}`);
    await delay(60);
    loop.updateNow();
    assert.ok(t.remaining < first, `remaining ${t.remaining} after ${first}`);
    t.stop();
    assert.equal(t.remaining, 0);
  });

  it('set() changes an inactive timer and refuses an active one', () => {
    const t = timer(1);
    t.set(2, 3);
    assert.equal(t.after, 2);
    assert.equal(t.repeat, 3);
    t.start(() => undefined);
    assert.throws(() => t.set(1, 0), { code: 'ERR_WATCHER_ACTIVE' });
  });

  it('priority can be set while inactive, not while active', () => {
    const t = timer(1);
    assert.equal(t.priority, 0);
    t.priority = 1;
    assert.equal(t.priority, 1);
    t.start(() => undefined);
    assert.throws(() => (t.priority = 2), { code: 'ERR_WATCHER_ACTIVE' });
    t.stop();
    t.priority = -2;
    assert.equal(t.priority, -2);
    assert.throws(() => (t.priority = 3), RangeError);
    assert.throws(() => (t.priority = 1.5), RangeError);
  });

  it('delivers higher priorities first within one loop iteration', async () => {
    const order: string[] = [];
    const low = timer(0.02);
    const high = timer(0.02);
    low.priority = -1;
    high.priority = 2;
    low.start(() => order.push('low'));
    high.start(() => order.push('high'));
    await until(() => order.length === 2);
    assert.deepEqual(order, ['high', 'low']);
  });

  it('rejects bad arguments with errors that name them', () => {
    for (const bad of [NaN, -1, Infinity, -Infinity]) {
      assert.throws(() => loop.timer(bad), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"after"/ });
      assert.throws(() => loop.timer(1, bad), { name: 'RangeError', message: /"repeat"/ });
    }
    for (const bad of ['1', null, {}, 1n]) {
      assert.throws(() => loop.timer(bad as unknown as number), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"after"/ });
    }
    const t = timer(1);
    for (const bad of [null, undefined, 5, 'f', {}]) {
      assert.throws(() => t.start(bad as unknown as () => void), { name: 'TypeError', message: /"callback"/ });
    }
    assert.equal(t.active, false);
    t.start(() => undefined);
    assert.throws(() => (t.callback = 5 as unknown as () => void), TypeError);
    assert.throws(() => (t.args = 5 as unknown as unknown[]), TypeError);
    t.args = [1, 2, 3];
    assert.deepEqual(t.args, [1, 2, 3]);
    assert.throws(() => (t.ref = 'yes' as unknown as boolean), { name: 'TypeError', message: /"ref"/ });
  });

  it('refuses use after close with ClosedError; stop() and close() stay harmless', () => {
    const t = loop.timer(1);
    t.close();
    assert.equal(t.closed, true);
    assert.throws(() => t.start(() => undefined), (e: unknown) => e instanceof ClosedError && e.code === 'ERR_WATCHER_CLOSED');
    assert.throws(() => (t.ref = false), ClosedError);
    assert.throws(() => t.remaining, ClosedError);
    t.stop();
    t.close();
  });

  it('closing an active timer stops it for good', async () => {
    const t = loop.timer(0.01);
    let count = 0;
    t.start(() => count++);
    t.close();
    await delay(30);
    assert.equal(count, 0);
  });

  it('an error in a callback goes to the loop error handler and the loop keeps running', async () => {
    const own = new Loop();
    const errors: unknown[] = [];
    own.errorHandler = (error) => errors.push(error);
    const boom = new Error('boom');
    let after = 0;
    own.timer(0).start(() => {
      throw boom;
    });
    own.timer(0.01).start(() => after++);
    await until(() => after === 1);
    assert.deepEqual(errors, [boom]);
    own.close();
  });

  it('by default an error in a callback is an uncaught exception', () => {
    const result = runScript(`
      import { defaultLoop } from 'lib/loop';
      process.on('uncaughtException', (e) => { console.log('caught', e.message); });
      const loop = defaultLoop();
      loop.timer(0).start(() => { throw new Error('from timer'); });
      loop.timer(0.02).start(() => console.log('still running'));
    `);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split('\n'), ['caught from timer', 'still running']);
  });

  it('a ref\'d timer keeps the process alive; an unref\'d one does not', () => {
    const kept = runScript(`
      import { defaultLoop } from 'lib/loop';
      defaultLoop().timer(0.1).start(() => console.log('fired'));
    `);
    assert.equal(kept.stdout.trim(), 'fired');
    // Long enough that only the timer could keep the process alive so long.
    const dropped = runScript(`
      import { defaultLoop } from 'lib/loop';
      const t = defaultLoop().timer(2);
      t.start(() => console.log('fired'));
      t.ref = false;
    `);
    assert.equal(dropped.status, 0, dropped.stderr);
    assert.equal(dropped.stdout.trim(), '');
    const again = runScript(`
      import { defaultLoop } from 'lib/loop';
      const t = defaultLoop().timer(0.1);
      t.ref = false;
      t.ref = true;
      t.start(() => console.log('fired'));
    `);
    assert.equal(again.stdout.trim(), 'fired');
  });

  it('a started timer whose object is dropped still fires', async () => {
    let fired = false;
    (() => {
      loop.timer(0.01).start(() => (fired = true));
    })();
    if (global.gc) global.gc();
    await until(() => fired);
  });

  it('fires many timers, started and stopped in any order, each once and in deadline order', async () => {
    // A fixed-seed generator: the same sequence on every run.
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const count = 2000;
    const fired: number[] = [];
    // Each start's deadline in the loop's time (in whole microseconds, so
    // that equal deadlines compare equal): starting reads the clock, so
    // loop.now() right after it is the base the timer counts from.
    const due: number[] = [];
    const order: number[] = [];
    let starts = 0;
    const all: TimerWatcher[] = [];
    const start = (i: number, afterMs: number): void => {
      const t = all[i];
      t.set(afterMs / 1000);
      t.start(() => fired.push(i));
      due[i] = Math.round((loop.now() + afterMs / 1000) * 1e6);
      order[i] = starts++;
    };
    for (let i = 0; i < count; i++) {
      all.push(timer(1));
      start(i, Math.floor(random() * 60));
    }
    // Stop a third, and move some others later.
    const stopped = new Set<number>();
    for (let i = 0; i < count; i++) {
      const r = random();
      if (r < 0.33) {
        all[i].stop();
        stopped.add(i);
      } else if (r < 0.4) {
        all[i].stop();
        start(i, 60 + Math.floor(random() * 20));
      }
    }
    const expected = count - stopped.size;
    await until(() => fired.length === expected, 5000, `${expected} timers`);
    await delay(30);
    assert.equal(fired.length, expected);
    assert.equal(new Set(fired).size, expected);
    assert.ok(fired.every((i) => !stopped.has(i)));
    // Earlier deadlines first; equal deadlines in start order. libev's
    // deadlines are exact to the nanosecond (each start reads the clock):
    // two that round to the same microsecond may still differ, and fire in
    // their true order.
    const sameDueAnyOrder = BACKEND === 'ev';
    for (let k = 1; k < fired.length; k++) {
      const [a, b] = [fired[k - 1], fired[k]];
      assert.ok(due[a] < due[b] || (due[a] === due[b] && (sameDueAnyOrder || order[a] < order[b])), `due ${due[a]} (start ${order[a]}) fired before due ${due[b]} (start ${order[b]})`);
    }
  });

  it('1 ms timers fire between 0 and 11 ms after start (gevent test__core_timer resolution)', async () => {
    const late: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t = timer(0.001);
      const started = process.hrtime.bigint();
      let elapsed = -1;
      t.start(() => (elapsed = Number(process.hrtime.bigint() - started) / 1e6));
      await until(() => elapsed >= 0);
      if (elapsed > 11) late.push(elapsed);
    }
    // A loaded machine may delay a few; most must be on time.
    assert.ok(late.length <= 3, `late: ${late.join(', ')} ms`);
  });
});
