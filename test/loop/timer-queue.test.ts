import { strict as assert } from 'node:assert';

import { ClosedError, type Loop } from '../../lib/loop';
import { QueuedTimer, type TimerQueue } from '../../lib/loop/timer-queue';
import { BACKEND, delay, newLoop, runScript, until } from '../helpers';

/** A queue entry that logs its expiry. */
class Entry extends QueuedTimer {
  constructor(
    readonly name: string | number,
    private readonly _log: Entry[],
    private readonly _then: (() => void) | null = null,
  ) {
    super();
  }

  _expire(): void {
    this._log.push(this);
    this._then?.();
  }
}

/** What the queue holds besides its entries: nothing may stay behind. */
function internals(queue: TimerQueue): { lists: number; heap: number } {
  const q = queue as unknown as { _lists: Map<number, unknown>; _heap: unknown[] };
  return { lists: q._lists.size, heap: q._heap.length };
}

/** (deadline, start order): the order entries must expire in. */
function byDeadline(a: QueuedTimer, b: QueuedTimer): number {
  return a._due - b._due || a._seq - b._seq;
}

describe('loop timer queue (sleep and Timeout behind one native timer)', () => {
  let loop: Loop;
  let queue: TimerQueue;
  beforeEach(() => {
    loop = newLoop();
    queue = loop._timerQueue;
  });
  afterEach(() => loop.close());

  it('expires entries of one delay in start order, each once', async () => {
    const log: Entry[] = [];
    const entries = Array.from({ length: 1000 }, (_, i) => new Entry(i, log));
    for (const entry of entries) queue.add(entry, 0.01, true);
    assert.equal(queue.size, 1000);
    await until(() => log.length === 1000);
    assert.deepEqual(
      log.map((e) => e.name),
      entries.map((e) => e.name),
    );
    await delay(20);
    assert.equal(log.length, 1000);
    assert.equal(queue.size, 0);
    assert.deepEqual(internals(queue), { lists: 0, heap: 0 });
  });

  it('expires mixed delays by deadline, equal deadlines in start order', async () => {
    const log: Entry[] = [];
    const entries: Entry[] = [];
    for (let i = 0; i < 3000; i++) {
      const entry = new Entry(i, log);
      // Three delays, started over a few milliseconds: many deadlines are
      // shared by entries of different delays.
      queue.add(entry, [0.003, 0.002, 0.001][i % 3], true);
      entries.push(entry);
      if (i % 500 === 0) await delay(1);
    }
    const expected = [...entries].sort(byDeadline).map((e) => e.name);
    if (BACKEND === 'uv') {
      // (ev's deadlines are doubles in seconds: rarely equal.)
      const dues = new Set(entries.map((e) => e._due));
      assert.ok(dues.size < entries.length / 10, 'many deadlines are shared');
    }
    await until(() => log.length === entries.length);
    assert.deepEqual(
      log.map((e) => e.name),
      expected,
    );
    assert.deepEqual(internals(queue), { lists: 0, heap: 0 });
  });

  it('computes deadlines as a native timer does: started together with one delay, they fire in start order', async () => {
    for (const seconds of [0.0071, 0.02]) {
      for (const entryFirst of [true, false]) {
        const order: string[] = [];
        const entry = new Entry('entry', [], () => order.push('entry'));
        const timer = loop.timer(seconds);
        const add = (): void => {
          loop.updateNow();
          const before = Math.round(loop.now() * 1000);
          queue.add(entry, seconds, true);
          if (BACKEND === 'uv') {
            // Whole milliseconds rounded up, from the refreshed clock: the
            // native timer's own arithmetic (0.0071 s is 8 ms there too).
            // Arming the native timer refreshes the clock again, so the
            // clock add() read lies between the two readings.
            const after = Math.round(loop.now() * 1000);
            const from = entry._due - Math.ceil(seconds * 1000);
            assert.ok(from >= before && from <= after, `due ${entry._due} for ${seconds} s between ${before} and ${after}`);
          }
        };
        if (entryFirst) add();
        timer.start(() => order.push('timer'));
        if (!entryFirst) add();
        await until(() => order.length === 2);
        assert.deepEqual(order, entryFirst ? ['entry', 'timer'] : ['timer', 'entry'], `${seconds} s`);
        timer.close();
      }
    }
  });

  it('arms its native timer for exactly the earliest deadline', () => {
    // 2.0069 s is 2007 ms, and 2007 / 1000 * 1000 is 2007.0000000000002 in
    // doubles: the addon's rounding up must not arm it for 2008 ms.
    const entry = new Entry('far', []);
    queue.add(entry, 2.0069, true);
    const remaining = queue._watcher?.remaining ?? -1;
    assert.ok(remaining > 1.9 && remaining <= 2.007, `armed for ${remaining} s`);
    entry.cancel();
  });

  it('a cancelled first entry does not leave its deadline to the next one', async () => {
    const log: Entry[] = [];
    const first = new Entry('first', log);
    queue.add(first, 0.005, true);
    // Same delay, started later: a later deadline in the same list (ev).
    const busy = Date.now() + 25;
    while (Date.now() < busy);
    const started = process.hrtime.bigint();
    queue.add(new Entry('second', log), 0.005, true);
    first.cancel();
    await until(() => log.length === 1);
    const took = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(took >= 4, `expired ${took} ms after it started`);
  });

  it('never expires an entry early, even after long synchronous JS', async () => {
    const log: Entry[] = [];
    const busy = Date.now() + 30;
    while (Date.now() < busy);
    const started = process.hrtime.bigint();
    let lateAfter = 0;
    // The first one arms the native timer; the second expires in the turn
    // that timer fires in if its deadline came from the stale clock.
    queue.add(new Entry('soon', log), 0.001, true);
    queue.add(new Entry('late', log, () => (lateAfter = Number(process.hrtime.bigint() - started) / 1e6)), 0.02, true);
    await until(() => log.length === 2);
    assert.ok(lateAfter >= 19, `expired after ${lateAfter} ms`);
  });

  it('cancelling first entries keeps lists in deadline order', async () => {
    const log: Entry[] = [];
    const a = new Entry('a', log);
    queue.add(a, 0.005, true);
    queue.add(new Entry('b', log), 0.01, true);
    const busy = Date.now() + 20;
    while (Date.now() < busy);
    // Same delay as a, later deadline than b (in a's list on ev).
    queue.add(new Entry('c', log), 0.005, true);
    a.cancel();
    await until(() => log.length === 2);
    assert.deepEqual(
      log.map((e) => e.name),
      ['b', 'c'],
    );
  });

  it('a cancelled entry never expires and leaves nothing behind', async () => {
    const log: Entry[] = [];
    const entries = Array.from({ length: 300 }, (_, i) => new Entry(i, log));
    entries.forEach((entry, i) => queue.add(entry, 0.005 + (i % 7) / 1000, true));
    // Cancel every other one, first entries of lists included.
    for (let i = 0; i < entries.length; i += 2) entries[i].cancel();
    assert.equal(queue.size, 150);
    assert.equal(entries[0].queued, false);
    assert.equal(entries[1].queued, true);
    entries[0].cancel(); // twice: a no-op
    await until(() => log.length === 150);
    await delay(20);
    assert.deepEqual(
      log.map((e) => e.name),
      entries.filter((_, i) => i % 2 === 1).sort(byDeadline).map((e) => e.name),
    );
    assert.deepEqual(internals(queue), { lists: 0, heap: 0 });
  });

  it('start-cancel churn does not grow the queue', () => {
    const entries = Array.from({ length: 100 }, (_, i) => new Entry(i, []));
    for (let round = 0; round < 200; round++) {
      for (const [i, entry] of entries.entries()) queue.add(entry, 1 + (i % 10), i % 2 === 0);
      for (const entry of entries) entry.cancel();
    }
    assert.equal(queue.size, 0);
    assert.equal(queue.refs, 0);
    assert.equal(loop._refActive, 0);
    assert.deepEqual(internals(queue), { lists: 0, heap: 0 });
  });

  it('adding a queued entry again moves it', async () => {
    const log: Entry[] = [];
    const moved = new Entry('moved', log);
    queue.add(moved, 0.005, true);
    queue.add(new Entry('stays', log), 0.01, true);
    queue.add(moved, 0.03, true);
    assert.equal(queue.size, 2);
    await until(() => log.length === 2);
    assert.deepEqual(
      log.map((e) => e.name),
      ['stays', 'moved'],
    );
  });

  it('counts each ref\'d entry as a ref\'d waker; unref\'d ones not at all', async () => {
    assert.equal(loop._refActive, 0);
    const log: Entry[] = [];
    const a = new Entry('a', log);
    const b = new Entry('b', log);
    const c = new Entry('c', log);
    queue.add(a, 10, true);
    queue.add(b, 10, false);
    queue.add(c, 0.005, true);
    assert.equal(loop._refActive, 2);
    assert.equal(queue.refs, 2);
    a.cancel();
    assert.equal(loop._refActive, 1);
    await until(() => log.length === 1);
    assert.equal(loop._refActive, 0);
    assert.equal(queue.refs, 0);
    assert.equal(queue.size, 1);
    b.cancel();
    // The native timer behind the queue never counts itself.
    assert.equal(queue._watcher?.ref, false);
  });

  it('a ref\'d entry keeps the process alive until it expires; an unref\'d one does not', () => {
    const kept = runScript(`
      import { defaultLoop } from 'lib/loop';
      import { QueuedTimer } from 'lib/loop/timer-queue';
      class E extends QueuedTimer { _expire() { console.log('expired'); } }
      defaultLoop()._timerQueue.add(new E(), 0.1, true);
    `);
    assert.equal(kept.status, 0, kept.stderr);
    assert.equal(kept.stdout.trim(), 'expired');
    const dropped = runScript(`
      import { defaultLoop } from 'lib/loop';
      import { QueuedTimer } from 'lib/loop/timer-queue';
      class E extends QueuedTimer { _expire() { console.log('expired'); } }
      const queue = defaultLoop()._timerQueue;
      queue.add(new E(), 3, false);
      // A ref'd one gone too: only the unref'd one is left.
      const gone = new E();
      queue.add(gone, 3, true);
      gone.cancel();
      setTimeout(() => console.log('exiting'), 10);
    `);
    assert.equal(dropped.status, 0, dropped.stderr);
    assert.equal(dropped.stdout.trim(), 'exiting');
  });

  it('entries started while expiring wait for a later turn', async () => {
    const log: Entry[] = [];
    let turns = 0;
    const check = loop.check().start(() => turns++);
    let secondTurn = -1;
    let firstTurn = -1;
    const second = new Entry('second', log, () => (secondTurn = turns));
    const first = new Entry('first', log, () => {
      firstTurn = turns;
      queue.add(second, 0, true);
    });
    queue.add(first, 0.002, true);
    await until(() => log.length === 2);
    assert.ok(secondTurn > firstTurn, `${firstTurn} then ${secondTurn}`);
    check.close();
  });

  it('an error thrown by an expiry goes to the loop\'s error handler; the others still expire', async () => {
    const errors: unknown[] = [];
    loop.errorHandler = (error) => errors.push(error);
    const log: Entry[] = [];
    const boom = new Entry('boom', log, () => {
      throw new Error('boom');
    });
    queue.add(boom, 0.002, true);
    queue.add(new Entry('after', log), 0.002, true);
    await until(() => log.length === 2);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /boom/);
  });

  it('closing the loop drops every entry and the native timer; adding then raises ClosedError', async () => {
    const log: Entry[] = [];
    const entries = Array.from({ length: 10 }, (_, i) => new Entry(i, log));
    entries.forEach((entry, i) => queue.add(entry, 0.005, i % 2 === 0));
    const watcher = queue._watcher;
    loop.close();
    assert.equal(queue.size, 0);
    assert.equal(entries.some((e) => e.queued), false);
    assert.equal(watcher?.closed, true);
    entries[0].cancel(); // harmless
    assert.throws(() => queue.add(entries[0], 0.001, true), ClosedError);
    await delay(20);
    assert.equal(log.length, 0);
  });
});
