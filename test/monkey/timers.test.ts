import { strict as assert } from 'node:assert';
import { AsyncLocalStorage } from 'node:async_hooks';
import * as util from 'node:util';
import nodeTimers = require('node:timers');
import timersPromises = require('node:timers/promises');

import { getHub, Greenlet, LoopExit, monkey, run, sleep, spawn, spawnLater } from '../../lib';
import { runScript } from '../helpers';

const nodeSetTimeout = globalThis.setTimeout;
const nodeClearTimeout = globalThis.clearTimeout;
const nodeSetImmediate = globalThis.setImmediate;
const nodeClearImmediate = globalThis.clearImmediate;

/** Waits with Node's own timer, whatever is patched. */
function nodeDelay(ms: number): Promise<void> {
  return new Promise((resolve) => nodeSetTimeout(resolve, ms));
}

describe('monkey: timers', () => {
  afterEach(() => monkey.unpatch());

  it("off: the globals are Node's", () => {
    assert.equal(globalThis.setTimeout, monkey.getOriginal('setTimeout'));
    assert.equal(nodeTimers.setImmediate, monkey.getOriginal('setImmediate'));
  });

  it('on: globals, node:timers and node:timers/promises are green; unpatch puts back the very same functions', () => {
    const before = {
      global: [setTimeout, clearTimeout, setInterval, clearInterval, setImmediate, clearImmediate],
      timers: [nodeTimers.setTimeout, nodeTimers.clearTimeout, nodeTimers.setImmediate],
      promises: [timersPromises.setTimeout, timersPromises.setImmediate, timersPromises.setInterval],
    };
    monkey.patch('timers');
    assert.notEqual(globalThis.setTimeout, before.global[0]);
    assert.equal(nodeTimers.setTimeout, globalThis.setTimeout);
    assert.equal(nodeTimers.clearImmediate, globalThis.clearImmediate);
    assert.notEqual(timersPromises.setTimeout, before.promises[0]);
    assert.match(util.inspect(setTimeout(() => undefined, 10).unref()), /GreenTimeout/);
    monkey.unpatch('timers');
    assert.deepEqual([setTimeout, clearTimeout, setInterval, clearInterval, setImmediate, clearImmediate], before.global);
    assert.deepEqual([nodeTimers.setTimeout, nodeTimers.clearTimeout, nodeTimers.setImmediate], before.timers);
    assert.deepEqual([timersPromises.setTimeout, timersPromises.setImmediate, timersPromises.setInterval], before.promises);
  });

  it("keeps Node's call conventions: arguments, this, delay coercion, callback check", async () => {
    monkey.patch('timers');
    const seen: unknown[] = [];
    const timeout = setTimeout(
      function (this: unknown, a: number, b: string) {
        seen.push(this === timeout, a, b);
      },
      5,
      1,
      'two',
    );
    setTimeout(() => seen.push('string delay'), '3' as unknown as number);
    setTimeout(() => seen.push('NaN delay'), NaN);
    setTimeout(() => seen.push('no delay'));
    await nodeDelay(30);
    assert.deepEqual(seen.slice().sort(), [1, 'NaN delay', 'no delay', 'string delay', true, 'two'].sort());
    assert.throws(() => setTimeout('code' as never, 1), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"callback" argument must be of type function/ });
    assert.throws(() => setInterval(null as never, 1), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => setImmediate(42 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('warns as Node does when a delay does not fit in 32 bits, and fires after 1 ms', async () => {
    monkey.patch('timers');
    const warnings: unknown[][] = [];
    const emitWarning = process.emitWarning;
    process.emitWarning = ((...warning: unknown[]) => {
      warnings.push(warning);
    }) as typeof process.emitWarning;
    try {
      let fired = false;
      setTimeout(() => (fired = true), 2 ** 31);
      await nodeDelay(30);
      assert.equal(fired, true);
      assert.deepEqual(warnings, [['2147483648 does not fit into a 32-bit signed integer.\nTimeout duration was set to 1.', 'TimeoutOverflowWarning']]);
    } finally {
      process.emitWarning = emitWarning;
    }
  });

  it('fires in order with greenlets: equal delays in creation order, spawnLater included', async () => {
    monkey.patch('timers');
    const order: string[] = [];
    await run(function* () {
      setTimeout(() => order.push('timeout 1'), 10);
      spawnLater(0.01, () => order.push('spawnLater'));
      setTimeout(() => order.push('timeout 2'), 10);
      setTimeout(() => order.push('timeout 0'), 0);
      yield* sleep(0.03);
    });
    assert.deepEqual(order, ['timeout 0', 'timeout 1', 'spawnLater', 'timeout 2']);
  });

  it('setImmediate runs FIFO, one batch per loop turn (queued by an immediate: the next turn)', async () => {
    monkey.patch('timers');
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      setImmediate(() => {
        order.push('A');
        setImmediate(() => {
          order.push('B');
          resolve();
        });
      });
      setImmediate((x: string) => order.push(x), 'C');
    });
    assert.deepEqual(order, ['A', 'C', 'B']);
  });

  it('setImmediate never waits for I/O or timers: the loop does not block while one is queued', async () => {
    monkey.patch('timers');
    const started = Date.now();
    let count = 0;
    await new Promise<void>((resolve) => {
      const again = (): void => {
        if (++count === 200) resolve();
        else setImmediate(again);
      };
      setImmediate(again);
    });
    assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms for 200 immediates`);
  });

  it('a pending timer is a ref\'d watcher: greenlets waiting on what it does get no LoopExit', async () => {
    const waitForTimer = (): Promise<unknown> => {
      const g = new Greenlet(function* () {
        return 'started by a timer';
      });
      setTimeout(() => g.start(), 10);
      return run(function* () {
        yield* g.join();
        return g.value;
      });
    };
    await assert.rejects(waitForTimer(), LoopExit, 'without the patch the hub cannot see the timer');
    await nodeDelay(20);
    monkey.patch('timers');
    assert.equal(await waitForTimer(), 'started by a timer');
    const idle = setImmediate(() => undefined);
    clearImmediate(idle);
  });

  it('unref(): the timer no longer holds waiting greenlets (nor the process); ref() and hasRef()', async () => {
    monkey.patch('timers');
    const timer = setTimeout(() => undefined, 50);
    assert.equal(timer.hasRef(), true);
    assert.equal(timer.unref(), timer);
    assert.equal(timer.hasRef(), false);
    const g = new Greenlet(function* () {
      return 1;
    });
    await assert.rejects(
      run(function* () {
        yield* g.join();
      }),
      LoopExit,
    );
    timer.ref();
    assert.equal(timer.hasRef(), true);
    clearTimeout(timer);
  });

  it('refresh() restarts a pending timer and re-arms a fired one; not a cleared one', async () => {
    monkey.patch('timers');
    let fired = 0;
    const timer = setTimeout(() => fired++, 30);
    await nodeDelay(20);
    timer.refresh();
    await nodeDelay(20);
    assert.equal(fired, 0, 'refreshed before it was due');
    await nodeDelay(40);
    assert.equal(fired, 1);
    timer.refresh();
    await nodeDelay(60);
    assert.equal(fired, 2, 'fired again after refresh');
    clearTimeout(timer);
    timer.refresh();
    await nodeDelay(60);
    assert.equal(fired, 2);
  });

  it('clearTimeout takes the object or its numeric id; clearInterval inside the callback stops it', async () => {
    monkey.patch('timers');
    let fired = 0;
    const byObject = setTimeout(() => fired++, 5);
    const byId = setTimeout(() => fired++, 5);
    const id = +byId;
    assert.equal(typeof id, 'number');
    assert.equal(byId[Symbol.toPrimitive](), id, 'the same id every time');
    clearTimeout(byObject);
    clearTimeout(id);
    clearTimeout(String(+setTimeout(() => fired++, 5)) as never);
    let ticks = 0;
    const interval: NodeJS.Timeout = setInterval(() => {
      if (++ticks === 3) clearInterval(interval);
    }, 2);
    await nodeDelay(60);
    assert.equal(fired, 0);
    assert.equal(ticks, 3);
    clearTimeout(undefined);
    clearTimeout(null as never);
    clearTimeout({} as never);
    clearImmediate(undefined);
  });

  it("interoperates with Node's timers both ways", async () => {
    let nodeFired = false;
    const nodeTimer = nodeSetTimeout(() => (nodeFired = true), 5);
    monkey.patch('timers');
    clearTimeout(nodeTimer); // made before the patch: Node's clearTimeout takes it
    let greenFired = false;
    const greenTimer = setTimeout(() => (greenFired = true), 5);
    nodeClearTimeout(greenTimer); // code that kept Node's clearTimeout still clears a green timer
    let immediateRan = false;
    const greenImmediate = setImmediate(() => (immediateRan = true));
    nodeClearImmediate(greenImmediate); // a no-op, and Node's immediates keep working
    await new Promise((resolve) => nodeSetImmediate(resolve));
    await nodeDelay(20);
    assert.deepEqual([nodeFired, greenFired, immediateRan], [false, false, true]);
  });

  it('Symbol.dispose clears; unref\'d immediates; clearImmediate', async () => {
    monkey.patch('timers');
    let ran = 0;
    {
      using _timer = setTimeout(() => ran++, 1);
      using _immediate = setImmediate(() => ran++);
    }
    const cleared = setImmediate(() => ran++);
    clearImmediate(cleared);
    const unrefd = setImmediate(() => ran++).unref();
    assert.equal(unrefd.hasRef(), false);
    await nodeDelay(20);
    assert.equal(ran, 1, 'only the unref\'d immediate ran');
  });

  it('an error in a timer callback is an uncaught exception, as with Node', () => {
    const result = runScript(`
      import { monkey } from 'lib/index';
      monkey.patch('timers');
      process.on('uncaughtException', (error) => { console.log('uncaught', error.message); });
      setTimeout(() => { throw new Error('from timeout'); }, 1);
      setImmediate(() => { throw new Error('from immediate'); });
      let n = 0;
      const interval = setInterval(() => { if (++n === 2) { clearInterval(interval); console.log('interval survived'); } throw new Error('from interval ' + n); }, 2);
    `);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split('\n').sort(), [
      'interval survived',
      'uncaught from immediate',
      'uncaught from interval 1',
      'uncaught from interval 2',
      'uncaught from timeout',
    ]);
  });

  it('the process exits when only unref\'d green timers are left', () => {
    const result = runScript(`
      import { monkey } from 'lib/index';
      monkey.patch('timers');
      setInterval(() => console.log('never'), 10).unref();
      setTimeout(() => console.log('done'), 20);
    `);
    assert.equal(result.status, 0, result.stderr);
    // (An unref'd watcher's event still wakes the loop for its delivery, so
    // a few more ticks may print before the loop sees it has nothing left.)
    assert.match(result.stdout, /^(never\n)*done\n(never\n)*$/);
  });

  describe('timers/promises and util.promisify', () => {
    it('setTimeout and setImmediate resolve with the value, on the hub loop', async () => {
      monkey.patch('timers');
      assert.equal(await timersPromises.setTimeout(2, 'later'), 'later');
      assert.equal(await timersPromises.setImmediate('soon'), 'soon');
      assert.equal(await util.promisify(setTimeout)(2, 'promisified'), 'promisified');
      assert.equal(await util.promisify(setImmediate)('promisified now'), 'promisified now');
      const value = await run(function* () {
        // A greenlet can wait on it (here through until(); with the promises patch, yield*).
        return yield* (timersPromises.setTimeout(2, 'in greenlet') as unknown as Generator<never, string>);
      }).catch(() => 'needs the promises patch');
      assert.equal(value, 'needs the promises patch');
    });

    it('an AbortSignal cancels them with an AbortError; bad arguments reject', async () => {
      monkey.patch('timers');
      const controller = new AbortController();
      const pending = timersPromises.setTimeout(1000, 'never', { signal: controller.signal });
      controller.abort('why');
      await assert.rejects(pending, { name: 'AbortError', code: 'ABORT_ERR', cause: 'why' });
      await assert.rejects(timersPromises.setImmediate('x', { signal: AbortSignal.abort() }), { name: 'AbortError' });
      await assert.rejects(timersPromises.setTimeout('1' as never), { code: 'ERR_INVALID_ARG_TYPE', message: /"delay"/ });
      await assert.rejects(timersPromises.setTimeout(1, 'x', { ref: 'no' } as never), { message: /"options\.ref"/ });
      await assert.rejects(timersPromises.setImmediate('x', { signal: {} } as never), { message: /"options\.signal"/ });
      await assert.rejects(timersPromises.setTimeout(1, 'x', null as never), { message: /"options"/ });
    });

    it('setInterval yields on every tick until the loop breaks or the signal aborts', async () => {
      monkey.patch('timers');
      const values: string[] = [];
      for await (const value of timersPromises.setInterval(2, 'tick')) {
        values.push(value);
        if (values.length === 3) break;
      }
      assert.deepEqual(values, ['tick', 'tick', 'tick']);
      const controller = new AbortController();
      const consume = (async () => {
        // eslint-disable-next-line @typescript-eslint/no-unused-vars
        for await (const _ of timersPromises.setInterval(2, 1, { signal: controller.signal })) {
          // runs until aborted
        }
      })();
      await nodeDelay(10);
      controller.abort();
      await assert.rejects(consume, { name: 'AbortError' });
    });

    it('a ref: false timer does not keep a waiting greenlet from LoopExit', async () => {
      monkey.patch('timers');
      const g = new Greenlet(function* () {
        return 1;
      });
      const unrefd = timersPromises.setTimeout(30, undefined, { ref: false }).then(() => g.start());
      await assert.rejects(
        run(function* () {
          yield* g.join();
        }),
        LoopExit,
      );
      await unrefd;
      assert.equal(getHub().loop.closed, false);
    });
  });

  it("callbacks run in the async context of the code that set them, as Node's do", async () => {
    monkey.patch('timers');
    const als = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    await new Promise<void>((resolve) => {
      als.run('timeout', () => setTimeout(() => seen.push(als.getStore()), 1));
      als.run('interval', () => {
        const interval = setInterval(() => {
          seen.push(als.getStore());
          clearInterval(interval);
        }, 1);
      });
      als.run('immediate', () => setImmediate(() => seen.push(als.getStore())));
      setTimeout(() => {
        seen.push(als.getStore());
        resolve();
      }, 20);
    });
    assert.deepEqual(seen.sort(), ['immediate', 'interval', 'timeout', undefined]);
  });

  it('timers made in a greenlet run as loop callbacks, not in the greenlet', async () => {
    monkey.patch('timers');
    const where = await run(function* () {
      let current: unknown = 'unset';
      setTimeout(() => (current = getHub()._running), 1);
      yield* sleep(0.01);
      return current;
    });
    assert.equal(where, null);
    const g = spawn(function* () {
      yield* sleep(0);
    });
    await g.join();
  });
});
