import { strict as assert } from 'node:assert';

import {
  getHub,
  Greenlet,
  LoopExit,
  run,
  sleep,
  spawn,
  spawnLater,
  Timeout,
  wait,
  withTimeout,
  type Operation,
} from '../../lib/core';
import { AsyncResult, Event } from '../../lib/sync';
import { caught, elapsed, ExpectedError, getGeneric, killWhileWaiting, waitGeneric, withCapturedErrors } from './helpers';

describe('Event (gevent test__event)', () => {
  waitGeneric('Event.wait()', (timeout) => new Event().wait(timeout), false);
  waitGeneric('wait([Event])', (timeout) => wait([new Event()], { timeout: timeout as number }), []);

  it('set() returns with the waiters not run yet; they run at the next switch, in wait order (§3.1)', async () => {
    await run(function* () {
      const ev = new Event();
      const log: number[] = [];
      for (const i of [0, 1, 2]) {
        spawn(function* () {
          yield* ev.wait();
          log.push(i);
        });
      }
      yield* sleep(0);
      ev.set();
      assert.deepEqual(log, []);
      yield* sleep(0);
      assert.deepEqual(log, [0, 1, 2]);
    });
  });

  it('wait() on a set event returns true at once, without switching', async () => {
    await run(function* () {
      const ev = new Event();
      ev.set();
      let other = false;
      spawn(() => {
        other = true;
      });
      assert.equal(yield* ev.wait(), true);
      assert.equal(yield* ev.wait(0), true);
      assert.equal(other, false);
      assert.equal(ev.isSet(), true);
      assert.equal(ev.ready(), true);
    });
  });

  it('set() then clear() before the waiters run: every waiter still gets true (set-then-clear, N = 1, 100, 1000)', async () => {
    for (const n of [1, 100, 1000]) {
      await run(function* () {
        const ev = new Event();
        const gs = Array.from({ length: n }, () => spawn(() => ev.wait()));
        yield* sleep(0);
        ev.set();
        ev.clear();
        for (const g of gs) assert.equal(yield* g.get({ timeout: 5 }), true);
        assert.equal(ev.linkcount(), 0);
      });
    }
  });

  it('a waiter released by its setter gets true; after clear() the event is not ready (issue #771)', async () => {
    await run(function* () {
      const ev = new Event();
      const waiter = spawn(() => ev.wait());
      spawn(() => {
        ev.set();
        ev.clear();
      });
      assert.equal(yield* waiter.get(), true);
      assert.deepEqual(yield* wait([ev], { timeout: 0.01 }), []);
      assert.equal(ev.ready(), false);
    });
  });

  it('a waiter arriving while set() notifies runs after the blocked ones, in the same turn (issue #1520)', async () => {
    await run(function* () {
      const ev = new Event();
      const results: number[] = [];
      function* waitThenAppend(n: number): Operation<void> {
        yield* ev.wait();
        results.push(n);
      }
      spawn(waitThenAppend, 1);
      spawn(waitThenAppend, 2);
      yield* sleep(0);
      let checked = false;
      const check = getHub().loop.check().start(() => {
        checked = true;
      });
      try {
        ev.set();
        yield* waitThenAppend(3);
        assert.deepEqual(results, [1, 2, 3]);
        assert.equal(checked, false, 'no loop iteration happened');
      } finally {
        check.close();
      }
    });
  });

  it('wait([set event]) twice returns [event] both times (#1287)', async () => {
    await run(function* () {
      const ev = new Event();
      ev.set();
      assert.deepEqual(yield* wait([ev]), [ev]);
      assert.deepEqual(yield* wait([ev]), [ev]);
    });
  });

  it('a waiter that re-waits during notification gets the next pass, one turn later (no livelock)', async () => {
    await withCapturedErrors(async (errors) => {
      await run(function* () {
        const ev = new Event();
        let spins = 0;
        const spinner = spawn(function* () {
          for (;;) {
            yield* ev.wait();
            spins++;
          }
        });
        yield* sleep(0);
        ev.set();
        yield* sleep(0);
        assert.equal(spins, 1);
        yield* sleep(0);
        assert.equal(spins, 2);
        // Each pass is one turn of the queue: a timer still gets its turn.
        yield* sleep(0.005);
        assert.ok(spins > 2);
        spinner.kill();
      });
      assert.deepEqual(errors, []);
    });
  });

  it('wait(timeout) returns true when set before the timeout', async () => {
    await run(function* () {
      const ev = new Event();
      spawnLater(0.01, () => ev.set());
      const started = process.hrtime.bigint();
      assert.equal(yield* ev.wait(2), true);
      assert.ok(elapsed(started) < 1.9);
    });
  });

  it('a Timeout given as the timeout is its own: wait() returns false', async () => {
    await run(function* () {
      const t = new Timeout(0.01);
      assert.equal(yield* new Event().wait(t), false);
      assert.equal(t.pending, false);
    });
  });

  it('is awaitable from async code', async () => {
    // Woken by something the hub knows of (a greenhub timer): a plain
    // setTimeout is invisible to it, and the wait would be a LoopExit.
    const ev = new Event();
    spawnLater(0.005, () => ev.set());
    assert.equal(await ev.wait(), true);
    assert.equal(await ev.wait(), true);
    assert.equal(await new Event().wait(0.01), false);
  });

  it('awaiting an event nothing will set raises LoopExit', async () => {
    await assert.rejects(Promise.resolve(new Event().wait()), (error: unknown) => {
      assert.ok(error instanceof LoopExit);
      assert.match(error.message, /would block forever/);
      assert.match(error.message, /an Event/);
      return true;
    });
  });

  it('a greenlet killed while waiting leaves no link behind', async () => {
    await run(function* () {
      const ev = new Event();
      yield* killWhileWaiting(() => ev.wait(), () => ev.linkcount());
      yield* killWhileWaiting(() => ev.wait(10), () => ev.linkcount());
    });
  });

  it('wakes 1,000 waiters in the order they waited', async () => {
    await run(function* () {
      const ev = new Event();
      const order: number[] = [];
      for (let i = 0; i < 1000; i++) {
        spawn(function* () {
          yield* ev.wait();
          order.push(i);
        });
      }
      yield* sleep(0);
      ev.set();
      yield* sleep(0);
      assert.deepEqual(
        order,
        Array.from({ length: 1000 }, (_, i) => i),
      );
    });
  });

  it('waiters killed just before set() are unlinked from the middle; the others wake in order, none left linked', async () => {
    await run(function* () {
      const ev = new Event();
      const order: number[] = [];
      const gs = Array.from({ length: 1000 }, (_, i) =>
        spawn(function* () {
          yield* ev.wait();
          order.push(i);
        }),
      );
      yield* sleep(0);
      // The kills land (on the next turn) before the notification set() queues.
      for (const victim of [1, 500, 998]) gs[victim].kill(undefined, { block: false });
      ev.set();
      yield* wait(gs);
      assert.deepEqual(
        order,
        Array.from({ length: 1000 }, (_, i) => i).filter((i) => i !== 1 && i !== 500 && i !== 998),
      );
      assert.ok(gs[500].dead && gs[500].successful());
      assert.equal(ev.linkcount(), 0);
    });
  });

  it('a waiter killed by one woken earlier in the same pass is still woken by it (as in gevent)', async () => {
    await run(function* () {
      const ev = new Event();
      const order: number[] = [];
      const gs: Greenlet[] = [];
      for (let i = 0; i < 1000; i++) {
        gs.push(
          spawn(function* () {
            yield* ev.wait();
            order.push(i);
            // The kill is thrown on the next turn: the pass reaches 500 first.
            if (i === 0) gs[500].kill(undefined, { block: false });
          }),
        );
      }
      yield* sleep(0);
      ev.set();
      yield* wait(gs);
      assert.deepEqual(
        order,
        Array.from({ length: 1000 }, (_, i) => i),
      );
      assert.equal(ev.linkcount(), 0);
    });
  });

  it('1,000 waiters whose timeouts expire in any order leave no link; the next set() wakes the next waiter', async () => {
    await run(function* () {
      const ev = new Event();
      const timedOut = Array.from({ length: 1000 }, (_, i) => spawn(() => ev.wait(0.001 + ((i * 7919) % 1000) / 100_000)));
      const stays = spawn(() => ev.wait());
      for (const g of timedOut) assert.equal(yield* g.get(), false);
      assert.equal(ev.linkcount(), 1);
      ev.set();
      assert.equal(yield* stays.get(), true);
      assert.equal(ev.linkcount(), 0);
    });
  });

  it('rawlink fires when set, in the hub, and again for a link added to a set event', async () => {
    await run(function* () {
      const ev = new Event();
      const seen: unknown[] = [];
      ev.rawlink((source) => seen.push([source, getHub()._running]));
      ev.set();
      assert.equal(seen.length, 0);
      yield* sleep(0);
      assert.deepEqual(seen.slice(), [[ev, null]]);
      ev.rawlink(() => seen.push('late'));
      yield* sleep(0);
      assert.equal(seen[1], 'late');
    });
  });

  it('rejects bad timeouts: NaN, negative, strings', () => {
    const ev = new Event();
    assert.throws(() => ev.wait(NaN), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"timeout"/ });
    assert.throws(() => ev.wait(-1), RangeError);
    assert.throws(() => ev.wait('1' as unknown as number), { name: 'TypeError', message: /"timeout"/ });
  });

  it('wait() in a loop callback is a BlockingSwitchOutError', async () => {
    const ev = new Event();
    const error = await new Promise((resolve) => {
      getHub().loop.runCallback(() => {
        try {
          const it = ev.wait()[Symbol.iterator]();
          it.next();
          resolve(undefined);
        } catch (e) {
          resolve(e);
        }
      });
    });
    assert.equal((error as Error).name, 'BlockingSwitchOutError');
  });

  it('a wait driven by hand (not by the hub) parks, then answers false and unlinks; waits after it still work', async () => {
    await run(function* () {
      const ev = new Event();
      for (const timeout of [undefined, 10]) {
        const it = ev.wait(timeout)[Symbol.iterator]();
        assert.equal(it.next().done, false);
        assert.equal(ev.linkcount(), 1);
        assert.deepEqual(it.next(), { done: true, value: false });
        assert.equal(ev.linkcount(), 0);
      }
      const waiter = spawn(() => ev.wait());
      yield* sleep(0);
      ev.set();
      assert.equal(yield* waiter.get(), true);
    });
  });

  it('waits without a timeout share one leaf; a thrown-in kill unlinks only the greenlet it lands in', async () => {
    await run(function* () {
      const ev = new Event();
      const a = spawn(() => ev.wait());
      const b = spawn(() => ev.wait());
      yield* sleep(0);
      assert.equal(ev.linkcount(), 2);
      yield* a.kill();
      assert.equal(ev.linkcount(), 1);
      ev.set();
      assert.equal(yield* b.get(), true);
      assert.equal(ev.linkcount(), 0);
    });
  });
});

describe('AsyncResult (gevent test__event)', () => {
  waitGeneric('AsyncResult.wait()', (timeout) => new AsyncResult().wait(timeout), undefined);
  waitGeneric('wait([AsyncResult])', (timeout) => wait([new AsyncResult()], { timeout: timeout as number }), []);
  getGeneric('AsyncResult.get()', (timeout) => new AsyncResult().get({ timeout }), Timeout);

  it('get() returns the value set from another greenlet; ready/successful/value', async () => {
    await run(function* () {
      const ar = new AsyncResult<string>();
      assert.equal(ar.ready(), false);
      assert.equal(ar.successful(), false);
      assert.equal(ar.exception, undefined);
      assert.equal(ar.value, undefined);
      spawnLater(0.005, () => ar.set('hello'));
      assert.equal(yield* ar.get(), 'hello');
      assert.equal(ar.ready(), true);
      assert.equal(ar.successful(), true);
      assert.equal(ar.value, 'hello');
      assert.equal(yield* ar.wait(), 'hello');
      assert.equal(yield* ar.get({ block: false }), 'hello');
    });
  });

  it('setException() makes a waiting get() raise that very object, after sleep(0)', async () => {
    await run(function* () {
      const ar = new AsyncResult();
      const error = new ExpectedError();
      const getter = spawn(function* () {
        return yield* caught(() => ar.get());
      });
      yield* sleep(0);
      ar.setException(error);
      assert.equal(getter.ready(), false);
      yield* sleep(0);
      assert.equal(getter.value, error);
      assert.equal(ar.exception, error);
      assert.equal(ar.successful(), false);
      assert.equal(yield* ar.wait(), undefined, 'wait() returns undefined on an error');
    });
  });

  it('Timeout.startNew(0, error) around get() raises the error', async () => {
    await run(function* () {
      const ar = new AsyncResult();
      const error = new ExpectedError('interrupted');
      const t = Timeout.startNew(0, error);
      try {
        assert.equal(yield* caught(() => ar.get()), error);
      } finally {
        t.close();
      }
      assert.equal(yield* withTimeout(0.01, () => ar.get(), { timeoutValue: 'X' }), 'X');
    });
  });

  it('get({ block: false }) and getNowait() raise Timeout when unset', async () => {
    await run(function* () {
      const ar = new AsyncResult();
      assert.ok((yield* caught(() => ar.get({ block: false }))) instanceof Timeout);
      assert.ok((yield* caught(() => ar.getNowait())) instanceof Timeout);
    });
  });

  it('rawlink(null) is a TypeError; unlink(null) is fine, twice', () => {
    const ar = new AsyncResult();
    assert.throws(() => ar.rawlink(null as unknown as () => void), TypeError);
    ar.unlink(null);
    ar.unlink(null);
  });

  it('is a link target: link, linkValue and linkException on success and on failure', async () => {
    await withCapturedErrors(async () => {
      await run(function* () {
        const ok = spawn(() => 1);
        const [s1, s2, s3] = [new AsyncResult<number>(), new AsyncResult<number>(), new AsyncResult<number>()];
        ok.link(s1);
        ok.linkValue(s2);
        ok.linkException(s3);
        assert.equal(yield* s1.get(), 1);
        assert.equal(yield* s2.get(), 1);
        assert.ok((yield* caught(() => s3.get({ timeout: 0.02 }))) instanceof Timeout);

        const error = new ExpectedError();
        const bad = spawn(() => {
          throw error;
        });
        const [f1, f2, f3] = [new AsyncResult(), new AsyncResult(), new AsyncResult()];
        bad.link(f1);
        bad.linkValue(f2);
        bad.linkException(f3);
        assert.equal(yield* caught(() => f1.get()), error);
        assert.equal(yield* caught(() => f3.get()), error);
        assert.ok((yield* caught(() => f2.get({ timeout: 0.02 }))) instanceof Timeout);
      });
    });
  });

  it('a link to an already-dead greenlet still fires (3 times)', async () => {
    await run(function* () {
      const g = spawn(() => 100);
      yield* g.join();
      for (let i = 0; i < 3; i++) {
        const ar = new AsyncResult<number>();
        g.link(ar);
        assert.equal(yield* ar.get(), 100);
      }
    });
  });

  it('set() after setException() replaces it (the last one wins)', async () => {
    await run(function* () {
      const ar = new AsyncResult<number>();
      ar.setException(new ExpectedError());
      ar.set(5);
      assert.equal(ar.successful(), true);
      assert.equal(ar.exception, undefined);
      assert.equal(yield* ar.get(), 5);
    });
  });

  it('wait(events + results, count, timeout) while a sender sets one every 10 ms', async () => {
    for (const count of [null, 2, 5]) {
      await run(function* () {
        const objects = [
          ...Array.from({ length: 5 }, () => new Event()),
          ...Array.from({ length: 5 }, () => new AsyncResult<number>()),
        ];
        const sender = spawn(function* () {
          for (const o of objects) {
            yield* sleep(0.01);
            if (o instanceof Event) o.set();
            else o.set(1);
          }
        });
        const ready = yield* wait(objects, { count, timeout: 5 });
        assert.equal(ready.length, count ?? 10);
        assert.equal(sender.dead, count === null);
        sender.kill();
      });
    }
  });

  it('a greenlet killed while in get() or wait() leaves no link behind', async () => {
    await run(function* () {
      const ar = new AsyncResult();
      yield* killWhileWaiting(() => ar.get(), () => ar.linkcount());
      yield* killWhileWaiting(() => ar.get({ timeout: 10 }), () => ar.linkcount());
      yield* killWhileWaiting(() => ar.wait(10), () => ar.linkcount());
    });
  });

  it('is awaitable; awaiting one nothing will set raises LoopExit', async () => {
    const ar = new AsyncResult<string>();
    spawnLater(0.005, () => ar.set('x'));
    assert.equal(await ar.get(), 'x');
    await assert.rejects(Promise.resolve(new AsyncResult().get()), LoopExit);
  });

  it('rejects bad options', () => {
    const ar = new AsyncResult();
    assert.throws(() => ar.get({ timeout: NaN }), RangeError);
    assert.throws(() => ar.get({ block: 'no' as unknown as boolean }), TypeError);
    assert.throws(() => ar.get(5 as unknown as object), TypeError);
    assert.throws(() => ar.wait(-0.5), RangeError);
  });

  it('a Greenlet is not an AsyncResult: types differ but both are waitable', async () => {
    await run(function* () {
      const ar = new AsyncResult<number>();
      const g = new Greenlet(() => 1);
      g.start();
      spawnLater(0.005, () => ar.set(2));
      const done = yield* wait([ar, g]);
      assert.deepEqual(new Set(done), new Set([ar, g]));
    });
  });
});
