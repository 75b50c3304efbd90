import { strict as assert } from 'node:assert';

import {
  getHub,
  iwait,
  joinAll,
  LoopExit,
  run,
  sleep,
  spawn,
  spawnLater,
  Timeout,
  wait,
  type Greenlet,
  type Operation,
} from '../../lib/core';
import { BoundedSemaphore, DummySemaphore, Lock, NotHeldError, OverReleaseError, RLock, Semaphore } from '../../lib/sync';
import { caught, elapsed, ExpectedError, getGeneric, killWhileWaiting, waitGeneric, withCapturedErrors } from './helpers';

describe('Semaphore (gevent test__semaphore)', () => {
  waitGeneric('Semaphore(0).acquire()', (timeout) => new Semaphore(0).acquire({ timeout }), false);
  waitGeneric('Semaphore(0).wait()', (timeout) => new Semaphore(0).wait(timeout), 0);
  waitGeneric('wait([Semaphore(0)])', (timeout) => wait([new Semaphore(0)], { timeout: timeout as number }), []);
  getGeneric('Semaphore(0).hold()', (timeout) => new Semaphore(0).hold(() => 1, { timeout }), Timeout);

  it('Semaphore(0).acquire({ timeout: 0.01 }) is false; non-blocking is false at once', async () => {
    await run(function* () {
      const sem = new Semaphore(0);
      assert.equal(yield* sem.acquire({ timeout: 0.01 }), false);
      assert.equal(yield* sem.acquire({ blocking: false }), false);
      assert.equal(sem.locked(), true);
    });
  });

  it('counts: acquire takes, release gives back and returns the counter', async () => {
    await run(function* () {
      const sem = new Semaphore(2);
      assert.equal(sem.counter, 2);
      assert.equal(yield* sem.acquire(), true);
      assert.equal(yield* sem.acquire(), true);
      assert.equal(sem.locked(), true);
      assert.equal(sem.release(), 1);
      assert.equal(sem.release(), 2);
      assert.equal(sem.release(), 3, 'over-release is allowed on a plain Semaphore');
    });
  });

  it('blocking calls act only when run: a task never run takes nothing', async () => {
    await run(function* () {
      const sem = new Semaphore(1);
      void sem.acquire();
      assert.equal(sem.counter, 1);
      const task = sem.acquire();
      assert.equal(sem.counter, 1);
      assert.equal(yield* task, true);
      assert.equal(sem.counter, 0);
    });
  });

  it('two rawlinks both fire after releases (test_release_twice)', async () => {
    await run(function* () {
      const sem = new Semaphore();
      const result: string[] = [];
      sem.rawlink(() => result.push('a'));
      sem.release();
      sem.rawlink(() => result.push('b'));
      sem.release();
      yield* sleep(0.001);
      assert.deepEqual(result.sort(), ['a', 'b']);
    });
  });

  it('wait([Semaphore()]) returns at once (#1287); wait() does not take a unit', async () => {
    await run(function* () {
      const sem = new Semaphore();
      assert.deepEqual(yield* wait([sem]), [sem]);
      assert.equal(yield* sem.wait(), 1);
      assert.equal(sem.counter, 1);
    });
  });

  it('is fair: a deadlock ends in LoopExit instead of spinning (#1487, test_fair_or_hangs)', async () => {
    const sem = new Semaphore();
    const shouldQuit: boolean[] = [];
    function* acquireThenExit(): Operation<void> {
      yield* sem.acquire();
      shouldQuit.push(true);
    }
    function* acquireThenSpawn(): Operation<void> {
      if (shouldQuit.length > 0) return;
      yield* sem.acquire();
      yield* spawn(releaseThenSpawn).join();
    }
    function* releaseThenSpawn(): Operation<void> {
      sem.release();
      if (shouldQuit.length > 0) return;
      yield* spawn(acquireThenSpawn).join();
    }
    const keepGoing1 = spawn(acquireThenSpawn);
    const keepGoing2 = spawn(acquireThenSpawn);
    const exiting = spawn(acquireThenExit);
    await assert.rejects(Promise.resolve(joinAll([keepGoing1, keepGoing2, exiting])), LoopExit);
    assert.equal(exiting.dead, true);
    assert.equal(keepGoing2.dead, true);
    assert.equal(keepGoing1.dead, false);
    sem.release();
    for (const g of [keepGoing1, keepGoing2, exiting]) g.kill();
  });

  it('serves 1,000 waiters in the order they came', async () => {
    await run(function* () {
      const sem = new Semaphore(0);
      const order: number[] = [];
      const gs = Array.from({ length: 1000 }, (_, i) =>
        spawn(function* () {
          yield* sem.acquire();
          order.push(i);
        }),
      );
      yield* sleep(0);
      for (let i = 0; i < 1000; i++) {
        sem.release();
        if (i % 3 === 0) yield* sleep(0);
      }
      yield* joinAll(gs);
      assert.deepEqual(order, Array.from({ length: 1000 }, (_, i) => i));
    });
  });

  it('a blocking acquire() queues behind waiters even when a unit was just released (no barging)', async () => {
    await run(function* () {
      const sem = new Semaphore(0);
      const order: string[] = [];
      spawn(function* () {
        yield* sem.acquire();
        order.push('waiter');
      });
      yield* sleep(0);
      sem.release();
      spawnLater(0.005, () => sem.release());
      yield* sem.acquire();
      order.push('late');
      assert.deepEqual(order, ['waiter', 'late']);
      // Non-blocking takes a free unit whoever waits.
      sem.release();
      assert.equal(yield* sem.acquire({ blocking: false }), true);
    });
  });

  it('two greenlets looping acquire/release cannot starve timers (bounded notification passes)', async () => {
    await run(function* () {
      const lock = new Lock();
      let rounds = 0;
      function* loop(): Operation<void> {
        for (;;) {
          yield* lock.acquire();
          rounds++;
          lock.release();
        }
      }
      // Both park first; from then on each re-parks behind the other inside
      // a notification pass. Unbounded passes would never return to the hub.
      yield* lock.acquire();
      const a = spawn(loop);
      const b = spawn(loop);
      yield* sleep(0);
      lock.release();
      const started = process.hrtime.bigint();
      yield* sleep(0.01);
      assert.ok(elapsed(started) < 2, 'the timer fired');
      assert.ok(rounds > 10, `rounds: ${rounds}`);
      a.kill();
      b.kill();
    });
  });

  it('a greenlet killed while acquiring leaves no waiter behind and takes no unit', async () => {
    await run(function* () {
      const sem = new Semaphore(0);
      yield* killWhileWaiting(() => sem.acquire(), () => sem.linkcount());
      yield* killWhileWaiting(() => sem.acquire({ timeout: 10 }), () => sem.linkcount());
      yield* killWhileWaiting(() => sem.wait(10), () => sem.linkcount());
      sem.release();
      assert.equal(sem.counter, 1);
      assert.equal(yield* sem.acquire({ blocking: false }), true);
    });
  });

  it('awaiting acquire() on Semaphore(0) with nothing to release it raises LoopExit', async () => {
    await assert.rejects(
      Promise.resolve(new Semaphore(0).acquire()),
      (e: unknown) => e instanceof LoopExit && /Semaphore/.test(e.message),
    );
  });

  it('iwait: the semaphore released first comes first; close() unlinks the rest (test__iwait)', async () => {
    await run(function* () {
      const [sem1, sem2] = [new Semaphore(0), new Semaphore(0)];
      spawn(() => sem1.release());
      const it = iwait([sem1, sem2]);
      assert.equal((yield* it.next()).value, sem1);
      assert.equal(sem2.linkcount(), 1);
      it.close();
      assert.equal(sem2.linkcount(), 0);
    });
  });

  it('rejects bad values and timeouts, naming them', () => {
    assert.throws(() => new Semaphore(-1), { name: 'RangeError', message: /"value"/ });
    assert.throws(() => new Semaphore(NaN), RangeError);
    assert.throws(() => new Semaphore('1' as unknown as number), { name: 'TypeError', message: /"value"/ });
    assert.throws(() => new Semaphore().acquire({ timeout: NaN }), { name: 'RangeError', message: /"options.timeout"/ });
    assert.throws(() => new Semaphore().acquire({ blocking: 'no' as unknown as boolean }), /"options.blocking"/);
    assert.throws(() => new Semaphore().wait(-1), RangeError);
    assert.throws(() => new Semaphore().hold(5 as unknown as () => void), { name: 'TypeError', message: /"body"/ });
  });
});

describe('BoundedSemaphore and DummySemaphore', () => {
  it('BoundedSemaphore: release beyond the initial value is an OverReleaseError', async () => {
    await run(function* () {
      const sem = new BoundedSemaphore(2);
      assert.throws(() => sem.release(), (e: unknown) => e instanceof OverReleaseError && /too many times/.test(e.message));
      yield* sem.acquire();
      assert.equal(sem.release(), 2);
      assert.throws(() => sem.release(), OverReleaseError);
    });
  });

  it('DummySemaphore never blocks', async () => {
    await run(function* () {
      const sem = new DummySemaphore();
      for (let i = 0; i < 3; i++) assert.equal(yield* sem.acquire(), true);
      assert.equal(yield* sem.wait(), 1);
      assert.equal(sem.locked(), false);
      assert.equal(yield* sem.hold(() => 'x'), 'x');
    });
  });
});

describe('Lock and RLock (lock_tests via test__threading_2, greenlets as threads)', () => {
  it('Lock: acquire/release; a contended try-acquire is false; a contended acquire blocks until release', async () => {
    await run(function* () {
      const lock = new Lock();
      assert.equal(yield* lock.acquire(), true);
      assert.equal(lock.locked(), true);
      const tryer = spawn(() => lock.acquire({ blocking: false }));
      assert.equal(yield* tryer.get(), false);
      const log: string[] = [];
      const waiter = spawn(function* () {
        yield* lock.acquire();
        log.push('acquired');
        lock.release();
      });
      yield* sleep(0.01);
      assert.deepEqual(log, []);
      lock.release();
      yield* waiter.join();
      assert.deepEqual(log, ['acquired']);
      assert.equal(lock.locked(), false);
    });
  });

  it('Lock: releasing an unlocked lock is a NotHeldError; any greenlet may release a locked one', async () => {
    await run(function* () {
      const lock = new Lock();
      assert.throws(() => lock.release(), (e: unknown) => e instanceof NotHeldError && /un-acquired/.test(e.message));
      yield* lock.acquire();
      yield* spawn(() => lock.release()).join();
      assert.equal(lock.locked(), false);
    });
  });

  it('hold() releases after the body, when it throws, and when the greenlet is killed inside', async () => {
    await run(function* () {
      const lock = new Lock();
      assert.equal(
        yield* lock.hold(function* () {
          assert.equal(lock.locked(), true);
          yield* sleep(0);
          return 7;
        }),
        7,
      );
      assert.equal(lock.locked(), false);
      const error = new ExpectedError();
      assert.equal(
        yield* caught(() =>
          lock.hold(() => {
            throw error;
          }),
        ),
        error,
      );
      assert.equal(lock.locked(), false);
      const holder = spawn(() => lock.hold(() => sleep(10)));
      yield* sleep(0.001);
      assert.equal(lock.locked(), true);
      yield* holder.kill();
      assert.equal(lock.locked(), false, 'a killed holder released the lock');
      assert.equal(yield* lock.hold(async () => 'from a promise'), 'from a promise');
    });
  });

  it('hold() with a timeout raises Timeout and never runs the body', async () => {
    await run(function* () {
      const lock = new Lock();
      yield* lock.acquire();
      let ran = false;
      const error = yield* caught(() =>
        lock.hold(
          () => {
            ran = true;
          },
          { timeout: 0.01 },
        ),
      );
      assert.ok(error instanceof Timeout);
      assert.equal(ran, false);
      assert.equal(lock.linkcount(), 0);
      lock.release();
    });
  });

  it('a greenlet killed while acquiring a Lock leaves the lock free for the next one', async () => {
    await run(function* () {
      const lock = new Lock();
      yield* lock.acquire();
      yield* killWhileWaiting(() => lock.acquire(), () => lock.linkcount());
      lock.release();
      assert.equal(yield* lock.acquire({ blocking: false }), true);
    });
  });

  it('RLock: re-acquire by the owner counts; one release per acquire', async () => {
    await run(function* () {
      const lock = new RLock();
      assert.equal(yield* lock.acquire(), true);
      assert.equal(yield* lock.acquire(), true);
      assert.equal(lock.isOwned(), true);
      assert.equal(lock.owner, getHub()._running);
      const other = spawn(() => lock.acquire({ blocking: false }));
      assert.equal(yield* other.get(), false);
      lock.release();
      assert.equal(lock.locked(), true);
      lock.release();
      assert.equal(lock.locked(), false);
      assert.equal(lock.isOwned(), false);
    });
  });

  it('RLock: releasing when unacquired, or from another greenlet, is a NotHeldError', async () => {
    await withCapturedErrors(() =>
      run(function* () {
        const lock = new RLock();
        assert.throws(() => lock.release(), NotHeldError);
        yield* lock.acquire();
        const other: Greenlet = spawn(() => lock.release());
        yield* other.join();
        assert.ok(other.exception instanceof NotHeldError);
        assert.equal(lock.locked(), true);
        lock.release();
      }),
    );
  });

  it('RLock: waiters get it FIFO when the owner releases the last level; hold() nests', async () => {
    await run(function* () {
      const lock = new RLock();
      const order: number[] = [];
      yield* lock.acquire();
      const gs = [1, 2, 3].map((i) =>
        spawn(() =>
          lock.hold(function* () {
            yield* lock.hold(() => order.push(i));
          }),
        ),
      );
      yield* sleep(0);
      lock.release();
      yield* joinAll(gs);
      assert.deepEqual(order, [1, 2, 3]);
      assert.equal(lock.locked(), false);
    });
  });

  it('RLock: acquire with a timeout returns false when another greenlet holds it', async () => {
    await run(function* () {
      const lock = new RLock();
      const holder = spawn(() => lock.hold(() => sleep(10)));
      yield* sleep(0);
      assert.equal(yield* lock.acquire({ timeout: 0.01 }), false);
      holder.kill();
    });
  });

  it('from async code the owner is the hub, through both the fast and the waiting path', async () => {
    const lock = new RLock();
    assert.equal(await lock.acquire(), true);
    assert.equal(lock.owner, getHub());
    lock.release();
    const holder = spawn(() => lock.hold(() => sleep(0.005)));
    await run(() => sleep(0));
    assert.equal(lock.owner, holder);
    assert.equal(await lock.acquire(), true);
    assert.equal(lock.owner, getHub());
    lock.release();
  });
});
