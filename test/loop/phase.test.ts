import { strict as assert } from 'node:assert';

import { CHECK, ClosedError, EVENTS, IDLE, Loop, PREPARE, type Watcher } from '../../lib/loop';
import { delay, newLoop, until } from '../helpers';

describe('loop.idle / loop.prepare / loop.check', () => {
  let loop: Loop;
  beforeEach(() => {
    loop = newLoop();
  });
  afterEach(() => {
    loop.close();
  });

  it('each fires with its own event bit and stays active', async () => {
    const watchers: [Watcher, number][] = [
      [loop.idle(), IDLE],
      [loop.prepare(), PREPARE],
      [loop.check(), CHECK],
    ];
    const seen = new Map<string, number[]>();
    for (const [w] of watchers) {
      const list: number[] = [];
      seen.set(w.kind, list);
      w.start((revents: number) => list.push(revents), EVENTS);
    }
    await until(() => [...seen.values()].every((list) => list.length >= 3));
    for (const [w, bit] of watchers) {
      assert.ok(seen.get(w.kind)?.every((r) => r === bit), w.kind);
      assert.equal(w.active, true);
    }
    assert.deepEqual(
      watchers.map(([w]) => w.kind),
      ['idle', 'prepare', 'check'],
    );
  });

  it('prepare and check fire once per loop iteration, before and after the poll', async () => {
    const order: string[] = [];
    loop.prepare().start(() => order.push('P'));
    loop.check().start(() => order.push('C'));
    // Something to make the loop iterate.
    const tick = loop.timer(0.002, 0.002);
    tick.start(() => undefined);
    await until(() => order.length >= 20);
    tick.stop();
    const joined = order.join('');
    // Strict alternation: no iteration runs one of them twice or skips one.
    const start = joined.indexOf('PC');
    assert.ok(start >= 0 && start <= 1, joined);
    assert.ok(!/PP|CC/.test(joined.slice(start)), joined);
  });

  it('an active idle watcher keeps the loop from blocking', async () => {
    let iterations = 0;
    const prepare = loop.prepare();
    prepare.start(() => iterations++);
    await delay(100);
    const blocked = iterations;
    const idle = loop.idle();
    let idles = 0;
    idle.start(() => idles++);
    iterations = 0;
    await delay(100);
    const spinning = iterations;
    idle.stop();
    assert.ok(idles > 50, `${idles} idle callbacks`);
    assert.ok(spinning > 50 && spinning > blocked * 5, `${spinning} iterations with an idle watcher, ${blocked} without`);
    const stopped = idles;
    await delay(30);
    assert.equal(idles, stopped);
  });

  it('timers and I/O still run while an idle watcher spins', async () => {
    let idles = 0;
    loop.idle().start(() => idles++);
    let fired = false;
    loop.timer(0.02).start(() => (fired = true));
    await until(() => fired, 2000);
    assert.ok(idles > 0);
  });

  it('a stopped watcher does not fire; it can start again', async () => {
    for (const w of [loop.idle(), loop.prepare(), loop.check()]) {
      let count = 0;
      w.start(() => count++);
      w.stop();
      assert.equal(w.active, false);
      await delay(20);
      assert.equal(count, 0, w.kind);
      w.start(() => count++);
      await until(() => count > 0);
      w.stop();
    }
  });

  it('an error in a callback reaches the error handler; the watcher keeps firing', async () => {
    const errors: unknown[] = [];
    loop.errorHandler = (error) => errors.push(error);
    const w = loop.check();
    let calls = 0;
    w.start(() => {
      calls++;
      throw new Error(`call ${calls}`);
    });
    await until(() => calls >= 3);
    w.stop();
    assert.equal(errors.length, calls);
    assert.equal(w.active, false);
  });

  it('refuses use after close with ClosedError', () => {
    for (const w of [loop.idle(), loop.prepare(), loop.check()]) {
      w.start(() => undefined);
      w.close();
      assert.equal(w.active, false);
      assert.throws(() => w.start(() => undefined), ClosedError);
      assert.throws(() => (w.priority = 1), ClosedError);
    }
  });
});
