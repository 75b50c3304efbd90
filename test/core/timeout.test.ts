import { strict as assert } from 'node:assert';

import { getHub, Greenlet, run, sleep, spawn, Timeout, withTimeout } from '../../lib/core';
import { elapsed, ExpectedError, caught } from './helpers';


describe('Timeout (gevent test__timeout, test__api_timeout)', () => {
  it('raises itself in the greenlet that started it, at its blocking point', async () => {
    await run(function* () {
      const t = new Timeout(0.01);
      t.start();
      const error = yield* caught(() => sleep(1));
      assert.equal(error, t);
      assert.equal(t.pending, false);
      assert.equal(t.owns(error), true);
      // After expiry it can start again and fires again.
      t.start();
      assert.equal(yield* caught(() => sleep(1)), t);
    });
  });

  it('`raise new Timeout()` is that object, not pending', () => {
    const t = new Timeout();
    assert.equal(t.pending, false);
    assert.ok(t instanceof Error);
    assert.equal(t.name, 'Timeout');
  });

  it('with a string or false it still raises itself; the message shows them', async () => {
    await run(function* () {
      const silent = new Timeout(0.01, false).start();
      assert.equal(yield* caught(() => sleep(1)), silent);
      assert.equal(silent.message, '0.01 seconds (silent)');
      const labelled = new Timeout(0.01, 'XXX').start();
      const error = (yield* caught(() => sleep(1))) as Error;
      assert.equal(error, labelled);
      assert.ok(error.message.endsWith('XXX'));
    });
  });

  it('messages: seconds, 1 second, none', () => {
    assert.equal(new Timeout(0.01).message, '0.01 seconds');
    assert.equal(new Timeout(1).message, '1 second');
    assert.equal(new Timeout().message, '');
    assert.equal(new Timeout(null).seconds, null);
  });

  it('an Error class raises a new instance; an Error raises that instance', async () => {
    await run(function* () {
      const byClass = new Timeout(0.01, ExpectedError).start();
      const fromClass = yield* caught(() => sleep(1));
      assert.ok(fromClass instanceof ExpectedError);
      assert.equal(byClass.owns(fromClass), true);
      const instance = new ExpectedError('mine');
      const byInstance = new Timeout(0.01, instance).start();
      assert.equal(yield* caught(() => sleep(1)), instance);
      assert.equal(byInstance.owns(instance), true);
    });
  });

  it('cancel() stops it; it does not fire', async () => {
    await run(function* () {
      const t = new Timeout(0.01).start();
      t.cancel();
      assert.equal(t.pending, false);
      yield* sleep(0.02);
      t.start();
      t.close();
      yield* sleep(0.02);
    });
  });

  it('pending before, during and after run()', async () => {
    await run(function* () {
      const t = new Timeout(0.2);
      assert.equal(t.pending, false);
      yield* t.run(function* () {
        assert.equal(t.pending, true);
      });
      assert.equal(t.pending, false);
    });
  });

  it('start() while pending is an error', async () => {
    await run(function* () {
      const t = new Timeout(1).start();
      assert.throws(() => t.start(), { code: 'ERR_INVALID_STATE' });
      t.close();
    });
  });

  it('Timeout(null) never fires', async () => {
    await run(function* () {
      const t = new Timeout(null).start();
      yield* sleep(0.02);
      assert.equal(t.pending, false);
      t.close();
    });
  });

  it('CPU-bound code is not interrupted: the timeout lands at the next blocking point', async () => {
    await run(function* () {
      const t = new Timeout(0.01).start();
      const until = Date.now() + 50;
      while (Date.now() < until) {
        /* busy */
      }
      assert.equal(yield* caught(() => sleep(0.1)), t);
    });
  });

  it('Timeout(0) around sleep(0) does not fire; around sleep(0.001) it does (§3.1)', async () => {
    await run(function* () {
      yield* new Timeout(0).run(function* () {
        yield* sleep(0);
      });
      const t = new Timeout(0);
      assert.equal(
        yield* caught(() =>
          t.run(function* () {
            yield* sleep(0.001);
          }),
        ),
        t,
      );
    });
  });

  it('a `while (true) sleep(0)` loop is interrupted (test__sleep0)', async () => {
    await run(function* () {
      const started = process.hrtime.bigint();
      yield* new Timeout(0.01, false).run(function* () {
        for (;;) yield* sleep(0);
      });
      assert.ok(elapsed(started) < 3);
    });
  });

  describe('run(): the scope that never leaks its timer', () => {
    it('raises on expiry, swallows only its own when silent, and closes the timer', async () => {
      await run(function* () {
        const t = new Timeout(0.01);
        assert.equal(yield* caught(() => t.run(() => sleep(1))), t);
        assert.equal(t.pending, false);
        const silent = new Timeout(0.01, false);
        const started = process.hrtime.bigint();
        const result = yield* silent.run(function* () {
          yield* sleep(0.2);
          return 'finished';
        });
        assert.equal(result, undefined);
        assert.ok(elapsed(started) < 0.15);
        assert.equal(yield* new Timeout(1).run(() => 'plain'), 'plain');
      });
    });

    it('nested, outer shorter: the inner code sees the outer instance; the inner scope closes', async () => {
      await run(function* () {
        const outer = new Timeout(0.01);
        const inner = new Timeout(0.2);
        let innerPendingAtRaise: boolean | undefined;
        const error = yield* caught(() =>
          outer.run(() =>
            inner.run(function* () {
              try {
                yield* sleep(1);
              } catch (e) {
                innerPendingAtRaise = inner.pending;
                assert.equal(outer.pending, false);
                throw e;
              }
            }),
          ),
        );
        assert.equal(error, outer);
        assert.equal(innerPendingAtRaise, true);
        assert.equal(inner.pending, false);
      });
    });

    it('nested, inner shorter: the inner fires and the outer stays pending', async () => {
      await run(function* () {
        const outer = new Timeout(0.2);
        yield* outer.run(function* () {
          const inner = new Timeout(0.01);
          assert.equal(yield* caught(() => inner.run(() => sleep(1))), inner);
          assert.equal(outer.pending, true);
        });
      });
    });

    it('both silent: the inner does not swallow the outer one; the outer does', async () => {
      await run(function* () {
        const log: string[] = [];
        const started = process.hrtime.bigint();
        yield* new Timeout(0.01, false).run(function* () {
          yield* new Timeout(0.2, false).run(() => sleep(1));
          log.push('after the inner block');
        });
        assert.deepEqual(log, []);
        assert.ok(elapsed(started) < 0.15);
      });
    });

    it('the scope needs a function', () => {
      assert.throws(() => new Timeout(1).run(5 as unknown as () => void), { name: 'TypeError', message: /"body"/ });
    });
  });

  describe('withTimeout', () => {
    it('raises Timeout, or returns timeoutValue; a fast call returns its result', async () => {
      await run(function* () {
        const error = yield* caught(() => withTimeout(0.01, sleep, 0.05));
        assert.ok(error instanceof Timeout);
        assert.equal(yield* withTimeout(0.01, sleep, 0.05, { timeoutValue: 'X' }), 'X');
        assert.equal(yield* withTimeout({ seconds: 0.01, timeoutValue: 'Y' }, sleep, 0.05), 'Y');
        assert.equal(yield* withTimeout(0.05, sleep, 0.001, { timeoutValue: 'X' }), undefined);
        assert.equal(
          yield* withTimeout(0.05, function* (a: number, b: number) {
            yield* sleep(0);
            return a + b;
          }, 2, 3),
          5,
        );
      });
    });

    it('nested: an inner timeoutValue does not swallow the outer timeout (test__api)', async () => {
      await run(function* () {
        const error = yield* caught(() => withTimeout(0.1, () => withTimeout(0.2, sleep, 2, { timeoutValue: 1 })));
        assert.ok(error instanceof Timeout);
      });
    });

    it('works with async functions and from async code', async () => {
      assert.equal(await withTimeout(0.5, async () => 'done'), 'done');
      await assert.rejects(
        Promise.resolve(withTimeout(0.01, () => new Promise((resolve) => setTimeout(resolve, 100)))),
        Timeout,
      );
    });

    it('rejects bad arguments', () => {
      assert.throws(() => withTimeout(-1, () => 1), { name: 'RangeError', message: /"seconds"/ });
      assert.throws(() => withTimeout(NaN, () => 1), RangeError);
      assert.throws(() => withTimeout(1, 5 as unknown as () => number), { name: 'TypeError', message: /"fn"/ });
    });
  });

  describe('startNew and bad input', () => {
    it('startNew builds and starts, or starts a given Timeout', async () => {
      await run(function* () {
        const t = Timeout.startNew(1);
        assert.equal(t.pending, true);
        assert.equal(Timeout.startNew(t), t);
        t.close();
        const given = new Timeout(1);
        assert.equal(Timeout.startNew(given), given);
        assert.equal(given.pending, true);
        given.close();
      });
    });

    it('start() outside a greenlet is an error', () => {
      assert.throws(() => new Timeout(1).start(), { name: 'BlockingSwitchOutError' });
    });

    it('rejects bad seconds and exceptions with errors naming them', () => {
      for (const bad of [-1, NaN, Infinity]) assert.throws(() => new Timeout(bad), { name: 'RangeError', message: /"seconds"/ });
      assert.throws(() => new Timeout('1' as unknown as number), { name: 'TypeError', message: /"seconds"/ });
      for (const bad of [{}, 42, true, () => undefined]) {
        assert.throws(() => new Timeout(1, bad as unknown as Error), { name: 'TypeError', message: /"exception"/ });
      }
      assert.throws(() => new Timeout(1, undefined, { ref: 'no' as unknown as boolean }), TypeError);
    });

    it('an unref\'d timeout does not keep wait() alive', async () => {
      await run(function* () {
        const t = new Timeout(10, undefined, { ref: false }).start();
        assert.equal(getHub().loop._refActive, 0);
        t.close();
      });
    });

    it('is disposable: `using` closes it', async () => {
      await run(function* () {
        let t: Timeout;
        {
          using scoped = Timeout.startNew(1);
          t = scoped;
          assert.equal(t.pending, true);
        }
        assert.equal(t.pending, false);
      });
    });
  });

  it('a timeout fires in the greenlet that started it, not in others', async () => {
    await run(function* () {
      const other = spawn(function* () {
        yield* sleep(0.05);
        return 'other finished';
      });
      const t = new Timeout(0.01).start();
      assert.equal(yield* caught(() => sleep(1)), t);
      assert.equal(yield* other.get(), 'other finished');
      assert.ok(other instanceof Greenlet);
    });
  });

  it('a pending Timeout is one entry in the loop\'s timer queue: start/cancel churn leaves none', async () => {
    await run(function* () {
      const queue = getHub().loop._timerQueue;
      const before = queue.size;
      const refs = getHub().loop._refActive;
      const timeouts = Array.from({ length: 50 }, (_, i) => new Timeout(5 + (i % 5), undefined, { ref: i % 2 === 0 }));
      for (let round = 0; round < 100; round++) {
        for (const t of timeouts) t.start();
        assert.equal(queue.size, before + 50);
        assert.equal(getHub().loop._refActive, refs + 25);
        for (const t of timeouts) t.cancel();
      }
      for (const t of timeouts) t.start();
      for (const t of timeouts) t.close();
      assert.equal(queue.size, before);
      // As gevent's: a closed Timeout cannot start again.
      assert.throws(() => timeouts[0].start(), { code: 'ERR_INVALID_STATE', message: /closed/ });
      assert.equal(queue.size, before);
      assert.equal(getHub().loop._refActive, refs);
      // withTimeout and run() close theirs.
      for (let i = 0; i < 100; i++) yield* withTimeout(5, () => 'fast');
      yield* new Timeout(5).run(() => sleep(0.001));
      assert.equal(queue.size, before);
    });
  });

  it('Timeouts of one deadline fire in the order they were started', async () => {
    await run(function* () {
      const order: number[] = [];
      const gs = Array.from({ length: 200 }, (_, i) =>
        spawn(function* () {
          const t = new Timeout(0.01).start();
          try {
            yield* sleep(1);
          } catch (error) {
            if (error !== t) throw error;
            order.push(i);
          }
        }),
      );
      for (const g of gs) yield* g.join();
      assert.deepEqual(
        order,
        gs.map((_, i) => i),
      );
    });
  });
});
