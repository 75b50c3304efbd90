import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';

import {
  getCurrent,
  getHub,
  Greenlet,
  GreenletExit,
  joinAll,
  killAll,
  run,
  sleep,
  spawn,
  spawnLater,
  spawnRaw,
  Timeout,
  type Operation,
} from '../../lib/core';
import { ROOT } from '../helpers';
import { elapsed, ExpectedError, withCapturedErrors } from './helpers';

describe('Greenlet', () => {
  describe('lifecycle (gevent test__greenlet)', () => {
    it('reports its state before, during and after a successful run', async () => {
      await run(function* () {
        const linked: Greenlet[] = [];
        const g = new Greenlet(function* (delay: number, result: number) {
          yield* sleep(delay);
          return result;
        }, 0.01, 5);
        assert.equal(g.started, false);
        assert.equal(g.dead, false);
        assert.equal(g.ready(), false);
        assert.equal(g.successful(), false);
        assert.equal(g.value, undefined);
        assert.equal(g.exception, undefined);
        g.rawlink((source) => linked.push(source));
        g.start();
        assert.equal(g.started, true);
        assert.equal(g.dead, false);
        assert.equal(g.ready(), false);
        yield* sleep(0.001);
        assert.equal(g.started, true);
        assert.deepEqual(linked, []);
        yield* sleep(0.05);
        assert.equal(g.started, false);
        assert.equal(g.dead, true);
        assert.equal(g.ready(), true);
        assert.equal(g.successful(), true);
        assert.equal(g.value, 5);
        assert.deepEqual(linked, [g]);
      });
    });

    it('stores an error, reports it to the hub once, and links fire', async () => {
      await withCapturedErrors(async (errors) => {
        await run(function* () {
          const error = Object.assign(new ExpectedError(), { myattr: 5 });
          const g = spawn(function* () {
            yield* sleep(0.001);
            throw error;
          });
          let linked = 0;
          g.rawlink(() => linked++);
          yield* g.join();
          yield* sleep(0);
          assert.equal(g.ready(), true);
          assert.equal(g.successful(), false);
          assert.equal(g.value, undefined);
          assert.equal((g.exception as typeof error).myattr, 5);
          assert.equal(linked, 1);
          assert.equal(errors.length, 1);
          assert.equal(errors[0][0], g);
          assert.equal(errors[0][1], error);
        });
      });
    });

    it('spawn() schedules: nothing runs until the spawner yields', async () => {
      await run(function* () {
        const log: string[] = [];
        const g = spawn(function* () {
          log.push('ran');
        });
        assert.equal(g.started, true);
        assert.equal(g.dead, false);
        assert.equal(g.ready(), false);
        assert.deepEqual(log, []);
        yield* sleep(0);
        assert.deepEqual(log, ['ran']);
      });
    });

    it('runs plain functions and async functions too', async () => {
      assert.equal(await spawn(() => 100), 100);
      assert.equal(await spawn(async (x: number) => x + 1, 1), 2);
      const failing = spawn(async () => {
        throw new ExpectedError('async');
      });
      await withCapturedErrors(async () => {
        await assert.rejects(Promise.resolve(failing), ExpectedError);
      });
    });

    it('passes arguments and `this` is the greenlet', async () => {
      const g = spawn(function* (this: Greenlet, a: number, b: string) {
        return [this, a, b] as const;
      }, 1, 'x');
      const [self, a, b] = await g;
      assert.equal(self, g);
      assert.equal(a, 1);
      assert.equal(b, 'x');
    });

    it('passes no argument, one (an array or undefined stays one argument), or several, as given', async () => {
      const seen = (...args: unknown[]): unknown[] => args;
      const list = [1, 2];
      assert.deepEqual(await spawn(seen), []);
      assert.deepEqual(await spawn(seen, list), [list]);
      assert.equal((await spawn(seen, list))[0], list);
      assert.deepEqual(await spawn(seen, undefined), [undefined]);
      assert.deepEqual(await spawn(seen, 1, [2], undefined), [1, [2], undefined]);
      class Echo extends Greenlet<unknown[]> {
        protected override _run(...args: unknown[]): unknown[] {
          return args;
        }
      }
      for (const args of [[], [list], [undefined], [1, 2, 3]]) {
        const g = new Echo(null, ...args);
        g.start();
        assert.deepEqual(await g, args);
      }
    });

    it('has no value before it ends, whatever its arguments; killed before it starts, its value is the GreenletExit', async () => {
      const g = new Greenlet((x: number) => x, 42);
      assert.equal(g.value, undefined);
      g.start();
      assert.equal(g.value, undefined);
      assert.equal(await g, 42);
      assert.equal(g.value, 42);
      const never = new Greenlet((x: number) => x, 5);
      never.kill(undefined, { block: false });
      assert.ok((never.value as unknown) instanceof GreenletExit);
      assert.equal(never.exception, undefined);
    });

    it('runs a subclass _run when constructed without a function', async () => {
      class Worker extends Greenlet<number> {
        protected override *_run(): Operation<number> {
          yield* sleep(0);
          return 7;
        }
      }
      const g = new Worker();
      g.start();
      assert.equal(await g, 7);
    });

    it('start() twice and start() after death do nothing', async () => {
      let runs = 0;
      const g = new Greenlet(() => runs++);
      g.start();
      g.start();
      await g;
      g.start();
      await run(function* () {
        yield* sleep(0.01);
      });
      assert.equal(runs, 1);
    });

    it('startLater / spawnLater start after the delay', async () => {
      await run(function* () {
        const started = process.hrtime.bigint();
        let at = -1;
        const g = spawnLater(0.05, () => (at = elapsed(started)));
        assert.equal(g.started, true);
        yield* g.join();
        assert.ok(at >= 0.045, `started after ${at}s`);
      });
    });

    it('name defaults to Greenlet-<minimalIdent> and can be set', async () => {
      const g = new Greenlet(() => undefined);
      assert.match(g.name, /^Greenlet-\d+$/);
      assert.equal(g.name, `Greenlet-${g.minimalIdent}`);
      g.name = 'worker';
      assert.equal(g.name, 'worker');
      assert.match(String(g), /worker/);
      assert.throws(() => (g.name = 5 as unknown as string), TypeError);
    });

    it('minimal idents are small and reused after death', async () => {
      const first = spawn(() => undefined);
      const ident = first.minimalIdent;
      await first;
      await run(function* () {
        yield* sleep(0);
      });
      const second = new Greenlet(() => undefined);
      assert.ok(second.minimalIdent <= ident + 2, `${second.minimalIdent} vs ${ident}`);
    });

    it('a greenlet spawned by a greenlet that ends at once still runs (test__api)', async () => {
      await run(function* () {
        let ran = false;
        spawn(() => {
          spawn(() => (ran = true));
        });
        yield* sleep(0.01);
        assert.equal(ran, true);
      });
    });
  });

  describe('bad input', () => {
    it('spawn, spawnLater and the constructor need a function', () => {
      for (const bad of [1, 'f', null, {}, undefined]) {
        assert.throws(() => spawn(bad as unknown as () => void), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"fn"/ });
        assert.throws(() => spawnRaw(bad as unknown as () => void), TypeError);
      }
      assert.throws(() => spawnLater(1, 1 as unknown as () => void), { name: 'TypeError', message: /"fn"/ });
      assert.throws(() => new Greenlet(5 as unknown as () => void), TypeError);
    });

    it('spawnLater and startLater need a finite delay >= 0', () => {
      for (const bad of [-1, NaN, Infinity]) {
        assert.throws(() => spawnLater(bad, () => undefined), { name: 'RangeError', message: /"seconds"/ });
        assert.throws(() => new Greenlet(() => undefined).startLater(bad), RangeError);
      }
      assert.throws(() => spawnLater('1' as unknown as number, () => undefined), TypeError);
    });

    it('kill and get take an options object, not a positional value', () => {
      const g = new Greenlet(() => undefined);
      assert.throws(() => g.kill(GreenletExit, 5 as unknown as object), { name: 'TypeError', message: /"options"/ });
      assert.throws(() => g.get('x' as unknown as object), { name: 'TypeError', message: /"options"/ });
      assert.throws(() => g.get([] as unknown as object), { name: 'TypeError', message: /"options"/ });
      assert.equal(g.dead, false, 'a rejected kill() does not kill');
    });

    it('kill needs an Error class or instance', () => {
      const g = new Greenlet(() => undefined);
      for (const bad of [42, 'boom', {}, null, () => undefined]) {
        assert.throws(() => g.kill(bad as unknown as Error), { name: 'TypeError', message: /"exception"/ });
      }
      assert.equal(g.dead, false);
    });

    it('join/get reject bad timeouts and options', async () => {
      const g = spawn(function* () {
        yield* sleep(0.01);
      });
      for (const bad of [-1, NaN, Infinity]) {
        assert.throws(() => g.join(bad), { name: 'RangeError', message: /"timeout"/ });
        assert.throws(() => g.get({ timeout: bad }), RangeError);
      }
      assert.throws(() => g.join('1' as unknown as number), TypeError);
      assert.throws(() => g.get({ block: 'no' as unknown as boolean }), TypeError);
      await g;
    });

    it('blocking outside a greenlet is BlockingSwitchOutError', () => {
      const g = spawn(function* () {
        yield* sleep(0.01);
      });
      const iterator = g.join()[Symbol.iterator]();
      assert.throws(() => iterator.next(), { name: 'BlockingSwitchOutError', message: /join\(\).*greenlet/ });
      const sleeping = sleep(1)[Symbol.iterator]();
      assert.throws(() => sleeping.next(), { name: 'BlockingSwitchOutError' });
      g.kill();
    });

    it('a greenlet cannot join itself', async () => {
      await withCapturedErrors(async () => {
        const g: Greenlet = spawn(function* (this: Greenlet): Operation<void> {
          yield* this.join();
        });
        await assert.rejects(Promise.resolve(g), { name: 'TypeError', message: /join itself/ });
      });
    });

    it('a bare `yield` raises a TypeError at that yield, naming the greenlet', async () => {
      await withCapturedErrors(async () => {
        // @ts-expect-error `yield op` instead of `yield* op` must not type-check
        const g = spawn(function* () {
          yield sleep(0);
        });
        g.name = 'careless';
        await assert.rejects(Promise.resolve(g), { name: 'TypeError', message: /careless.*yield\*/ });
      });
    });

    it('a bare yield can be caught where it happened', async () => {
      // @ts-expect-error a generator yielding numbers is not an operation
      const g = spawn(function* (): Generator<unknown, string, unknown> {
        try {
          yield 5;
        } catch (error) {
          return (error as Error).name;
        }
        return 'no error';
      });
      assert.equal(await g, 'TypeError');
    });
  });

  it('a body may return any value: arrays, object literals, class instances (and they type-check)', async () => {
    const pair = spawn(function* () {
      yield* sleep(0);
      return [1, 'two'] as const;
    });
    const record = spawn(() => ({ a: 1 }));
    const map = spawn(async () => new Map([['k', 2]]));
    const [n, word]: readonly [1, 'two'] = await pair;
    assert.deepEqual([n, word], [1, 'two']);
    const value: { a: number } = await record;
    assert.deepEqual(value, { a: 1 });
    assert.equal((await map).get('k'), 2);
  });

  describe('get and join', () => {
    it('a Timeout instance as the limit: join() returns false, get() raises that Timeout; an outer one propagates', async () => {
      await run(function* () {
        const sleeper = spawn(() => sleep(10));
        const forJoin = new Timeout(0.02);
        assert.equal(yield* sleeper.join(forJoin), false);
        const forGet = new Timeout(0.02);
        let raised: unknown;
        try {
          yield* sleeper.get({ timeout: forGet });
        } catch (error) {
          raised = error;
        }
        assert.equal(raised, forGet);
        const outer = Timeout.startNew(0.02);
        try {
          yield* sleeper.join(5);
          assert.fail('the outer timeout did not fire');
        } catch (error) {
          assert.equal(error, outer);
        } finally {
          outer.cancel();
        }
        sleeper.kill();
      });
    });

    it('get returns the value or raises the error', async () => {
      await withCapturedErrors(async () => {
        await run(function* () {
          const ok = spawn(function* () {
            yield* sleep(0);
            return 'v';
          });
          assert.equal(yield* ok.get(), 'v');
          const bad = spawn(function* () {
            yield* sleep(0);
            throw new ExpectedError();
          });
          let caught: unknown;
          try {
            yield* bad.get();
          } catch (error) {
            caught = error;
          }
          assert.ok(caught instanceof ExpectedError);
          assert.equal(yield* bad.join(), true);
        });
      });
    });

    it('get with block false on an unfinished greenlet raises Timeout', async () => {
      await run(function* () {
        const g = spawn(function* () {
          yield* sleep(1);
        });
        let caught: unknown;
        try {
          yield* g.get({ block: false });
        } catch (error) {
          caught = error;
        }
        assert.equal((caught as Error).name, 'Timeout');
        g.kill();
      });
    });

    it('get with a timeout raises Timeout; join with a timeout returns false', async () => {
      await run(function* () {
        const g = spawn(function* () {
          yield* sleep(1);
        });
        const started = process.hrtime.bigint();
        assert.equal(yield* g.join(0.02), false);
        assert.ok(elapsed(started) >= 0.015);
        let caught: unknown;
        try {
          yield* g.get({ timeout: 0.02 });
        } catch (error) {
          caught = error;
        }
        assert.equal((caught as Error).name, 'Timeout');
        assert.equal(g.dead, false);
        g.kill();
      });
    });

    it('await greenlet resolves with the value, or the GreenletExit when killed', async () => {
      const g = spawn(function* () {
        yield* sleep(10);
      });
      const result = run(function* () {
        return yield* g.join();
      });
      g.kill();
      assert.equal(await result, true);
      assert.ok(((await g) as unknown) instanceof GreenletExit);
      assert.equal(g.successful(), true);
    });
  });

  describe('kill (gevent test__greenlet kill matrix)', () => {
    type Setup = 'not started' | 'start()' | 'startLater(0.2)' | 'running in sleep(10)';
    const setups: Setup[] = ['not started', 'start()', 'startLater(0.2)', 'running in sleep(10)'];
    const exceptions: [string, () => Error | (new () => Error)][] = [
      ['GreenletExit', () => GreenletExit],
      ['an Error instance', () => new ExpectedError()],
    ];

    for (const setup of setups) {
      for (const block of [true, false]) {
        for (const via of ['kill', 'killAll'] as const) {
          for (const [excName, makeExc] of exceptions) {
            it(`${setup}, ${via}, block ${block}, ${excName}`, async () => {
              await withCapturedErrors(async () => {
                await run(function* () {
                  const log: string[] = [];
                  const linked: Greenlet[] = [];
                  const g = new Greenlet(function* () {
                    yield* sleep(10);
                    log.push('after the kill point');
                  });
                  g.rawlink((source) => linked.push(source));
                  if (setup === 'start()') g.start();
                  if (setup === 'startLater(0.2)') g.startLater(0.2);
                  if (setup === 'running in sleep(10)') {
                    g.start();
                    yield* sleep(0);
                  }
                  const exception = makeExc();
                  if (via === 'kill') yield* g.kill(exception, { block });
                  else yield* killAll([g], { exception, block });
                  if (!block) yield* sleep(0.01);
                  assert.equal(g.started, false);
                  assert.equal(g.dead, true);
                  assert.equal(g.ready(), true);
                  if (excName === 'GreenletExit') {
                    assert.equal(g.successful(), true);
                    assert.ok((g.value as unknown) instanceof GreenletExit);
                  } else {
                    assert.equal(g.successful(), false);
                    assert.ok(g.exception instanceof ExpectedError);
                  }
                  yield* sleep(0.001);
                  assert.deepEqual(log, []);
                  assert.deepEqual(linked, [g]);
                  g.kill();
                  yield* sleep(0.001);
                  assert.deepEqual(linked, [g]);
                });
              });
            });
          }
        }
      }
    }

    it('a blocking kill returns after except and finally ran (test__api)', async () => {
      await run(function* () {
        const state: string[] = [];
        const g = spawn(function* () {
          state.push('start');
          try {
            yield* sleep(0.3);
          } catch (error) {
            state.push('except');
            throw error;
          } finally {
            state.push('finished');
          }
        });
        yield* sleep(0.01);
        assert.deepEqual(state, ['start']);
        yield* g.kill();
        assert.deepEqual(state, ['start', 'except', 'finished']);
      });
    });

    it('kill() without yield* still kills, at the next turn', async () => {
      await run(function* () {
        const g = spawn(function* () {
          yield* sleep(10);
        });
        yield* sleep(0);
        g.kill();
        assert.equal(g.dead, false);
        yield* sleep(0);
        assert.equal(g.dead, true);
      });
    });

    it('a stubborn greenlet survives a blocking kill with a timeout', async () => {
      await run(function* () {
        class Really extends GreenletExit {}
        const g = spawn(function* () {
          for (;;) {
            try {
              yield* sleep(10);
            } catch (error) {
              if (error instanceof Really) return;
            }
          }
        });
        yield* sleep(0);
        const started = process.hrtime.bigint();
        yield* g.kill(GreenletExit, { timeout: 0.05 });
        assert.ok(elapsed(started) >= 0.04);
        assert.equal(g.dead, false);
        yield* g.kill(Really);
        assert.equal(g.dead, true);
      });
    });

    it('a greenlet parked in sleep(0) reaches its next blocking point before dying', async () => {
      await run(function* () {
        const state: string[] = [];
        const g = spawn(function* () {
          state.push('a');
          yield* sleep(0);
          state.push('b (after sleep0)');
          yield* sleep(1);
          state.push('c');
        });
        yield* sleep(0);
        yield* g.kill();
        assert.deepEqual(state, ['a', 'b (after sleep0)']);
      });
    });

    it('finally blocks run and may block while dying', async () => {
      await run(function* () {
        const log: string[] = [];
        const g = spawn(function* () {
          try {
            yield* sleep(10);
          } finally {
            yield* sleep(0.01);
            log.push('cleaned up');
          }
        });
        yield* sleep(0);
        yield* g.kill();
        assert.deepEqual(log, ['cleaned up']);
      });
    });

    it('a greenlet can kill itself', async () => {
      const g: Greenlet = spawn(function* (this: Greenlet) {
        yield* sleep(0);
        yield* this.kill();
        return 'not reached';
      });
      assert.ok(((await g) as unknown) instanceof GreenletExit);
    });

    it('killing a dead greenlet changes nothing', async () => {
      const g = spawn(() => 5);
      await g;
      await g.kill(new ExpectedError());
      assert.equal(g.value, 5);
      assert.equal(g.successful(), true);
    });
  });

  describe('links (gevent §3.5)', () => {
    it('fire in registration order, for 2, 3, 4 and 1000 links (test__order)', async () => {
      for (const n of [2, 3, 4, 1000]) {
        await run(function* () {
          const order: number[] = [];
          const g = spawn(() => undefined);
          for (let i = 0; i < n; i++) g.rawlink(() => order.push(i));
          yield* g.join();
          yield* sleep(0);
          assert.deepEqual(order, [...Array(n).keys()]);
        });
      }
    });

    it('rawlink runs in the hub, link in a new greenlet', async () => {
      await run(function* () {
        const where: unknown[] = [];
        const g = spawn(() => 1);
        g.rawlink(() => where.push(getCurrent()));
        g.link(() => where.push(getCurrent()));
        yield* g.join();
        yield* sleep(0.001);
        assert.equal(where[0], getHub());
        assert.ok((where[1] as object) instanceof Greenlet && where[1] !== g);
      });
    });

    it('a link added after death fires on the next callback batch, not at once', async () => {
      await run(function* () {
        const g = spawn(() => 1);
        yield* g.join();
        let fired = 0;
        g.rawlink(() => fired++);
        assert.equal(fired, 0);
        yield* sleep(0);
        assert.equal(fired, 1);
      });
    });

    it('linkValue fires on success only, linkException on failure only', async () => {
      await withCapturedErrors(async () => {
        await run(function* () {
          for (const outcome of ['return', 'kill', 'raise'] as const) {
            const seen: string[] = [];
            const g = spawn(function* () {
              yield* sleep(0.001);
              if (outcome === 'raise') throw new ExpectedError();
              return 25;
            });
            g.link(() => seen.push('link'));
            g.linkValue(() => seen.push('value'));
            g.linkException(() => seen.push('exception'));
            if (outcome === 'kill') g.kill();
            yield* g.join();
            yield* sleep(0.01);
            const expected = outcome === 'raise' ? ['link', 'exception'] : ['link', 'value'];
            assert.deepEqual(seen.sort(), expected.sort(), outcome);
          }
        });
      });
    });

    it('link to a result receiver copies the value or the error', async () => {
      await withCapturedErrors(async () => {
        await run(function* () {
          const got: unknown[] = [];
          const receiver = { set: (v: unknown) => got.push(['value', v]), setException: (e: unknown) => got.push(['error', e]) };
          const ok = spawn(() => 100);
          ok.link(receiver);
          const error = new ExpectedError();
          const bad = spawn(() => {
            throw error;
          });
          bad.link(receiver);
          yield* joinAll([ok, bad]);
          yield* sleep(0);
          assert.deepEqual(got, [['value', 100], ['error', error]]);
        });
      });
    });

    it('unlink removes link, linkValue and linkException callbacks', () => {
      const g = new Greenlet(() => undefined);
      const f = (): void => undefined;
      for (const add of [g.link, g.linkValue, g.linkException, g.rawlink]) {
        add.call(g, f);
        assert.equal(g.linkcount(), 1);
        g.unlink(f);
        assert.equal(g.linkcount(), 0);
      }
      g.unlink(null);
      g.unlink(undefined);
    });

    it('a link that raises is reported and the others still run', async () => {
      await withCapturedErrors(async (errors) => {
        await run(function* () {
          const results: number[] = [];
          const g = spawn(() => 5);
          g.rawlink(() => {
            results.push(10);
            throw new ExpectedError('first');
          });
          g.rawlink(() => {
            throw new ExpectedError('second');
          });
          g.rawlink(() => results.push(20));
          yield* g.join();
          yield* sleep(0);
          assert.deepEqual(results, [10, 20]);
          assert.equal(errors.length, 2);
        });
      });
    });

    it('a link can unlink later links during notification', async () => {
      await run(function* () {
        const results: number[] = [];
        const g = spawn(() => 5);
        const second = (): number => results.push(6);
        const third = (): number => results.push(7);
        g.rawlink(() => {
          results.push(5);
          g.unlink(second);
          g.unlink(third);
        });
        g.rawlink(second);
        g.rawlink(third);
        yield* g.join();
        yield* sleep(0);
        assert.deepEqual(results, [5]);
      });
    });

    it('links registered before a joiner run before it resumes', async () => {
      await run(function* () {
        const order: string[] = [];
        const g = spawn(function* () {
          yield* sleep(0.001);
        });
        g.rawlink(() => order.push('link'));
        yield* g.join();
        order.push('joiner');
        assert.deepEqual(order, ['link', 'joiner']);
      });
    });

    it('rawlink and link need a function (or a result receiver)', () => {
      const g = new Greenlet(() => undefined);
      assert.throws(() => g.rawlink(5 as unknown as () => void), { name: 'TypeError', message: /"callback"/ });
      assert.throws(() => g.link({} as unknown as () => void), { name: 'TypeError', message: /"callback"/ });
      assert.throws(() => g.linkValue(null as unknown as () => void), TypeError);
    });
  });

  describe('switch', () => {
    it('resuming a sleeping greenlet from outside raises InvalidSwitchError in it (test__api)', async () => {
      await withCapturedErrors(async () => {
        const g = spawn(function* () {
          yield* sleep(10);
        });
        await run(function* () {
          yield* sleep(0);
          g.switch(null);
          yield* g.join();
        });
        assert.equal((g.exception as Error).name, 'InvalidSwitchError');
        assert.match((g.exception as Error).message, /Invalid switch/);
      });
    });

    it('switch into a greenlet that is not waiting is an error', () => {
      const g = new Greenlet(() => undefined);
      assert.throws(() => g.switch(1), { code: 'ERR_INVALID_STATE' });
    });
  });
});

describe('the built modules (dist/)', () => {
  it('export through plain properties: a re-export would put the module object in dictionary mode, and every `Greenlet` read elsewhere through a lookup', function () {
    // Only the index modules gather re-exports; anything importing from
    // greenlet.js, linkable.js or loop.js reads their exports on hot paths.
    const script = `
      const fs = require('fs');
      const path = require('path');
      const fast = new Function('o', 'return %HasFastProperties(o)');
      const slow = [];
      for (const dir of ['core', 'sync', 'loop']) {
        for (const file of fs.readdirSync(path.join('dist', dir))) {
          if (!file.endsWith('.js') || file === 'index.js') continue;
          if (!fast(require(path.resolve('dist', dir, file)))) slow.push(dir + '/' + file);
        }
      }
      console.log(JSON.stringify(slow));
    `;
    const result = spawnSync(process.execPath, ['--allow-natives-syntax', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    // Not built (mocha run on its own): nothing to check.
    if (result.status !== 0 && /Cannot find module|ENOENT/.test(result.stderr)) this.skip();
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), []);
  });
});
