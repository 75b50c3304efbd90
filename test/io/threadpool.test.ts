import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { iwait, run, sleep, spawn, Timeout, wait } from '../../lib/core';
import { threadTask, ThreadPool, ThreadPoolError, ThreadResult } from '../../lib/io';
import { caught } from '../core/helpers';
import { runScript, tempDir } from '../helpers';

// Task functions are evaluated in the thread from their source: they use
// nothing from this file.
function blockFor(ms: number): number {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return ms;
}

function fib(n: number): number {
  const step = (a: number, b: number, k: number): number => (k === 0 ? a : step(b, a + b, k - 1));
  return step(0, 1, n);
}

describe('ThreadPool', () => {
  let pool: ThreadPool;
  beforeEach(() => {
    pool = new ThreadPool(2);
  });
  afterEach(() => pool.kill());

  it('apply() returns the value; spawn() returns a waitable ThreadResult', async () => {
    await run(function* () {
      assert.equal(yield* pool.apply((a: number, b: number) => a * b, [6, 7]), 42);
      assert.equal(yield* pool.apply(fib, [30]), 832040);
      const result = pool.spawn(fib, 10);
      assert.ok(result instanceof ThreadResult);
      assert.equal(yield* result.get(), 55);
      assert.ok(result.ready() && result.successful());
      assert.equal(result.value, 55);
      // Both threads started (a thread's start can take longer than a task).
      yield* pool.map(blockFor, [20, 20]);
      const results = [pool.spawn(blockFor, 200), pool.spawn(blockFor, 10)];
      const ready = yield* wait(results);
      assert.deepEqual(ready, [results[1], results[0]]);
      const order: number[] = [];
      const it = iwait([pool.spawn(blockFor, 200), pool.spawn(blockFor, 5)]);
      for (;;) {
        const step = yield* it.next();
        if (step.done === true) break;
        order.push(step.value.value as number);
      }
      assert.deepEqual(order, [5, 200]);
    });
  });

  it('errors cross back intact: class, name, message, stack, code and cause', async () => {
    await run(function* () {
      const typeError = yield* caught(() =>
        pool.apply(() => {
          const error = new TypeError('bad type');
          (error as Error & { code: string }).code = 'E_BAD';
          throw error;
        }),
      );
      assert.ok(typeError instanceof TypeError);
      assert.equal(typeError.message, 'bad type');
      assert.equal((typeError as Error & { code: string }).code, 'E_BAD');
      assert.match(String(typeError.stack), /TypeError: bad type/);

      const custom = yield* caught(() =>
        pool.apply(() => {
          class ValidationError extends Error {
            constructor(message: string) {
              super(message);
              this.name = 'ValidationError';
            }
          }
          throw new ValidationError('no good');
        }),
      );
      assert.ok(custom instanceof Error);
      assert.equal((custom as Error).name, 'ValidationError');
      assert.equal((custom as Error).message, 'no good');

      const withCause = yield* caught(() =>
        pool.apply(() => {
          throw new Error('outer', { cause: new RangeError('inner') });
        }),
      );
      assert.ok((withCause as Error).cause instanceof RangeError);

      const fsError = yield* caught(() => pool.apply(() => require('node:fs').readFileSync('/nonexistent/file')));
      assert.equal((fsError as NodeJS.ErrnoException).code, 'ENOENT');
      assert.equal((fsError as NodeJS.ErrnoException).syscall, 'open');

      assert.equal(
        yield* caught(() =>
          pool.apply(() => {
            throw 42;
          }),
        ),
        42,
      );
    });
  });

  it('results are structured clones; an uncloneable result fails the task; uncloneable arguments throw at once', async () => {
    await run(function* () {
      const value = yield* pool.apply(() => ({ map: new Map([['a', 1]]), when: new Date(0), bytes: new Uint8Array([1, 2]), nested: [null, 'x'] }));
      assert.ok(value.map instanceof Map && value.map.get('a') === 1);
      assert.ok(value.when instanceof Date);
      assert.deepEqual([...value.bytes], [1, 2]);
      const failed = yield* caught(() => pool.apply(() => () => 1));
      assert.equal((failed as Error).name, 'DataCloneError');
      assert.throws(() => pool.spawn((f: unknown) => f, () => 1), { name: 'DataCloneError' });
      pool.maxsize = 0;
      // Queued tasks' arguments are copied when they are queued, too.
      assert.throws(() => pool.spawn((f: unknown) => f, Symbol('x')), { name: 'DataCloneError' });
      assert.equal(pool.unfinished, 0);
    });
  });

  it('async functions, require() in a task, and modules named by path', async () => {
    const dir = tempDir();
    const module = path.join(dir, 'work.js');
    fs.writeFileSync(module, 'exports.square = (n) => n * n;\nexports.later = async (v) => { await new Promise((r) => setTimeout(r, 5)); return v; };\n');
    const single = path.join(dir, 'single.js');
    fs.writeFileSync(single, 'module.exports = (a, b) => a - b;\n');
    try {
      await run(function* () {
        assert.equal(yield* pool.apply(async (v: string) => `${v}!`, ['async']), 'async!');
        assert.equal(yield* pool.apply(() => typeof require('node:os').cpus), 'function');
        assert.deepEqual(yield* pool.map(threadTask<[number], number>(module, 'square'), [1, 2, 3]), [1, 4, 9]);
        assert.equal(yield* pool.apply(threadTask(module, 'later'), ['done']), 'done');
        assert.equal(yield* pool.apply(threadTask<[number, number], number>(single), [5, 3]), 2);
        const missing = yield* caught(() => pool.apply(threadTask(module, 'nope')));
        assert.ok(missing instanceof TypeError);
        assert.match((missing as Error).message, /no exported function "nope"/);
        const noModule = yield* caught(() => pool.apply(threadTask(path.join(dir, 'absent.js'), 'f')));
        assert.equal((noModule as NodeJS.ErrnoException).code, 'MODULE_NOT_FOUND');
      });
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('map keeps order, imap yields in order, imapUnordered in completion order', async () => {
    await run(function* () {
      assert.deepEqual(yield* pool.map(blockFor, [60, 10, 30]), [60, 10, 30]);
      assert.deepEqual(yield* pool.map(blockFor, []), []);
      const ordered: number[] = [];
      const imap = pool.imap(blockFor, [50, 5, 20]);
      for (;;) {
        const step = yield* imap.next();
        if (step.done === true) break;
        ordered.push(step.value);
      }
      assert.deepEqual(ordered, [50, 5, 20]);
      const unordered: number[] = [];
      const imapUnordered = pool.imapUnordered(blockFor, [150, 5]);
      for (;;) {
        const step = yield* imapUnordered.next();
        if (step.done === true) break;
        unordered.push(step.value);
      }
      assert.deepEqual(unordered, [5, 150]);
    });
    const seen: number[] = [];
    for await (const value of pool.imapUnordered((n: number) => n * 2, [1, 2, 3])) seen.push(value);
    assert.deepEqual(seen.sort(), [2, 4, 6]);
  });

  it('map raises the first failure in item order; an iterator raises when it reaches it', async () => {
    await run(function* () {
      const fails = (n: number): number => {
        if (n % 2 === 1) throw new RangeError(`odd ${n}`);
        return n;
      };
      const error = yield* caught(() => pool.map(fails, [2, 3, 5]));
      assert.ok(error instanceof RangeError && error.message === 'odd 3');
      const it = pool.imap(fails, [2, 3, 4]);
      assert.deepEqual(yield* it.next(), { done: false, value: 2 });
      assert.ok((yield* caught(() => it.next())) instanceof RangeError);
      assert.deepEqual(yield* it.next(), { done: true, value: undefined });
    });
  });

  it('runs at most maxsize tasks at once (a shared counter)', async () => {
    await run(function* () {
      const shared = new Int32Array(new SharedArrayBuffer(8));
      const task = (counter: Int32Array): number => {
        const now = Atomics.add(counter, 0, 1) + 1;
        for (;;) {
          const max = Atomics.load(counter, 1);
          if (now <= max || Atomics.compareExchange(counter, 1, max, now) === max) break;
        }
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 40);
        Atomics.sub(counter, 0, 1);
        return now;
      };
      yield* pool.map(task, Array.from({ length: 8 }, () => shared));
      assert.equal(shared[1], 2);
      assert.ok(pool.size <= 2);
    });
  });

  it('a greenlet waiting on a task does not block the hub', async () => {
    await run(function* () {
      let ticks = 0;
      const ticker = spawn(function* () {
        for (;;) {
          yield* sleep(0.01);
          ticks++;
        }
      });
      const spin = (ms: number): number => {
        const end = Date.now() + ms;
        let n = 0;
        while (Date.now() < end) n++;
        return n;
      };
      yield* pool.apply(spin, [400]);
      ticker.kill();
      assert.ok(ticks >= 5, `the hub ran ${ticks} ticks while the thread computed`);
    });
  });

  it('unfinished counts queued and running tasks; join() waits for them (test__threadpool len)', async () => {
    await run(function* () {
      const one = new ThreadPool(1);
      try {
        one.spawn(blockFor, 150);
        one.spawn(blockFor, 150);
        assert.equal(one.unfinished, 2);
        assert.equal(yield* one.join(0.01), false);
        const deadline = Date.now() + 10000;
        while (one.unfinished === 2 && Date.now() < deadline) yield* sleep(0.01);
        assert.equal(one.unfinished, 1);
        assert.equal(yield* one.join(), true);
        assert.equal(one.unfinished, 0);
      } finally {
        one.kill();
      }
    });
  });

  it('maxsize 0 pauses; raising it runs the queued tasks in order; 0 again lets the threads go (test__threadpool)', async () => {
    await run(function* () {
      const shared = new Int32Array(new SharedArrayBuffer(4));
      const ticket = (counter: Int32Array, tag: number): [number, number] => [Atomics.add(counter, 0, 1), tag];
      pool.maxsize = 0;
      const a = pool.spawn(ticket, shared, 1);
      const b = pool.spawn(ticket, shared, 2);
      yield* sleep(0.05);
      assert.equal(a.ready() || b.ready(), false);
      assert.equal(pool.size, 0);
      pool.maxsize = 1;
      assert.deepEqual([yield* a.get(), yield* b.get()], [
        [0, 1],
        [1, 2],
      ]);
      assert.equal(pool.size, 1);
      pool.maxsize = 0;
      assert.equal(pool.size, 0);
    });
  });

  it('get() and wait() time out like AsyncResult', async () => {
    await run(function* () {
      const result = pool.spawn(blockFor, 300);
      assert.ok((yield* caught(() => result.get({ block: false }))) instanceof Timeout);
      const started = Date.now();
      const timeout = yield* caught(() => result.get({ timeout: 0.02 }));
      assert.ok(timeout instanceof Timeout);
      assert.ok(Date.now() - started < 250);
      assert.equal(yield* result.wait(0.01), undefined);
      assert.equal(yield* result.wait(), 300);
      const failed = pool.spawn(() => {
        throw new Error('x');
      });
      assert.equal(yield* failed.wait(), undefined);
      assert.equal((failed.exception as Error).message, 'x');
    });
  });

  it('a task that ends its thread fails; the pool carries on with a new thread', async () => {
    await run(function* () {
      const error = yield* caught(() => pool.apply(() => process.exit(3)));
      assert.ok(error instanceof ThreadPoolError);
      assert.equal(error.code, 'ERR_THREADPOOL_THREAD_EXITED');
      assert.match(error.message, /code 3/);
      assert.equal(yield* pool.apply(() => 'still working'), 'still working');
    });
  });

  it('kill() fails unfinished tasks and refuses new ones; close() lets them finish', async () => {
    await run(function* () {
      const running = pool.spawn(blockFor, 5000);
      const queued = [pool.spawn(blockFor, 5000), pool.spawn(blockFor, 5000)];
      yield* sleep(0.05);
      pool.kill();
      for (const result of [running, ...queued]) {
        const error = yield* caught(() => result.get());
        assert.ok(error instanceof ThreadPoolError && error.code === 'ERR_THREADPOOL_KILLED');
      }
      assert.equal(pool.unfinished, 0);
      assert.equal(pool.size, 0);
      assert.throws(() => pool.spawn(fib, 1), { code: 'ERR_THREADPOOL_CLOSED' });

      const other = new ThreadPool(1);
      const results = [other.spawn(blockFor, 30), other.spawn(blockFor, 30)];
      other.close();
      assert.throws(() => other.spawn(fib, 1), { code: 'ERR_THREADPOOL_CLOSED' });
      assert.deepEqual([yield* results[0].get(), yield* results[1].get()], [30, 30]);
      yield* sleep(0);
      assert.equal(other.size, 0);
    });
  });

  it('idle threads exit after idleTimeout', async () => {
    await run(function* () {
      const short = new ThreadPool(2, { idleTimeout: 0.1 });
      try {
        yield* short.map(blockFor, [1, 1]);
        // (On a loaded machine one thread may already have idled out.)
        assert.ok(short.size > 0);
        const deadline = Date.now() + 5000;
        while (short.size > 0 && Date.now() < deadline) yield* sleep(0.05);
        assert.equal(short.size, 0);
        assert.equal(yield* short.apply(fib, [5]), 5);
      } finally {
        short.kill();
      }
    });
  });

  it('a killed greenlet stops waiting; the task still completes', async () => {
    await run(function* () {
      const result = pool.spawn(blockFor, 100);
      const waiter = spawn(() => result.get());
      yield* sleep(0.01);
      yield* waiter.kill();
      assert.ok(waiter.dead);
      assert.equal(result.linkcount(), 0);
      assert.equal(yield* result.get(), 100);
    });
  });

  it('idle threads do not keep the process alive', function () {
    this.timeout(30000);
    const result = runScript(`
      import { run } from 'lib/core';
      import { ThreadPool } from 'lib/io';
      const pool = new ThreadPool(2, { idleTimeout: null });
      run(function* () {
        console.log(yield* pool.map((n: number) => n + 1, [1, 2, 3]));
      });
    `);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), '[ 2, 3, 4 ]');
  });

  it('checks its arguments', () => {
    assert.throws(() => new ThreadPool(-1), { name: 'RangeError', message: /"maxsize"/ });
    assert.throws(() => new ThreadPool(1.5), RangeError);
    assert.throws(() => new ThreadPool('2' as unknown as number), { name: 'TypeError', message: /"maxsize"/ });
    assert.throws(() => new ThreadPool(1, { idleTimeout: -1 }), { name: 'RangeError', message: /"options.idleTimeout"/ });
    assert.throws(() => {
      pool.maxsize = -3;
    }, RangeError);
    assert.throws(() => pool.spawn(42 as unknown as () => void), { name: 'TypeError', message: /"fn"/ });
    assert.throws(() => pool.spawn(Math.max), { code: 'ERR_INVALID_ARG_VALUE', message: /native or bound/ });
    assert.throws(() => pool.spawn(fib.bind(null), 1), { code: 'ERR_INVALID_ARG_VALUE' });
    const methods = {
      shorthand(): number {
        return 1;
      },
    };
    assert.throws(() => pool.spawn(methods.shorthand), { code: 'ERR_INVALID_ARG_VALUE', message: /threadTask/ });
    assert.throws(() => pool.map(fib, 5 as unknown as number[]), { name: 'TypeError', message: /"items"/ });
    assert.throws(() => pool.apply(fib, 5 as unknown as [number]), { name: 'TypeError', message: /"args"/ });
    assert.throws(() => threadTask(''), { code: 'ERR_INVALID_ARG_VALUE', message: /"module"/ });
    assert.throws(() => threadTask('x', 5 as unknown as string), { name: 'TypeError', message: /"name"/ });
    const result = pool.spawn(fib, 1);
    assert.throws(() => result.get({ timeout: -1 }), RangeError);
    assert.throws(() => result.get({ block: 'no' as unknown as boolean }), TypeError);
    assert.throws(() => pool.join(-1), RangeError);
  });
});
