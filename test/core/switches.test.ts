import { strict as assert, AssertionError } from 'node:assert';

import { assertSwitches, FailedToSwitchError, GreenletExit, run, sleep, spawn, withTimeout } from '../../lib/core';
import { ExpectedError } from './helpers';

function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

describe('assertSwitches', () => {
  it('passes when no stretch between switches is longer than maxBlockingTime, and returns the result', async () => {
    const result = await run(function* () {
      return yield* assertSwitches(0.2, function* () {
        for (let i = 0; i < 5; i++) {
          busy(5);
          yield* sleep(0);
        }
        return 'done';
      });
    });
    assert.equal(result, 'done');
  });

  it('fails, after the body ran to its end, when one stretch ran too long', async () => {
    let finished = false;
    await assert.rejects(
      run(function* () {
        yield* assertSwitches(0.05, function* () {
          yield* sleep(0);
          busy(120);
          yield* sleep(0);
          finished = true;
        });
      }),
      (error: unknown) => {
        assert.ok(error instanceof FailedToSwitchError);
        assert.ok(error instanceof AssertionError);
        assert.equal(error.code, 'ERR_ASSERTION');
        assert.ok(error.longestRun >= 0.1, String(error.longestRun));
        assert.equal(error.switches, 2);
        assert.equal(error.maxBlockingTime, 0.05);
        assert.match(error.message, /ran \d+\.\d ms without switching \(maxBlockingTime 50 ms; 2 switch\(es\)\)/);
        return true;
      },
    );
    assert.equal(finished, true);
  });

  it('times only the current greenlet: time other greenlets take while it waits does not count', async () => {
    const hog = spawn(function* () {
      yield* sleep(0.005);
      busy(100);
    });
    await run(function* () {
      yield* assertSwitches(0.05, function* () {
        yield* sleep(0.02);
      });
    });
    await hog.join();
  });

  it('with null, fails only if the body never switched', async () => {
    await run(function* () {
      yield* assertSwitches(null, function* () {
        busy(60);
        yield* sleep(0);
        busy(60);
      });
    });
    await assert.rejects(
      run(function* () {
        yield* assertSwitches(null, () => 42);
      }),
      { name: 'FailedToSwitchError', message: /never switched to the hub/ },
    );
  });

  it('takes an operation, a plain function, or a function returning a promise (waiting on it is a switch)', async () => {
    assert.equal(await assertSwitches(0.5, sleep(0.001)), undefined);
    assert.equal(await assertSwitches(0.5, () => 'plain'), 'plain');
    assert.equal(await assertSwitches(null, () => new Promise((resolve) => setTimeout(() => resolve('later'), 5))), 'later');
  });

  it('lets the body\'s own error through unchecked', async () => {
    await assert.rejects(
      run(function* () {
        yield* assertSwitches(0.001, () => {
          busy(20);
          throw new ExpectedError('own');
        });
      }),
      { name: 'ExpectedError', message: 'own' },
    );
  });

  it('hands a kill or a timeout to the body at its blocking point, so its cleanup runs', async () => {
    const cleaned: string[] = [];
    const g = spawn(function* () {
      yield* assertSwitches(1, function* () {
        try {
          yield* sleep(10);
        } finally {
          cleaned.push('finally');
        }
      });
    });
    await sleep(0.01);
    await g.kill();
    assert.deepEqual(cleaned, ['finally']);
    assert.ok((g.value as unknown) instanceof GreenletExit);
    await assert.rejects(
      run(function* () {
        yield* withTimeout(0.01, () => assertSwitches(1, sleep(5)));
      }),
      { name: 'Timeout' },
    );
  });

  it('rejects a bad maxBlockingTime or body, naming them', () => {
    assert.throws(() => assertSwitches(-1, sleep(0)), { name: 'RangeError', message: /"maxBlockingTime"/ });
    assert.throws(() => assertSwitches(Infinity, sleep(0)), { name: 'RangeError', message: /"maxBlockingTime"/ });
    assert.throws(() => assertSwitches('1' as unknown as number, sleep(0)), { name: 'TypeError', message: /"maxBlockingTime"/ });
    assert.throws(() => assertSwitches(1, 42 as unknown as () => void), { name: 'TypeError', message: /"body" argument must be an operation or a function/ });
  });

  it('outside a greenlet, awaited, it runs in a new greenlet', async () => {
    await assert.rejects(Promise.resolve(assertSwitches(0.01, () => busy(50))), FailedToSwitchError);
  });
});
