import { strict as assert } from 'node:assert';

import { Greenlet, GreenletExit, LoopExit, run, sleep, spawn, Timeout, type Operation } from '../../lib/core';
import { Event, Pool, PoolFull, Queue, type IMap } from '../../lib/sync';
import { caught, elapsed, ExpectedError, waitGeneric, withCapturedErrors } from './helpers';

function* sqr(x: number, delay = 0): Operation<number> {
  yield* sleep(delay);
  return x * x;
}

/** Collects an imap's results, errors included, in a greenlet. */
function* drain<T>(it: IMap<T>): Operation<unknown[]> {
  const out: unknown[] = [];
  for (;;) {
    try {
      const r = yield* it.next();
      if (r.done === true) return out;
      out.push(r.value);
    } catch (error) {
      out.push(error);
    }
  }
}

class DivisionByZero extends Error {}
function* divideBy(x: number): Operation<number> {
  yield* sleep(0);
  if (x === 0) throw new DivisionByZero('division by zero');
  return 1 / x;
}

describe('Pool (gevent test__pool)', () => {
  // applyAsync() spawns at the call (it never blocks).
  waitGeneric('join() on a busy pool', (timeout) => {
    const pool = new Pool(1);
    pool.applyAsync(() => sleep(2, { ref: false }));
    return pool.join({ timeout });
  }, false);
  waitGeneric('join({ raiseError }) on a busy pool', (timeout) => {
    const pool = new Pool(1);
    pool.applyAsync(() => sleep(2, { ref: false }));
    return pool.join({ timeout, raiseError: true });
  }, false);
  waitGeneric('waitAvailable() on Pool(0)', (timeout) => new Pool(0).waitAvailable(timeout), 0);

  it('applyAsync runs the function; apply returns the value and re-raises the error', async () => {
    await withCapturedErrors(async () => {
      await run(function* () {
        const pool = new Pool(2);
        const seen: string[] = [];
        yield* pool.applyAsync((x: string) => seen.push(x), ['x']).join();
        assert.deepEqual(seen, ['x']);
        assert.equal(yield* pool.apply((a: number, b: number) => a + b, [1, 2]), 3);
        const error = new ExpectedError();
        assert.equal(
          yield* caught(() =>
            pool.apply(() => {
              throw error;
            }),
          ),
          error,
        );
      });
    });
  });

  it("consumer and producer in Pool(2): ['cons1', 'prod', 'cons2']", async () => {
    await run(function* () {
      const evt = new Event();
      const results: string[] = [];
      const pool = new Pool(2);
      const done = yield* pool.spawn(function* () {
        results.push('cons1');
        yield* evt.wait();
        results.push('cons2');
      });
      pool.applyAsync(function* () {
        yield* sleep(0.001);
        results.push('prod');
        evt.set();
      });
      yield* done.get();
      assert.deepEqual(results, ['cons1', 'prod', 'cons2']);
    });
  });

  it('apply from inside the pool runs inline: Pool(1).apply(pool.apply, ...) is 6, no deadlock', async () => {
    await run(function* () {
      const pool = new Pool(1);
      const result = yield* pool.apply(() => pool.apply((a: number) => a + 1, [5]));
      assert.equal(result, 6);
    });
  });

  it('freeCount follows spawns and deaths; applyAsync beyond capacity does not block', async () => {
    await run(function* () {
      const p = new Pool(2);
      assert.equal(p.freeCount(), 2);
      const r: number[] = [];
      const first = yield* p.spawn((x: number) => r.push(x), 1);
      assert.equal(p.freeCount(), 1);
      yield* first.get();
      assert.deepEqual(r, [1]);
      yield* sleep(0);
      assert.equal(p.freeCount(), 2);
      p.applyAsync((x: number) => r.push(x), [2]);
      assert.equal(p.freeCount(), 1);
      p.applyAsync((x: number) => r.push(x), [3]);
      assert.equal(p.freeCount(), 0);
      p.applyAsync((x: number) => r.push(x), [4]);
      assert.deepEqual(r, [1]);
      yield* sleep(0.01);
      assert.deepEqual(r.sort(), [1, 2, 3, 4]);
    });
  });

  it('discard() frees the slot; add() on a full pool waits, and raises PoolFull without blocking or on timeout', async () => {
    await run(function* () {
      const pool = new Pool(1);
      const first = yield* pool.spawn(() => sleep(10));
      pool.discard(first);
      first.kill();
      assert.equal(pool.length, 0);
      assert.equal(pool._slots.counter, 1);
      const held = yield* pool.spawn(() => sleep(10));
      const second = new Greenlet(() => sleep(10));
      const outer = new Timeout(0.05);
      assert.equal(yield* caught(() => outer.run(() => pool.add(second))), outer);
      assert.equal(pool.length, 1);
      assert.equal(pool.has(second), false);
      assert.ok((yield* caught(() => pool.add(second, { blocking: false }))) instanceof PoolFull);
      assert.ok((yield* caught(() => pool.add(second, { timeout: 0.02 }))) instanceof PoolFull);
      assert.ok((yield* caught(() => pool.start(second, { timeout: 0.02 }))) instanceof PoolFull);
      assert.equal(second.started, false);
      assert.equal(pool._slots.linkcount(), 0, 'no waiter left behind');
      held.kill();
      yield* pool.start(second);
      assert.equal(second.started, true);
      yield* pool.kill();
    });
  });

  for (const size of [1, 2, 3, 10, null]) {
    describe(`Pool(${String(size)})`, () => {
      it('map gives the results in input order; map([]) is []', async () => {
        await run(function* () {
          const pool = new Pool(size);
          const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
          assert.deepEqual(yield* pool.map(sqr, range(10)), range(10).map((x) => x * x));
          assert.deepEqual(yield* pool.map((x: number) => sqr(x, (x % 3) * 0.001), range(100)), range(100).map((x) => x * x));
          assert.deepEqual(yield* pool.map(sqr, []), []);
        });
      });

      it('applyAsync(...).get() waits for the value; a callback gets it; get with a short timeout raises Timeout', async () => {
        await run(function* () {
          const pool = new Pool(size);
          const started = process.hrtime.bigint();
          assert.equal(yield* pool.applyAsync(sqr, [7, 0.04]).get(), 49);
          assert.ok(elapsed(started) >= 0.035);
          const got: number[] = [];
          const g = pool.applyAsync(sqr, [7, 0.01], (v) => got.push(v));
          yield* g.join();
          yield* sleep(0);
          assert.deepEqual(got, [49]);
          const slow = pool.applyAsync(sqr, [7, 0.2]);
          assert.ok((yield* caught(() => slow.get({ timeout: 0.02 }))) instanceof Timeout);
          slow.kill();
        });
      });

      it('imap is ordered (10 and 1,000 items), imapUnordered has them all, empty ones end at once', async () => {
        await run(function* () {
          const pool = new Pool(size);
          for (const n of [10, 1000]) {
            const input = Array.from({ length: n }, (_, i) => i);
            const it = pool.imap((x: number) => sqr(x, (x % 4) * 0.0005), input);
            assert.deepEqual(yield* drain(it), input.map((x) => x * x));
            assert.equal((yield* it.next()).done, true, 'stays done');
            const un = (yield* drain(pool.imapUnordered(sqr, input))) as number[];
            assert.deepEqual(
              un.sort((a, b) => a - b),
              input.map((x) => x * x),
            );
          }
          assert.deepEqual(yield* drain(pool.imap(sqr, [])), []);
          assert.deepEqual(yield* drain(pool.imapUnordered(sqr, [])), []);
        });
      });

      it('imap and imapUnordered work with for await from async code', async () => {
        const pool = new Pool(size);
        const seen: number[] = [];
        for await (const v of pool.imap(sqr, [1, 2, 3])) seen.push(v);
        assert.deepEqual(seen, [1, 4, 9]);
      });
    });
  }

  it('imapUnordered yields in completion order: Pool(1) in input order, Pool(3) by delay', async () => {
    await run(function* () {
      const sleepThenString = function* (ms: number): Operation<string> {
        yield* sleep(ms / 1000);
        return String(ms);
      };
      assert.deepEqual(yield* drain(new Pool(1).imapUnordered(sleepThenString, [30, 3, 6])), ['30', '3', '6']);
      assert.deepEqual(yield* drain(new Pool(3).imapUnordered(sleepThenString, [30, 3, 6])), ['3', '6', '30']);
    });
  });

  it('imap over a queue ends when the queue is shut down: [123]', async () => {
    await run(function* () {
      const q = new Queue<number>();
      const it = new Pool(2).imap((x: number) => x, q);
      spawn(function* () {
        yield* q.put(123);
        yield* sleep(0.005);
        q.shutdown();
      });
      assert.deepEqual(yield* drain(it), [123]);
    });
  });

  it('imap over an async generator that waits after its last item: [0, 1, 4]', async () => {
    async function* source(): AsyncGenerator<number> {
      for (let i = 0; i < 3; i++) yield i;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await run(function* () {
      assert.deepEqual(yield* drain(new Pool(2).imap(sqr, source())), [0, 1, 4]);
    });
  });

  it('imap with maxsize 1 and a slow reader buffers at most one result', async () => {
    await run(function* () {
      let running = 0;
      let peak = 0;
      const pool = new Pool(10);
      const it = pool.imap(
        (x: number) => {
          running++;
          peak = Math.max(peak, running + pool.length);
          return x;
        },
        Array.from({ length: 20 }, (_, i) => i),
        { maxsize: 1 },
      );
      const got: number[] = [];
      for (let r = yield* it.next(); r.done !== true; r = yield* it.next()) {
        got.push(r.value);
        running = 0;
        yield* sleep(0.001);
      }
      assert.equal(got.length, 20);
      assert.ok(peak <= 2, `peak ${peak}`);
    });
  });

  it('an error of the input iterator propagates out of map and imapUnordered', async () => {
    function* failing(): Generator<number> {
      yield 1;
      throw new ExpectedError('input');
    }
    await run(function* () {
      const pool = new Pool(2);
      const fromMap = (yield* caught(() => pool.map(sqr, failing()))) as Error;
      assert.equal(fromMap.message, 'input');
      assert.deepEqual(
        (yield* drain(pool.imapUnordered(sqr, failing()))).map((x) => (x instanceof Error ? x.message : x)),
        [1, 'input'],
      );
    });
  });

  it('map raises the first failure and kills the calls still running; nothing is left in the pool', async () => {
    await withCapturedErrors(async (errors) => {
      await run(function* () {
        const pool = new Pool(3);
        const error = yield* caught(() => pool.map(divideBy, [1, 0, 2]));
        assert.ok(error instanceof DivisionByZero);
        const slow = function* (x: number): Operation<number> {
          if (x === 1) throw new ExpectedError();
          yield* sleep(10);
          return x;
        };
        const started = process.hrtime.bigint();
        assert.ok((yield* caught(() => pool.map(slow, [5, 1, 6, 7, 8]))) instanceof ExpectedError);
        assert.ok(elapsed(started) < 5, 'the sleepers were killed, not waited for');
        assert.equal(pool.length, 0);
      });
      assert.equal(errors.length, 2, 'each failure is also reported to the hub once');
    });
  });

  it('imap and imapUnordered raise a failure at its place and go on: 1, error, 0.5, done', async () => {
    await withCapturedErrors(async () => {
      await run(function* () {
        for (const ordered of [true, false]) {
          const pool = new Pool(1);
          const it = ordered ? pool.imap(divideBy, [1, 0, 2]) : pool.imapUnordered(divideBy, [1, 0, 2]);
          assert.equal((yield* it.next()).value, 1);
          assert.ok((yield* caught(() => it.next())) instanceof DivisionByZero);
          assert.equal((yield* it.next()).value, 0.5);
          assert.equal((yield* it.next()).done, true);
        }
      });
    });
  });

  it('close() on an imap kills its feeder and the calls running', async () => {
    await run(function* () {
      const pool = new Pool(2);
      const it = pool.imap((x: number) => sqr(x, 10), [1, 2, 3, 4]);
      yield* sleep(0.001);
      assert.equal(pool.length, 2);
      it.close();
      yield* pool.join({ timeout: 1 });
      assert.equal(pool.length, 0);
      assert.equal((yield* it.next()).done, true);
    });
  });

  it('pool.kill() during mapAsync stops it quickly: no spawning after the kill', async () => {
    await run(function* () {
      const pool = new Pool(2);
      // Unstopped, the map would take 200 x 0.05 / 2 = 5 s.
      const mapper = pool.mapAsync((x: number) => sqr(x, 0.05), Array.from({ length: 200 }, (_, i) => i));
      yield* sleep(0.001);
      const started = process.hrtime.bigint();
      yield* pool.kill();
      yield* mapper.join(4);
      assert.ok(elapsed(started) < 2.5);
      assert.equal(mapper.dead, true);
      assert.ok(mapper.value instanceof GreenletExit);
      assert.equal(pool.length, 0);
    });
  });

  it('spawn, map and imap next (no timeout of their own) give way to an outer Timeout, leaving nothing', async () => {
    await run(function* () {
      const pool = new Pool(2);
      const slow = (x: number): Operation<number> => sqr(x, 10);
      let outer = new Timeout(0.02);
      assert.equal(yield* caught(() => outer.run(() => pool.map(slow, [1, 2, 3, 4]))), outer);
      assert.equal(pool.length, 0, "map's calls were killed");
      const held = [yield* pool.spawn(slow, 1), yield* pool.spawn(slow, 2)];
      outer = new Timeout(0.02);
      assert.equal(yield* caught(() => outer.run(() => pool.spawn(slow, 3))), outer);
      assert.equal(pool._slots.linkcount(), 0, 'no spawner left waiting');
      for (const g of held) g.kill();
      const it = pool.imap(slow, [1]);
      outer = new Timeout(0.02);
      assert.equal(yield* caught(() => outer.run(() => it.next())), outer);
      it.close();
      yield* pool.join();
    });
  });

  it('spawn() with a free slot spawns at the call; add() acts only when run; applyAsync() spawns at the call', async () => {
    await run(function* () {
      const pool = new Pool(3);
      void pool.spawn(() => 1);
      assert.equal(pool.length, 1);
      void pool.add(new Greenlet(() => 1));
      assert.equal(pool.length, 1);
      const g = pool.applyAsync(() => sleep(0.001));
      assert.equal(pool.length, 2);
      assert.equal(pool.has(g), true);
      yield* pool.join();
    });
  });

  it("spawn() on a full pool that nobody yield*s still runs, in FIFO order, and join() waits for it (gevent's statement form)", async () => {
    await run(function* () {
      const pool = new Pool(1);
      const order: string[] = [];
      let running = 0;
      let most = 0;
      function* job(name: string): Operation<void> {
        most = Math.max(most, ++running);
        yield* sleep(0.005);
        order.push(name);
        running--;
      }
      for (const name of ['a', 'b', 'c', 'd']) void pool.spawn(job, name);
      assert.equal(pool.length, 1);
      assert.equal(yield* pool.join(), true);
      assert.deepEqual(order, ['a', 'b', 'c', 'd']);
      assert.equal(most, 1);
      assert.equal(pool.length, 0);
      assert.equal(pool.freeCount(), 1);
    });
  });

  it('kill() of a pool also stops the spawns queued on their own: they never run', async () => {
    await run(function* () {
      const pool = new Pool(1);
      const ran: number[] = [];
      for (let i = 0; i < 3; i++) {
        void pool.spawn(function* () {
          ran.push(i);
          yield* sleep(1);
        });
      }
      yield* sleep(0.001);
      yield* pool.kill({ timeout: 2 });
      assert.deepEqual(ran, [0]);
      assert.equal(pool.length, 0);
      yield* sleep(0);
      assert.equal(pool._queuedSpawns.size, 0);
      assert.equal(pool._slots.counter, 1);
    });
  });

  it('a queued spawn() can still be yield*-ed later, and awaited from async code', async () => {
    const pool = new Pool(1);
    const first = await pool.spawn(() => sleep(0.01).then(() => 'first'));
    assert.equal(first, 'first', 'awaiting a spawn() gives the greenlet, which promises resolve to its value');
    await run(function* () {
      const held = yield* pool.spawn(() => sleep(0.01));
      const later = pool.spawn(() => 'later');
      yield* sleep(0); // the spawn now waits on its own
      const g = yield* later;
      assert.equal(yield* g.get(), 'later');
      assert.equal(held.dead, true);
    });
  });

  it('Pool(0): freeCount 0, full, waitAvailable(0.01) is 0', async () => {
    await run(function* () {
      const pool = new Pool(0);
      assert.equal(pool.freeCount(), 0);
      assert.equal(pool.full(), true);
      assert.equal(yield* pool.waitAvailable(0.01), 0);
    });
  });

  it('an empty pool joins at once, without switching', async () => {
    await run(function* () {
      let switched = false;
      spawn(() => {
        switched = true;
      });
      assert.equal(yield* new Pool(2).join(), true);
      assert.equal(switched, false);
    });
  });

  it('Pool(1): a second spawn waits for the first to finish; join(0.01) is false, join() true', async () => {
    await run(function* () {
      const pool = new Pool(1);
      yield* pool.spawn(() => sleep(0.05));
      const second = spawn(() => pool.spawn(() => sleep(0.05)));
      yield* sleep(0);
      assert.equal(pool.length, 1);
      assert.equal(second.ready(), false);
      assert.equal(yield* pool.join({ timeout: 0.01 }), false);
      assert.equal(yield* pool.join(), true);
      assert.equal(second.ready(), true);
      assert.equal(pool.length, 0);
    });
  });

  it('waitAvailable returns once a slot frees', async () => {
    await run(function* () {
      const pool = new Pool(1);
      yield* pool.spawn(() => sleep(0.01));
      assert.equal(yield* pool.waitAvailable(5), 1);
      assert.equal(new Pool(null).freeCount(), 1);
    });
  });

  it('spawners waiting on a full pool get slots in FIFO order', async () => {
    await run(function* () {
      const pool = new Pool(1);
      const order: number[] = [];
      yield* pool.spawn(() => sleep(0.005));
      const spawners = Array.from({ length: 20 }, (_, i) =>
        spawn(() =>
          pool.spawn(() => {
            order.push(i);
          }),
        ),
      );
      for (const s of spawners) yield* s.join();
      yield* pool.join();
      assert.deepEqual(order, Array.from({ length: 20 }, (_, i) => i));
    });
  });

  it('a greenlet killed while waiting to spawn leaves no waiter and no slot taken', async () => {
    await run(function* () {
      const pool = new Pool(1);
      const held = yield* pool.spawn(() => sleep(10));
      const waiter = spawn(() => pool.spawn(() => 'never'));
      yield* sleep(0.001);
      yield* waiter.kill();
      assert.equal(pool._slots.linkcount(), 0);
      held.kill();
      yield* pool.join();
      assert.equal(pool._slots.counter, 1);
    });
  });

  it('awaiting spawn on a pool that never frees raises LoopExit', async () => {
    await assert.rejects(Promise.resolve(new Pool(0).spawn(() => 1)), LoopExit);
  });

  it('rejects bad sizes and arguments', () => {
    assert.throws(() => new Pool(-1), { name: 'RangeError', message: /"size"/ });
    assert.throws(() => new Pool(2.5), RangeError);
    assert.throws(() => new Pool('2' as unknown as number), TypeError);
    const pool = new Pool(1);
    assert.throws(() => pool.spawn(5 as unknown as () => void), { name: 'TypeError', message: /"fn"/ });
    assert.throws(() => pool.map(null as unknown as () => void, []), TypeError);
    assert.throws(() => pool.imap(sqr, [], { maxsize: 0 }), RangeError);
    assert.throws(() => pool.join({ timeout: NaN }), RangeError);
    assert.throws(() => pool.waitAvailable(-1), RangeError);
    assert.throws(() => pool.add({} as Greenlet), TypeError);
    assert.throws(() => pool.apply(sqr, 5 as unknown as [number]), { name: 'TypeError', message: /"args"/ });
  });
});
