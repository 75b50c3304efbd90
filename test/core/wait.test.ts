import { strict as assert } from 'node:assert';

import { getHub, Greenlet, iwait, joinAll, killAll, run, sleep, spawn, spawnLater, Timeout, wait, type Operation } from '../../lib/core';
import { elapsed, ExpectedError, withCapturedErrors, caught } from './helpers';

function sleeper(seconds: number, value?: unknown) {
  return function* (): Operation<unknown> {
    yield* sleep(seconds);
    return value;
  };
}


describe('joinAll, wait, iwait and killAll (gevent §3.6)', () => {
  it('joinAll returns the finished greenlets in completion order, without the slow one on timeout', async () => {
    await run(function* () {
      const a = spawn(sleeper(0.04));
      const b = spawn(sleeper(0.02));
      const c = spawn(sleeper(1));
      const done = yield* joinAll([a, b, c], { timeout: 0.2 });
      assert.deepEqual(done, [b, a]);
      c.kill();
    });
  });

  it('joinAll with count stops early', async () => {
    await run(function* () {
      const a = spawn(sleeper(0.04));
      const b = spawn(sleeper(0.02));
      assert.deepEqual(yield* joinAll([a, b], { count: 1 }), [b]);
      assert.deepEqual(yield* joinAll([a, b], { count: 2 }), [b, a]);
    });
  });

  it('joinAll with values [1, 2, 3] and raiseError', async () => {
    await run(function* () {
      const gs = [1, 2, 3].map((v) => spawn(sleeper(0.001 * v, v)));
      yield* joinAll(gs, { raiseError: true });
      assert.deepEqual(
        gs.map((g) => g.value),
        [1, 2, 3],
      );
    });
  });

  it('raiseError raises the first failure in completion order, without waiting', async () => {
    await withCapturedErrors(async () => {
      await run(function* () {
        const first = spawn(function* () {
          yield* sleep(0.1);
          throw new ExpectedError('first');
        });
        const second = spawn(() => {
          throw new ExpectedError('second');
        });
        const started = process.hrtime.bigint();
        const error = (yield* caught(() => joinAll([first, second], { raiseError: true }))) as Error;
        assert.equal(error.message, 'second');
        assert.ok(elapsed(started) < 0.09);
        const slow = spawn(sleeper(1));
        const failing = spawn(() => {
          throw new ExpectedError('fails');
        });
        assert.equal(((yield* caught(() => joinAll([slow, failing], { raiseError: true }))) as Error).message, 'fails');
        slow.kill();
        yield* joinAll([first, slow]);
      });
    });
  });

  it('without raiseError it never raises; count 1 leaves the sleeper running', async () => {
    await withCapturedErrors(async () => {
      await run(function* () {
        const s = spawn(sleeper(1));
        const r = spawn(() => {
          throw new ExpectedError();
        });
        const done = yield* joinAll([s, r], { count: 1 });
        assert.deepEqual(done, [r]);
        assert.equal(r.ready(), true);
        assert.equal(s.ready(), false);
        s.kill();
      });
    });
  });

  it('joinAll with a duplicate greenlet returns normally (test__joinall)', async () => {
    await run(function* () {
      const a = spawn(sleeper(0.001));
      const b = spawn(sleeper(0.002));
      const done = yield* joinAll([a, b, a]);
      assert.deepEqual(done, [a, b]);
    });
  });

  it('joinAll on an unstarted greenlet with a timeout returns [] in time', async () => {
    await run(function* () {
      const g = new Greenlet(() => 1);
      const started = process.hrtime.bigint();
      assert.deepEqual(yield* joinAll([g], { timeout: 0.02 }), []);
      assert.ok(elapsed(started) >= 0.015);
    });
  });

  it('joinAll is awaitable from async code', async () => {
    const gs = [spawn(sleeper(0.01, 'x')), spawn(() => 'y')];
    const done = await joinAll(gs);
    assert.deepEqual(
      done.map((g) => g.value),
      ['y', 'x'],
    );
  });

  it('an outer timeout around joinAll(timeout) propagates as that instance', async () => {
    await run(function* () {
      const g = spawn(sleeper(1));
      const outer = new Timeout(0.01);
      const error = yield* caught(() => outer.run(() => joinAll([g], { timeout: 1 })));
      assert.equal(error, outer);
      g.kill();
    });
  });

  it('wait(objects) returns them in ready order; [] on timeout', async () => {
    await run(function* () {
      const a = spawn(sleeper(0.03));
      const b = spawn(sleeper(0.01));
      assert.deepEqual(yield* wait([a, b]), [b, a]);
      const c = spawn(sleeper(1));
      assert.deepEqual(yield* wait([c], { timeout: 0.01 }), []);
      c.kill();
    });
  });

  it('wait() without objects returns true once the hub has nothing left (test__hub_join_timeout)', async () => {
    await run(function* () {
      const x = spawn(() => 5);
      const started = process.hrtime.bigint();
      assert.equal(yield* wait(undefined, { timeout: 10 }), true);
      assert.ok(elapsed(started) < 1);
      assert.equal(x.dead, true);
      assert.equal(x.value, 5);
    });
  });

  it('wait() without objects waits for a spawnLater, returns false on timeout', async () => {
    await run(function* () {
      const started = process.hrtime.bigint();
      spawnLater(0.05, () => undefined);
      assert.equal(yield* wait(), true);
      assert.ok(elapsed(started) >= 0.045);
      const late = spawnLater(10, () => undefined);
      assert.equal(yield* wait(null, { timeout: 0.05 }), false);
      assert.equal(late.dead, false);
      late.kill();
      const again = process.hrtime.bigint();
      assert.equal(yield* wait(), true);
      assert.ok(elapsed(again) < 1);
    });
  });

  it('await wait() from async code', async () => {
    spawn(sleeper(0.01));
    assert.equal(await wait(), true);
  });

  describe('iwait', () => {
    it('yields objects as they become ready, then ends', async () => {
      await run(function* () {
        const a = spawn(sleeper(0.02));
        const b = spawn(sleeper(0.01));
        const it = iwait([a, b]);
        const seen: unknown[] = [];
        for (;;) {
          const step = yield* it.next();
          if (step.done) break;
          seen.push(step.value);
        }
        assert.deepEqual(seen, [b, a]);
      });
    });

    it('count limits and timeout ends the iteration silently', async () => {
      await run(function* () {
        const a = spawn(sleeper(0.01));
        const b = spawn(sleeper(1));
        const it = iwait([a, b], { count: 1 });
        assert.equal((yield* it.next()).value, a);
        assert.equal((yield* it.next()).done, true);
        const slow = iwait([b], { timeout: 0.01 });
        assert.equal((yield* slow.next()).done, true);
        b.kill();
      });
    });

    it('close() unlinks everything not yet consumed (test__iwait)', async () => {
      await run(function* () {
        const a = spawn(sleeper(0.01));
        const b = spawn(sleeper(1));
        const it = iwait([a, b]);
        assert.equal((yield* it.next()).value, a);
        assert.equal(b.linkcount(), 1);
        it.close();
        assert.equal(b.linkcount(), 0);
        b.kill();
      });
    });

    it('works with for await from async code', async () => {
      const a = spawn(sleeper(0.02, 'a'));
      const b = spawn(sleeper(0.01, 'b'));
      const seen: unknown[] = [];
      // TypeScript types for-await values as awaited, and a Greenlet is thenable: cast back.
      for await (const g of iwait([a, b])) seen.push((g as unknown as Greenlet).value);
      assert.deepEqual(seen, ['b', 'a']);
      const c = spawn(sleeper(1));
      const d = spawn(sleeper(0.001));
      for await (const g of iwait([c, d])) {
        assert.equal(g, d);
        break;
      }
      assert.equal(c.linkcount(), 0);
      c.kill();
    });
  });

  describe('killAll', () => {
    let restore: (() => void) | undefined;
    beforeEach(() => {
      const hub = getHub();
      const original = hub.handleError;
      hub.handleError = () => undefined;
      restore = () => (hub.handleError = original);
    });
    afterEach(() => restore?.());

    it('kills everything; unstarted ones never run', async () => {
      await run(function* () {
        const log: string[] = [];
        const started = [spawn(sleeper(10)), spawn(sleeper(10))];
        const unstarted = new Greenlet(() => log.push('ran'));
        yield* sleep(0);
        yield* killAll([...started, unstarted]);
        assert.ok([...started, unstarted].every((g) => g.dead));
        assert.deepEqual(log, []);
      });
    });

    it('raises Timeout when survivors remain after the timeout', async () => {
      await run(function* () {
        const stubborn = spawn(function* () {
          try {
            yield* sleep(10);
          } catch {
            yield* sleep(1);
          }
        });
        yield* sleep(0);
        const error = yield* caught(() => killAll([stubborn], { timeout: 0.05 }));
        assert.ok(error instanceof Timeout);
        assert.equal(stubborn.dead, false);
        yield* stubborn.kill(new Error('now'));
      });
    });

    it('not-started greenlets with a timeout all die', async () => {
      await run(function* () {
        const gs = [new Greenlet(() => 1), spawn(() => 2)];
        yield* killAll(gs, { timeout: 0.5 });
        assert.ok(gs.every((g) => g.dead));
      });
    });

    it('block false returns at once; they die on the next turn', async () => {
      await run(function* () {
        const gs = [spawn(sleeper(10)), spawn(sleeper(10))];
        yield* sleep(0);
        yield* killAll(gs, { block: false });
        assert.ok(gs.every((g) => !g.dead));
        yield* sleep(0.001);
        assert.ok(gs.every((g) => g.dead));
      });
    });
  });

  describe('bad input', () => {
    it('rejects non-iterables, non-waitables, bad timeouts and counts', () => {
      const g = new Greenlet(() => 1);
      assert.throws(() => joinAll(5 as unknown as Greenlet[]), { name: 'TypeError', message: /"greenlets"/ });
      assert.throws(() => joinAll([5 as unknown as Greenlet]), { name: 'TypeError', message: /"greenlets\[0\]"/ });
      assert.throws(() => wait([{} as unknown as Greenlet]), { name: 'TypeError', message: /"objects\[0\]"/ });
      assert.throws(() => iwait(null as unknown as Greenlet[]), TypeError);
      assert.throws(() => joinAll([g], { timeout: -1 }), { name: 'RangeError', message: /"options.timeout"/ });
      assert.throws(() => joinAll([g], { timeout: NaN }), RangeError);
      assert.throws(() => joinAll([g], { count: -1 }), { name: 'RangeError', message: /"options.count"/ });
      assert.throws(() => joinAll([g], { raiseError: 'yes' as unknown as boolean }), TypeError);
      assert.throws(() => killAll([g], { exception: 42 as unknown as Error }), { name: 'TypeError', message: /"exception"/ });
      assert.throws(() => killAll([g], { timeout: -5 }), RangeError);
      assert.throws(() => wait([g], 5 as unknown as object), { name: 'TypeError', message: /"options"/ });
    });
  });
});
