import { strict as assert } from 'node:assert';

import { getHub, run, sleep, spawn, Timeout, until } from '../../lib/core';
import { ExpectedError } from './helpers';

describe('until(promise)', () => {
  it('returns the value a promise resolves to', async () => {
    const value = await run(function* () {
      return yield* until(new Promise<number>((resolve) => setTimeout(() => resolve(42), 10)));
    });
    assert.equal(value, 42);
  });

  it('raises the rejection', async () => {
    const error = await run(function* () {
      try {
        yield* until(Promise.reject(new ExpectedError('no')));
      } catch (e) {
        return e;
      }
      return undefined;
    });
    assert.ok(error instanceof ExpectedError);
  });

  it('returns plain values as they are, and works with thenables', async () => {
    const result = await run(function* () {
      const plain = yield* until(5);
      const thenable = yield* until({ then: (resolve: (v: string) => void) => resolve('t') } as PromiseLike<string>);
      return [plain, thenable];
    });
    assert.deepEqual(result, [5, 't']);
  });

  it('other greenlets run while one waits on a promise', async () => {
    await run(function* () {
      const log: string[] = [];
      const waiter = spawn(function* () {
        yield* until(new Promise((resolve) => setTimeout(resolve, 20)));
        log.push('promise');
      });
      spawn(function* () {
        yield* sleep(0.005);
        log.push('sleeper');
      });
      yield* waiter.join();
      assert.deepEqual(log, ['sleeper', 'promise']);
    });
  });

  it('a pending promise counts as work: no LoopExit while it is pending', async () => {
    const value = await run(function* () {
      return yield* until(new Promise((resolve) => setTimeout(() => resolve('late'), 30)));
    });
    assert.equal(value, 'late');
  });

  it('a Timeout interrupts it and the pending count goes back', async () => {
    await run(function* () {
      const hub = getHub();
      const t = new Timeout(0.01);
      try {
        yield* t.run(() => until(new Promise(() => undefined)));
      } catch (error) {
        assert.equal(error, t);
      }
      assert.equal(hub._pendingPromises, 0);
    });
  });

  it('outside a greenlet it is awaitable', async () => {
    assert.equal(await until(Promise.resolve(3)), 3);
  });
});
