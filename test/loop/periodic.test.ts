import { strict as assert } from 'node:assert';

import { ClosedError, EVENTS, Loop, nextPeriodicTime, PERIODIC, PeriodicWatcher, wallClock } from '../../lib/loop';
import { delay, newLoop, runScript, until } from '../helpers';

// The timerfd fires on the wall clock; a reading right after may differ from
// the kernel's by a little rounding.
const EPSILON = 1e-3;

/** Whether `t` lies on offset + k * interval. */
function onGrid(t: number, offset: number, interval: number): boolean {
  const k = (t - offset) / interval;
  return Math.abs(k - Math.round(k)) < 1e-6;
}

describe('loop.periodic', () => {
  let loop: Loop;
  beforeEach(() => {
    loop = newLoop();
  });
  afterEach(() => {
    loop.close();
  });

  it('fires on the wall-clock grid offset + k * interval, never early', async () => {
    const offset = 0.013;
    const interval = 0.05;
    const w = loop.periodic(offset, interval);
    assert.equal(w.offset, offset);
    assert.equal(w.interval, interval);
    assert.equal(w.at, 0);
    const fires: { due: number; at: number }[] = [];
    let due = 0;
    w.start((revents: number) => {
      assert.equal(revents, PERIODIC);
      fires.push({ due, at: wallClock() });
      due = w.at;
    }, EVENTS);
    due = w.at;
    const started = wallClock();
    assert.ok(due > started && due <= started + interval, `first due ${due} at ${started}`);
    await until(() => fires.length === 5);
    w.stop();
    for (const { due: d, at } of fires) {
      assert.ok(onGrid(d, offset, interval), `${d} is not on the grid`);
      assert.ok(at >= d - EPSILON, `fired at ${at}, due ${d}`);
    }
    // Each next time is the first grid point after the firing.
    for (let i = 1; i < fires.length; i++) assert.ok(fires[i].due > fires[i - 1].due);
    assert.equal(w.active, false);
  });

  it('with interval 0, fires once at the absolute time `offset` and stops', async () => {
    const at = wallClock() + 0.05;
    const w = loop.periodic(at);
    let firedAt = 0;
    w.start(() => (firedAt = wallClock()));
    assert.equal(w.at, at);
    await until(() => firedAt > 0);
    assert.ok(firedAt >= at - EPSILON, `fired at ${firedAt}, due ${at}`);
    assert.equal(w.active, false);
    assert.equal(w.callback, null);
    await delay(60);
  });

  it('an absolute time in the past fires at once', async () => {
    const w = loop.periodic(wallClock() - 10);
    let fired = false;
    w.start(() => (fired = true));
    await until(() => fired, 1000);
    assert.equal(w.active, false);
  });

  it('with a reschedule callback, fires at whatever time it answers', async () => {
    const asked: number[] = [];
    const answers: number[] = [];
    let seenWatcher: PeriodicWatcher | undefined;
    const w = loop.periodic(0, 0, (watcher, now) => {
      seenWatcher = watcher;
      asked.push(now);
      const next = now + 0.02;
      answers.push(next);
      return next;
    });
    assert.equal(typeof w.reschedule, 'function');
    const fires: { due: number; at: number }[] = [];
    w.start(() => fires.push({ due: answers[answers.length - 2], at: wallClock() }));
    assert.equal(seenWatcher, w);
    assert.equal(asked.length, 1);
    assert.ok(Math.abs(asked[0] - wallClock()) < 0.5);
    assert.equal(w.at, answers[0]);
    await until(() => fires.length === 3);
    w.stop();
    // Asked once at start and once before each firing.
    assert.equal(asked.length, 4);
    for (const { due, at } of fires) assert.ok(at >= due - EPSILON, `fired at ${at}, due ${due}`);
    assert.equal(w.at, answers[3]);
  });

  it('a reschedule callback that throws stops the watcher and reaches the error handler', async () => {
    const errors: unknown[] = [];
    loop.errorHandler = (error) => errors.push(error);
    const boom = new Error('no more');
    let calls = 0;
    const w = loop.periodic(0, 0, (_w, now) => {
      if (++calls === 2) throw boom;
      return now + 0.01;
    });
    let fired = 0;
    w.start(() => fired++);
    await until(() => errors.length === 1);
    assert.equal(errors[0], boom);
    assert.equal(fired, 0);
    assert.equal(w.active, false);
  });

  it('refuses a reschedule answer that is not a finite number', () => {
    for (const bad of [NaN, Infinity, '1', undefined]) {
      const w = loop.periodic(0, 0, () => bad as number);
      assert.throws(() => w.start(() => undefined), { message: /reschedule/ });
      assert.equal(w.active, false);
      assert.equal(w.callback, null);
    }
    const thrower = loop.periodic(0, 0, () => {
      throw new Error('at start');
    });
    assert.throws(() => thrower.start(() => undefined), /at start/);
    assert.equal(thrower.active, false);
  });

  it('set() changes an inactive watcher and refuses an active one', async () => {
    const w = loop.periodic(0, 3600);
    w.start(() => undefined);
    assert.ok(onGrid(w.at, 0, 3600));
    assert.throws(() => w.set(0, 1), { code: 'ERR_WATCHER_ACTIVE' });
    w.stop();
    const at = wallClock() + 0.02;
    w.set(at);
    assert.equal(w.offset, at);
    assert.equal(w.interval, 0);
    assert.equal(w.reschedule, undefined);
    let fired = false;
    w.start(() => (fired = true));
    await until(() => fired);
    w.set(0, 0, (_w, now) => now + 3600);
    w.start(() => undefined);
    assert.ok(w.at > wallClock() + 3500);
  });

  it('a stopped watcher does not fire', async () => {
    const w = loop.periodic(0, 0.01);
    let fired = 0;
    w.start(() => fired++);
    w.stop();
    await delay(50);
    assert.equal(fired, 0);
  });

  it('an interval below the clock\'s resolution neither hangs nor spins without end', () => {
    const result = runScript(`
      import { defaultLoop } from 'lib/loop';
      const w = defaultLoop().periodic(0, 1e-12);
      let fired = 0;
      w.start(() => {
        if (++fired === 20) {
          w.close();
          console.log('fired 20 times');
        }
      });
    `, { timeoutMs: 10000 });
    assert.equal(result.signal, null, 'the script hung');
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'fired 20 times');
  });

  it('rejects bad arguments with errors that name them', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      assert.throws(() => loop.periodic(bad), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"offset"/ });
    }
    for (const bad of [-1, NaN, Infinity]) {
      assert.throws(() => loop.periodic(0, bad), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"interval"/ });
    }
    assert.throws(() => loop.periodic('0' as unknown as number), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"offset"/ });
    assert.throws(() => loop.periodic(0, null as unknown as number), { name: 'TypeError', message: /"interval"/ });
    for (const bad of [5, 'f', null, {}]) {
      assert.throws(() => loop.periodic(0, 0, bad as unknown as () => number), { name: 'TypeError', message: /"reschedule"/ });
    }
    const w = loop.periodic(0, 1);
    assert.throws(() => w.set(NaN), { name: 'RangeError', message: /"offset"/ });
    assert.throws(() => w.set(0, -1), { name: 'RangeError', message: /"interval"/ });
  });

  it('refuses use after close with ClosedError', () => {
    const w = loop.periodic(0, 1);
    w.start(() => undefined);
    w.close();
    assert.equal(w.active, false);
    assert.throws(() => w.start(() => undefined), ClosedError);
    assert.throws(() => w.at, ClosedError);
    assert.throws(() => w.set(0, 1), ClosedError);
  });
});

describe('nextPeriodicTime', () => {
  it('answers the first grid point strictly after `now`', () => {
    assert.equal(nextPeriodicTime(0, 10, 25), 30);
    assert.equal(nextPeriodicTime(0, 10, 30), 40);
    assert.equal(nextPeriodicTime(0, 10, 0), 10);
    assert.equal(nextPeriodicTime(5, 10, 25), 35);
    assert.equal(nextPeriodicTime(-5, 10, 0), 5);
    // An offset in the future: the grid extends backwards from it.
    assert.equal(nextPeriodicTime(100, 10, 50), 60);
    assert.equal(nextPeriodicTime(100, 10, -25), -20);
  });

  it('places hourly schedules on the hour at today\'s epoch', () => {
    const now = 1_700_000_000.5;
    const next = nextPeriodicTime(0, 3600, now);
    assert.equal(next % 3600, 0);
    assert.ok(next > now && next - now <= 3600);
    assert.equal(nextPeriodicTime(1800, 3600, now) % 3600, 1800);
  });

  it('keeps fractional intervals on their grid', () => {
    for (const interval of [0.1, 0.05, 1 / 3, 0.001]) {
      for (const now of [1_700_000_000.123, 12.5, 0]) {
        const next = nextPeriodicTime(0, interval, now);
        assert.ok(next > now && next - now <= interval * (1 + 1e-9), `${interval} at ${now}: ${next}`);
        assert.ok(onGrid(next, 0, interval), `${next} not on ${interval}`);
      }
    }
  });

  it('with interval 0, answers the offset itself, even in the past', () => {
    assert.equal(nextPeriodicTime(7, 0, 1e9), 7);
    assert.equal(nextPeriodicTime(2e9, 0, 1e9), 2e9);
  });

  it('terminates and answers a time after `now` for extreme values', () => {
    // In a child process: an endless loop in the arithmetic would hang the
    // whole suite rather than fail.
    const result = runScript(`
      import { nextPeriodicTime } from 'lib/loop';
      const cases: [number, number, number][] = [
        [0, 1e-10, 1.7e9],
        [0, Number.MIN_VALUE, 1.7e9],
        [1e308, 1, -1e308],
        [-1e308, 1e-300, 1e308],
        [0, 1e308, 1.7e308],
        [0, 1.7e308, -1.7e308],
        [1.7e9, 1e-9, 1.7e9],
      ];
      for (const [offset, interval, now] of cases) {
        const next = nextPeriodicTime(offset, interval, now);
        console.log(next > now ? 'ok' : 'bad ' + [offset, interval, now, next].join(' '));
      }
    `, { timeoutMs: 10000 });
    assert.equal(result.signal, null, 'nextPeriodicTime hung');
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split('\n'), Array(7).fill('ok'));
  });

  it('rejects bad arguments with errors that name them', () => {
    assert.throws(() => nextPeriodicTime(NaN, 1, 0), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"offset"/ });
    assert.throws(() => nextPeriodicTime(0, -1, 0), { name: 'RangeError', message: /"interval"/ });
    assert.throws(() => nextPeriodicTime(0, Infinity, 0), { name: 'RangeError', message: /"interval"/ });
    assert.throws(() => nextPeriodicTime(0, 1, NaN), { name: 'RangeError', message: /"now"/ });
    assert.throws(() => nextPeriodicTime(0, 1, Infinity), { name: 'RangeError', message: /"now"/ });
    assert.throws(() => nextPeriodicTime('0' as unknown as number, 1, 0), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"offset"/ });
    assert.throws(() => nextPeriodicTime(0, 1, undefined as unknown as number), { name: 'TypeError', message: /"now"/ });
  });

  it('wallClock() is the real time in seconds', () => {
    assert.ok(Math.abs(wallClock() - Date.now() / 1000) < 0.5);
  });
});
