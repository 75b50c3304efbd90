import { strict as assert } from 'node:assert';

import { Greenlet, killAll, run, sleep, spawn, Timeout, wait, withTimeout, type Operation } from '../../lib/core';
import { Group, Pool } from '../../lib/sync';
import { caught, elapsed, ExpectedError, waitGeneric, withCapturedErrors } from './helpers';

const DELAY = 0.05;

class SpecialError extends Error {}

/** A greenlet body that swallows every kill but SpecialError, counting the shots. */
function undead(): { shots: number; body: () => Operation<void> } {
  const state = {
    shots: 0,
    *body(): Operation<void> {
      for (;;) {
        try {
          yield* sleep(1);
        } catch (error) {
          if (error instanceof SpecialError) return;
          state.shots++;
        }
      }
    },
  };
  return state;
}

describe('Group (gevent test__greenletset)', () => {
  waitGeneric('join() on a busy group', (timeout) => {
    const group = new Group();
    group.spawn(() => sleep(2, { ref: false }));
    return group.join({ timeout });
  }, false);

  it('kill(), killAll() and killOne() take the exception first, as gevent does, or in options', async () => {
    await run(function* () {
      class Stop extends Error {}
      const s = new Group();
      const a = s.spawn(() => sleep(2));
      const b = s.spawn(() => sleep(2));
      yield* s.killOne(a, Stop, { timeout: 1 });
      assert.ok(a.exception instanceof Stop);
      yield* s.kill(new Stop('bye'), { timeout: 1 });
      assert.equal((b.exception as Error).message, 'bye');
      const c = s.spawn(() => sleep(2));
      yield* s.killAll({ exception: Stop });
      assert.ok(c.exception instanceof Stop);
      assert.throws(() => s.kill(5 as unknown as Error), { name: 'TypeError', message: /"options"/ });
      assert.throws(() => s.kill({} as Error, {}), { name: 'TypeError', message: /"exception"/ });
      assert.throws(() => s.kill(Stop, 5 as unknown as object), { name: 'TypeError', message: /"options"/ });
    });
  });

  it('freeCount() is 1 and full() false: a Group always has room', () => {
    const s = new Group();
    assert.equal(s.freeCount(), 1);
    assert.equal(s.full(), false);
  });

  it('tracks members until they die: 1, then 2, then 1, then empty', async () => {
    await run(function* () {
      const s = new Group();
      s.spawn(() => sleep(DELAY));
      assert.equal(s.length, 1);
      s.spawn(() => sleep(DELAY * 4));
      assert.equal(s.length, 2);
      yield* sleep(DELAY * 2);
      assert.equal(s.length, 1);
      yield* s.join();
      assert.equal(s.length, 0);
      assert.equal(s.ready(), true);
    });
  });

  it('join({ raiseError }) waits for all; kill() empties it at once; kill({ block: false }) on the next turn', async () => {
    await run(function* () {
      const s = new Group();
      s.spawn(() => sleep(DELAY));
      s.spawn(() => sleep(DELAY * 2));
      let started = process.hrtime.bigint();
      assert.equal(yield* s.join({ raiseError: true }), true);
      const took = elapsed(started);
      assert.ok(took >= DELAY * 1.9 && took < DELAY * 2 + 1.5, `took ${took}`);

      s.spawn(() => sleep(10));
      s.spawn(() => sleep(10));
      started = process.hrtime.bigint();
      yield* s.kill();
      assert.equal(s.length, 0);
      assert.ok(elapsed(started) < 5, 'a blocking kill does not wait for the 10 s sleeps');

      s.spawn(() => sleep(10));
      s.spawn(() => sleep(10));
      yield* sleep(0);
      yield* s.kill({ block: false });
      assert.equal(s.length, 2);
      yield* sleep(0.0001);
      assert.equal(s.length, 0);
    });
  });

  it('join({ raiseError }) raises the error of a member that failed', async () => {
    await withCapturedErrors(async () => {
      await run(function* () {
        const s = new Group();
        const error = new ExpectedError();
        s.spawn(() => sleep(0.01));
        s.spawn(() => {
          throw error;
        });
        assert.equal(yield* caught(() => s.join({ raiseError: true })), error);
        assert.equal(yield* s.join(), true, 'without raiseError it never raises');
      });
    });
  });

  it('kills fire once: killOne and repeated kill() do not shoot a dying greenlet again (test_kill_fires_once)', async () => {
    await run(function* () {
      const [u1, u2] = [undead(), undead()];
      const p1 = spawn(u1.body);
      const p2 = spawn(u2.body);
      const check = (c1: number, c2: number): void => {
        assert.equal(p1.dead || p2.dead, false);
        assert.deepEqual([u1.shots, u2.shots], [c1, c2]);
      };
      yield* sleep(0.01);
      const s = new Group([p1, p2]);
      assert.equal(s.length, 2);
      check(0, 0);
      yield* s.killOne(p1, { block: false });
      check(0, 0);
      yield* sleep(0);
      check(1, 0);
      yield* s.killOne(p1);
      check(1, 0);
      yield* s.killOne(p1);
      check(1, 0);
      yield* s.kill({ block: false });
      yield* s.kill({ block: false });
      yield* s.kill({ block: false });
      check(1, 0);
      yield* sleep(DELAY);
      check(1, 1);
      const X = {};
      const result = yield* withTimeout(DELAY, () => s.kill({ block: true }), { timeoutValue: X });
      assert.equal(result, X);
      assert.equal(s.length, 2);
      check(1, 1);
      yield* s.kill({ timeout: 0.01 });
      assert.equal(s.length, 2, 'kill({ timeout }) gives up silently');
      p1.kill(SpecialError);
      p2.kill(SpecialError);
      yield* s.join();
    });
  });

  it('kill() also kills greenlets spawned into the group while the others die', async () => {
    await run(function* () {
      const s = new Group();
      s.spawn(function* () {
        try {
          yield* sleep(10);
        } finally {
          s.spawn(() => sleep(10));
        }
      });
      yield* sleep(0);
      yield* s.kill();
      assert.equal(s.length, 0);
    });
  });

  it('killAll on the members, not started: all dead; started and stubborn: Timeout, alive', async () => {
    await run(function* () {
      const s = new Group();
      const gs = [s.spawn(() => sleep(1)), s.spawn(() => sleep(1))];
      yield* killAll(gs, { timeout: 0.5 });
      assert.ok(gs.every((g) => g.dead));
      const stubborn = new Group();
      const hs = [0, 1].map(() =>
        stubborn.spawn(function* () {
          try {
            yield* sleep(10);
          } catch {
            yield* sleep(0.3);
          }
        }),
      );
      yield* sleep(0);
      assert.ok((yield* caught(() => killAll(hs, { timeout: 0.02 }))) instanceof Timeout);
      assert.ok(hs.every((g) => !g.dead));
      yield* stubborn.join();
    });
  });

  it('discard() stops tracking; add() of a dead greenlet drops it on the next turn; wait([group]) waits for empty', async () => {
    await run(function* () {
      const s = new Group();
      const g = s.spawn(() => sleep(0.01));
      s.discard(g);
      assert.equal(s.length, 0);
      assert.equal(g.linkcount(), 0);
      const dead = spawn(() => 1);
      yield* dead.join();
      s.add(dead);
      assert.equal(s.has(dead), true);
      yield* sleep(0);
      assert.equal(s.has(dead), false);
      s.spawn(() => sleep(0.01));
      assert.deepEqual(yield* wait([s]), [s]);
      assert.equal(s.full(), false);
      yield* s.waitAvailable();
    });
  });

  it('map, imap and apply work on a Group (no bound)', async () => {
    await run(function* () {
      const s = new Group();
      assert.deepEqual(
        yield* s.map((x: number) => x + 1, [1, 2, 3]),
        [2, 3, 4],
      );
      const it = s.imap((x: number) => x * 2, new Set([1, 2]));
      assert.deepEqual([(yield* it.next()).value, (yield* it.next()).value, (yield* it.next()).done], [2, 4, true]);
      assert.equal(yield* s.apply((a: string) => a + '!', ['hi']), 'hi!');
    });
  });

  describe('as a structured-concurrency scope', () => {
    it('leaving the body normally kills and joins what is still running; the result is returned', async () => {
      await run(function* () {
        const log: string[] = [];
        let child: Greenlet | undefined;
        const result = yield* Group.scope(function* (group) {
          child = group.spawn(function* () {
            try {
              yield* sleep(10);
            } finally {
              log.push('child cleanup');
            }
          });
          group.spawn(() => log.push('quick'));
          yield* sleep(0);
          return 42;
        });
        assert.equal(result, 42);
        assert.deepEqual(log, ['quick', 'child cleanup']);
        assert.equal(child?.dead, true);
      });
    });

    it('an error in the body kills the children, then propagates', async () => {
      await run(function* () {
        const error = new ExpectedError();
        let child: Greenlet | undefined;
        const thrown = yield* caught(() =>
          Group.scope(function* (group) {
            child = group.spawn(() => sleep(10));
            yield* sleep(0);
            throw error;
          }),
        );
        assert.equal(thrown, error);
        assert.equal(child?.dead, true);
      });
    });

    it('composes with Timeout: an outer timeout ends the scope and kills the children', async () => {
      await run(function* () {
        const children: Greenlet[] = [];
        const timeout = new Timeout(0.02);
        const thrown = yield* caught(() =>
          timeout.run(() =>
            Group.scope(function* (group) {
              for (let i = 0; i < 3; i++) children.push(group.spawn(() => sleep(10)));
              yield* sleep(10);
            }),
          ),
        );
        assert.equal(thrown, timeout);
        assert.ok(children.every((g) => g.dead));
      });
    });

    it('killing the greenlet running the scope kills its children; scopes nest', async () => {
      await run(function* () {
        const children: Greenlet[] = [];
        const owner = spawn(() =>
          Group.scope(function* (outer) {
            children.push(outer.spawn(() => sleep(10)));
            yield* Group.scope(function* (inner) {
              children.push(inner.spawn(() => sleep(10)));
              yield* sleep(10);
            });
          }),
        );
        yield* sleep(0.005);
        assert.equal(children.length, 2);
        yield* owner.kill();
        assert.ok(children.every((g) => g.dead));
      });
    });

    it('Pool.scope and pool.run bound the concurrency inside the scope', async () => {
      await run(function* () {
        let running = 0;
        let peak = 0;
        const results = yield* Pool.scope(2, (pool) =>
          pool.map(function* (x: number) {
            running++;
            peak = Math.max(peak, running);
            yield* sleep(0.001);
            running--;
            return x * 10;
          }, [1, 2, 3, 4, 5]),
        );
        assert.deepEqual(results, [10, 20, 30, 40, 50]);
        assert.equal(peak, 2);
        const pool = new Pool(1);
        assert.equal(yield* pool.run(async () => 'async body'), 'async body');
      });
    });

    it('works from async code', async () => {
      let child: Greenlet | undefined;
      const value = await Group.scope(function* (group) {
        child = group.spawn(() => sleep(10));
        yield* sleep(0);
        return 'done';
      });
      assert.equal(value, 'done');
      assert.equal(child?.dead, true);
    });
  });

  it('rejects bad arguments', () => {
    const s = new Group();
    assert.throws(() => s.add({} as Greenlet), { name: 'TypeError', message: /"greenlet"/ });
    assert.throws(() => s.kill({ timeout: NaN }), RangeError);
    assert.throws(() => s.kill({ block: 1 as unknown as boolean }), TypeError);
    assert.throws(() => s.join({ raiseError: 'x' as unknown as boolean }), TypeError);
    assert.throws(() => s.run(null as unknown as () => void), { name: 'TypeError', message: /"body"/ });
    assert.throws(() => s.map((x: number) => x, 5 as unknown as number[]), { name: 'TypeError', message: /iterable/ });
  });
});
