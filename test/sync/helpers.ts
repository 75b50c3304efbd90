// Shared test helpers for lib/sync: ports of gevent's generic waiting
// mixins (AbstractGenericWaitTestCase / AbstractGenericGetTestCase, see
// gevent-semantics §4), applied to every waiting API.
import { strict as assert } from 'node:assert';

import { run, sleep, spawn, Timeout, type Operation, type TimeoutArg } from '../../lib/core';
import { caught, elapsed } from '../core/helpers';

export { caught, elapsed, ExpectedError, withCapturedErrors } from '../core/helpers';

// Generous bounds: the machine is shared and loaded.
const SMALL_TICK = 0.02;
const MIN_ADJ = 0.005;
const MAX_ADJ = 1.5;

/** An Error like Python's RuntimeError, for Timeout(t, error). */
class RuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeError';
  }
}

/**
 * gevent's wait-generic: `wait(timeout)` returns its "nothing" value in
 * time, and an outer Timeout around `wait(1)` propagates as itself.
 * `setup` runs in the waiting greenlet first (it returns the wait).
 */
export function waitGeneric(title: string, wait: (timeout: TimeoutArg) => Operation<unknown>, nothing: unknown): void {
  describe(`${title}: wait-generic`, () => {
    it('returns its nothing value after the timeout', async () => {
      await run(function* () {
        const started = process.hrtime.bigint();
        assert.deepEqual(yield* wait(SMALL_TICK), nothing);
        const took = elapsed(started);
        assert.ok(took >= SMALL_TICK - MIN_ADJ, `returned after ${took}s`);
        assert.ok(took <= SMALL_TICK + MAX_ADJ, `returned after ${took}s`);
      });
    });

    it('an outer Timeout propagates as that instance', async () => {
      await run(function* () {
        const outer = Timeout.startNew(0.001, undefined, { ref: false });
        try {
          assert.equal(yield* caught(() => wait(1)), outer);
        } finally {
          outer.close();
        }
      });
    });
  });
}

/**
 * gevent's get-generic: `get(timeout: seconds)` raises `Kind` in time;
 * `get(timeout: Timeout)` raises that Timeout; a Timeout carrying an
 * error raises the error; an outer Timeout propagates as itself.
 */
export function getGeneric(
  title: string,
  get: (timeout: TimeoutArg) => Operation<unknown>,
  Kind: new (...args: never[]) => Error,
): void {
  describe(`${title}: get-generic`, () => {
    it(`raises ${Kind.name} after a timeout in seconds`, async () => {
      await run(function* () {
        const started = process.hrtime.bigint();
        const error = yield* caught(() => get(SMALL_TICK));
        assert.ok(error instanceof Kind, `got ${String(error)}`);
        const took = elapsed(started);
        assert.ok(took >= SMALL_TICK - MIN_ADJ && took <= SMALL_TICK + MAX_ADJ, `raised after ${took}s`);
      });
    });

    it('raises a Timeout given as the timeout', async () => {
      await run(function* () {
        const timeout = new Timeout(SMALL_TICK);
        assert.equal(yield* caught(() => get(timeout)), timeout);
        assert.equal(timeout.pending, false);
      });
    });

    it("raises the error a Timeout carries", async () => {
      await run(function* () {
        const error = new RuntimeError('expected');
        assert.equal(yield* caught(() => get(new Timeout(SMALL_TICK, error))), error);
      });
    });

    it('an outer Timeout propagates as that instance', async () => {
      await run(function* () {
        const outer = Timeout.startNew(0.001, undefined, { ref: false });
        try {
          assert.equal(yield* caught(() => get(1)), outer);
        } finally {
          outer.close();
        }
      });
    });
  });
}

/**
 * Kills a greenlet parked in `wait()` and checks it left nothing behind:
 * `waiters()` back to what it was before.
 */
export function* killWhileWaiting(wait: () => Operation<unknown>, waiters: () => number): Operation<void> {
  const before = waiters();
  const log: string[] = [];
  const g = spawn(function* () {
    try {
      yield* wait();
      log.push('returned');
    } finally {
      log.push('finally');
    }
  });
  yield* sleep(0.005);
  assert.equal(waiters(), before + 1, 'the greenlet is parked');
  yield* g.kill();
  assert.equal(g.dead, true);
  assert.deepEqual(log, ['finally']);
  assert.equal(waiters(), before, 'no waiter left behind');
}
