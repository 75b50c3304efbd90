import { strict as assert } from 'node:assert';
import { AsyncLocalStorage } from 'node:async_hooks';

import { Greenlet, monkey, run, sleep, spawn, until, type Operation } from '../../lib';

describe('monkey: context (AsyncLocalStorage follows greenlets)', () => {
  const als = new AsyncLocalStorage<string>();

  afterEach(() => monkey.unpatch());

  it('off: greenlets share the hub\'s async context, so enterWith() in one leaks into the others', async () => {
    const setter = spawn(function* () {
      als.enterWith('set by one greenlet');
      yield* sleep(0.01);
    });
    const other = spawn(function* () {
      yield* sleep(0.005);
      return als.getStore();
    });
    assert.equal(await other, 'set by one greenlet');
    await setter.join();
    // Clean the hub's context for the tests that follow.
    await run(function* () {
      als.enterWith(undefined as unknown as string);
    });
  });

  it('on: a greenlet inherits the store current where it was started, and keeps it across switches', async () => {
    monkey.patch('context');
    const body = function* (): Operation<(string | undefined)[]> {
      const before = als.getStore();
      yield* sleep(0.005);
      return [before, als.getStore()];
    };
    const a = als.run('A', () => spawn(body));
    const b = als.run('B', () => spawn(body));
    const none = spawn(body);
    assert.deepEqual(await a, ['A', 'A']);
    assert.deepEqual(await b, ['B', 'B']);
    assert.deepEqual(await none, [undefined, undefined]);
  });

  it('on: what a greenlet sets with enterWith() or run() stays its own', async () => {
    monkey.patch('context');
    const seen: Record<string, unknown[]> = { one: [], two: [] };
    const one = spawn(function* () {
      als.enterWith('one');
      yield* sleep(0.005);
      seen.one.push(als.getStore());
      als.run('inner', () => seen.one.push(als.getStore()));
      seen.one.push(als.getStore());
    });
    const two = spawn(function* () {
      yield* sleep(0.002);
      seen.two.push(als.getStore());
      als.enterWith('two');
      yield* sleep(0.006);
      seen.two.push(als.getStore());
    });
    await one.join();
    await two.join();
    assert.deepEqual(seen, { one: ['one', 'inner', 'one'], two: [undefined, 'two'] });
  });

  it('on: promises a greenlet makes, and links it spawns, carry its store', async () => {
    monkey.patch('context');
    async function readStore(): Promise<string | undefined> {
      await new Promise((resolve) => setTimeout(resolve, 2));
      return als.getStore();
    }
    const result = await als.run('request-42', () =>
      run(function* () {
        const fromPromise = yield* until(readStore());
        const child = spawn(function* () {
          yield* sleep(0);
          return als.getStore();
        });
        return [fromPromise, yield* child.get()];
      }),
    );
    assert.deepEqual(result, ['request-42', 'request-42']);
  });

  it('a greenlet started before the patch keeps the hub\'s context; unpatch restores Greenlet\'s methods', async () => {
    const methods = ['start', 'startLater', '_begin', '_resume'].map((name) => (Greenlet.prototype as unknown as Record<string, unknown>)[name]);
    const early = als.run('early', () => spawn(function* () {
      yield* sleep(0.005);
      return als.getStore();
    }));
    monkey.patch('context');
    assert.notEqual((Greenlet.prototype as unknown as Record<string, unknown>)._resume, methods[3]);
    assert.notEqual(await early, 'early');
    monkey.unpatch('context');
    assert.deepEqual(
      ['start', 'startLater', '_begin', '_resume'].map((name) => (Greenlet.prototype as unknown as Record<string, unknown>)[name]),
      methods,
    );
  });

  it('killed and failed greenlets are fine under the patch', async () => {
    monkey.patch('context');
    const sleeper = als.run('k', () => spawn(function* () {
      yield* sleep(10);
    }));
    await sleep(0);
    await sleeper.kill();
    assert.equal(sleeper.dead, true);
    const later = als.run('l', () =>
      Greenlet.spawnLater(0.001, function* () {
        return als.getStore();
      }),
    );
    assert.equal(await later, 'l');
    await assert.rejects(
      als.run('f', () =>
        run(function* () {
          yield* sleep(0);
          throw new Error(`failed in ${als.getStore()}`);
        }),
      ),
      { message: 'failed in f' },
    );
  });
});
