import { strict as assert } from 'node:assert';
import { once, EventEmitter } from 'node:events';
import * as dns from 'node:dns';
import * as fs from 'node:fs';
import * as util from 'node:util';

import { BlockingSwitchOutError, GreenletExit, monkey, run, sleep, spawn, Timeout, withTimeout } from '../../lib';
import type { Operation } from '../../lib';
import { distBuilt, runInPackage } from './helpers';

// Under the patch a promise is an operation; the typing is opt-in
// (greenhub/promises), so these tests say it with a cast.
function op<T>(promise: Promise<T>): Operation<T> {
  return promise as unknown as Operation<T>;
}

/** A promise-based "database client", as libraries written for async code look. */
class FakeDb {
  queries = 0;
  async query(sql: string): Promise<{ sql: string; rows: number[] }> {
    this.queries++;
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (sql.includes('bad')) throw new SyntaxError(`near "${sql}"`);
    return { sql, rows: [1, 2, 3] };
  }
}

describe('monkey: promises', () => {
  afterEach(() => monkey.unpatch());

  it('off: yield* on a promise fails as plain JS does (not iterable)', async () => {
    await assert.rejects(
      run(function* () {
        return yield* op(Promise.resolve(1));
      }),
      { name: 'TypeError', message: /is not iterable/ },
    );
    assert.equal(Symbol.iterator in Promise.resolve(), false);
  });

  it('on: yield* gives a promise\'s value, or raises its rejection where it can be caught', async () => {
    monkey.patch('promises');
    const result = await run(function* () {
      const value = yield* op(Promise.resolve(41));
      let caught: unknown;
      try {
        yield* op(Promise.reject(new RangeError('no')));
      } catch (error) {
        caught = error;
      }
      return [value + 1, (caught as Error).message];
    });
    assert.deepEqual(result, [42, 'no']);
  });

  it('libraries that return promises work from greenlets unchanged', async () => {
    monkey.patch('promises');
    const db = new FakeDb();
    const results = await run(function* () {
      const greenlets = [1, 2, 3].map((n) =>
        spawn(function* () {
          const { rows } = yield* op(db.query(`select ${n}`));
          return rows.length * n;
        }),
      );
      const text = yield* op(fs.promises.readFile(__filename, 'utf8'));
      const { address } = yield* op(dns.promises.lookup('localhost', { family: 4 }));
      const emitter = new EventEmitter();
      setTimeout(() => emitter.emit('ready', 'payload'), 2);
      const [payload] = yield* op(once(emitter, 'ready'));
      const sleepy = yield* op(util.promisify(setTimeout)(2, 'promisified'));
      let failure = '';
      try {
        yield* op(db.query('bad sql'));
      } catch (error) {
        failure = (error as Error).name;
      }
      const sums: number[] = [];
      for (const g of greenlets) sums.push(yield* g.get());
      return { sums, hasText: text.includes('FakeDb'), address, payload, sleepy, failure };
    });
    assert.deepEqual(results, {
      sums: [3, 6, 9],
      hasText: true,
      address: '127.0.0.1',
      payload: 'payload',
      sleepy: 'promisified',
      failure: 'SyntaxError',
    });
    assert.equal(db.queries, 4);
  });

  it('a greenlet waiting on a promise can be killed or timed out (its finally runs; the late result is dropped)', async () => {
    monkey.patch('promises');
    const cleaned: string[] = [];
    const slow = new Promise<string>((resolve) => setTimeout(() => resolve('late'), 50));
    const g = spawn(function* () {
      try {
        yield* op(slow);
      } finally {
        cleaned.push('killed');
      }
    });
    await sleep(0.005);
    await g.kill();
    assert.ok((g.value as unknown) instanceof GreenletExit);
    await assert.rejects(
      run(function* () {
        yield* withTimeout(0.005, function* () {
          yield* op(slow);
        });
      }),
      (error: unknown) => error instanceof Timeout,
    );
    assert.equal(await slow, 'late');
    assert.deepEqual(cleaned, ['killed']);
  });

  it('a Promise subclass is an operation too', async () => {
    monkey.patch('promises');
    class Deferred<T> extends Promise<T> {}
    const value = await run(function* () {
      return yield* op(new Deferred<string>((resolve) => resolve('sub')));
    });
    assert.equal(value, 'sub');
  });

  it('spreading or Array.from() of a promise fails clearly instead of misbehaving', async () => {
    monkey.patch('promises');
    assert.throws(() => [...(Promise.resolve(1) as unknown as Iterable<unknown>)], BlockingSwitchOutError);
    assert.throws(() => Array.from(Promise.resolve(1) as unknown as Iterable<unknown>), {
      message: /A promise is iterable only to be yield\*-ed inside a greenlet/,
    });
    await assert.rejects(
      run(function* () {
        return [...(new Promise(() => undefined) as unknown as Iterable<unknown>)];
      }),
      { code: 'ERR_INVALID_STATE', message: /resumed before the promise settled/ },
    );
  });

  it('what the patch changes is visible, and unpatch removes it', () => {
    const promise = Promise.resolve('x');
    const inspected = util.inspect(promise);
    monkey.patch('promises');
    assert.equal(Symbol.iterator in promise, true);
    assert.deepEqual(Object.keys(promise), []);
    assert.equal(Object.getOwnPropertyDescriptor(Promise.prototype, Symbol.iterator)?.enumerable, false);
    // inspect and Promise.all are not confused by it.
    assert.equal(util.inspect(promise), inspected);
    monkey.unpatch('promises');
    assert.equal(Symbol.iterator in promise, false);
    assert.equal(Object.getOwnPropertyDescriptor(Promise.prototype, Symbol.iterator), undefined);
  });

  it('unpatch restores an iterator someone else had installed, exactly', () => {
    const theirs = function* () {
      yield 'theirs';
    };
    Object.defineProperty(Promise.prototype, Symbol.iterator, { value: theirs, configurable: true, writable: false, enumerable: false });
    try {
      monkey.patch('promises');
      assert.notEqual((Promise.prototype as unknown as Iterable<unknown>)[Symbol.iterator], theirs);
      monkey.unpatch('promises');
      assert.deepEqual(Object.getOwnPropertyDescriptor(Promise.prototype, Symbol.iterator), {
        value: theirs,
        configurable: true,
        writable: false,
        enumerable: false,
      });
    } finally {
      delete (Promise.prototype as unknown as Record<symbol, unknown>)[Symbol.iterator];
    }
  });

  it("require('greenhub/promises') applies the patch (package export)", function () {
    if (!distBuilt()) this.skip();
    const result = runInPackage(
      'script.js',
      `require('greenhub/promises');
      const { run, monkey } = require('greenhub');
      run(function* () { return yield* Promise.resolve('typed away'); }).then((v) => console.log(v, monkey.isPatched('promises')));`,
    );
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'typed away true');
  });
});
