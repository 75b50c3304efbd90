import { strict as assert } from 'node:assert';

import { joinAll, run, sleep, spawn, until, type Operation, type Task } from '../../lib/core';
import { ExpectedError, withCapturedErrors } from './helpers';

describe('run() and awaitable operations', () => {
  it('run() resolves with the greenlet result and passes arguments', async () => {
    assert.equal(
      await run(function* (a: number, b: number) {
        yield* sleep(0);
        return a * b;
      }, 6, 7),
      42,
    );
  });

  it('run() rejects with the error, without printing it', async () => {
    await withCapturedErrors(async (errors) => {
      await assert.rejects(
        run(function* () {
          yield* sleep(0);
          throw new ExpectedError('from run');
        }),
        /from run/,
      );
      assert.deepEqual(errors, []);
    });
  });

  it('top-level operations are awaitable from async code', async () => {
    await sleep(0.001);
    const g = spawn(() => 'x');
    assert.deepEqual(await joinAll([g]), [g]);
    assert.equal(await g.join(), true);
    assert.equal(await g.get(), 'x');
    assert.equal(await until(Promise.resolve(1)), 1);
  });

  it('an operation is lazy: nothing runs until it is yield*-ed or awaited', async () => {
    let ran = false;
    const op = (function* (): Operation<void> {
      ran = true;
    })();
    await sleep(0.001);
    assert.equal(ran, false);
    await run(function* () {
      yield* op;
    });
    assert.equal(ran, true);
  });

  it('types: yield* of a task gives its result type', async () => {
    const result = await run(function* () {
      const joined: boolean = yield* spawn(() => 1).join();
      const task: Task<number> = spawn(() => 2).get();
      const value: number = yield* task;
      return [joined, value] as const;
    });
    assert.deepEqual(result, [true, 2]);
  });
});
