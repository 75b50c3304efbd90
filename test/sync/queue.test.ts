import { strict as assert } from 'node:assert';

import { getHub, joinAll, LoopExit, run, sleep, spawn, spawnLater, Timeout, type Operation } from '../../lib/core';
import {
  AsyncResult,
  Channel,
  Empty,
  Full,
  JoinableQueue,
  LifoQueue,
  OverReleaseError,
  PriorityQueue,
  Queue,
  ShutDown,
  SimpleQueue,
} from '../../lib/sync';
import { caught, getGeneric, killWhileWaiting, waitGeneric } from './helpers';

type AnyQueue = SimpleQueue<unknown> | Channel<unknown>;
const KINDS: [string, (maxsize?: number) => AnyQueue][] = [
  ['SimpleQueue', (n) => new SimpleQueue(n)],
  ['Queue', (n) => new Queue(n)],
  ['LifoQueue', (n) => new LifoQueue(n)],
  ['PriorityQueue', (n) => new PriorityQueue(n)],
  ['Channel', () => new Channel()],
];
const QUEUES = KINDS.filter(([name]) => name !== 'Channel') as [string, (maxsize?: number) => SimpleQueue<unknown>][];

/** `with Timeout(0, RuntimeError())` around q.get(): 'timed out' or the item. */
function* receiveOrTimeOut(q: AnyQueue, result: AsyncResult<unknown>): Operation<void> {
  const error = new Error('timed out');
  try {
    result.set(yield* new Timeout(0, error).run(() => q.get()));
  } catch (e) {
    if (e !== error) throw e;
    result.set('timed out');
  }
}

describe('queues (gevent test__queue)', () => {
  for (const [name, make] of KINDS) {
    getGeneric(`${name}.get()`, (timeout) => make().get({ timeout }), Empty);
    getGeneric(`${name}.put() on a full one`, (timeout) => {
      const q = make(1);
      if (!(q instanceof Channel)) q.putNowait(1);
      return q.put(2, { timeout });
    }, Full);
  }
  for (const [name, make] of QUEUES) {
    getGeneric(`${name}.peek()`, (timeout) => make().peek({ timeout }), Empty);
  }
  waitGeneric('Queue.join()', (timeout) => {
    const q = new Queue();
    q.putNowait(1);
    return q.join(timeout);
  }, false);

  for (const [name, make] of KINDS) {
    describe(name, () => {
      it('putNowait() from two loop callbacks on a queue of 1: [ok, Full] ([Full, Full] for a Channel)', async () => {
        const q = make(1);
        const results: unknown[] = [];
        await new Promise<void>((resolve) => {
          const put = (): void => {
            try {
              q.putNowait(5);
              results.push('ok');
            } catch (error) {
              results.push(error);
            }
          };
          getHub().loop.runCallback(put);
          getHub().loop.runCallback(() => {
            put();
            resolve();
          });
        });
        assert.equal(results[0] === 'ok', !(q instanceof Channel));
        assert.ok(results[1] instanceof Full);
      });

      it('put() and get() act only when run: a task never run changes nothing', async () => {
        await run(function* () {
          const q = make(2);
          if (q instanceof Channel) {
            const getter = spawn(() => q.get());
            yield* sleep(0);
            void q.put('never');
            const put = q.put('x');
            assert.equal(q.balance, -1);
            spawn(() => put);
            assert.equal(yield* getter.get(), 'x');
            return;
          }
          void q.put('never');
          assert.equal(q.qsize(), 0);
          const put = q.put('x');
          assert.equal(q.qsize(), 0);
          yield* put;
          void q.get();
          assert.equal(q.qsize(), 1);
          const get = q.get();
          assert.equal(q.qsize(), 1);
          assert.equal(yield* get, 'x');
        });
      });

      it('non-blocking put() and get() raise Full and Empty when run, not at the call', async () => {
        await run(function* () {
          const q = make(1);
          if (!(q instanceof Channel)) q.putNowait(0);
          const put = q.put(1, { block: false });
          assert.ok((yield* caught(() => put)) instanceof Full);
          const empty = make(1);
          const get = empty.get({ block: false });
          assert.ok((yield* caught(() => get)) instanceof Empty);
        });
      });

      it('a put from a loop callback wakes a blocked getter', async () => {
        await run(function* () {
          const q = make();
          const getter = spawn(() => q.get());
          yield* sleep(0.001);
          getHub().loop.runCallback(() => q.putNowait('x'));
          yield* sleep(0.001);
          assert.equal(getter.ready(), true);
          assert.equal(getter.value, 'x');
        });
      });

      it('a getter under Timeout(0.1) receives an item put 10 ms later (test_send_last)', async () => {
        await run(function* () {
          const q = make();
          const waiter = spawn(() => new Timeout(0.1).run(() => q.get()));
          yield* sleep(0.01);
          if (q instanceof Channel) spawn(() => q.put('hi2'));
          else yield* q.put('hi2');
          assert.equal(yield* waiter.get(), 'hi2');
        });
      });

      it('multiple waiters get their results: 1, then 2, then 4', async () => {
        await run(function* () {
          const q = make();
          const results = ['1', '2', '3', '4'].map(() => new AsyncResult<unknown>());
          for (const r of results) spawn(function* () {
            r.set(yield* q.get());
          });
          yield* sleep(0.01);
          const collected = new Set<unknown>();
          function* collect(): Operation<number> {
            for (const r of results) {
              yield* new Timeout(0.001, false).run(function* () {
                collected.add(yield* r.get());
              });
            }
            return collected.size;
          }
          const put = (x: string): void => (q instanceof Channel ? void spawn(() => q.put(x)) : q.putNowait(x));
          put('1');
          assert.equal(yield* collect(), 1);
          put('2');
          assert.equal(yield* collect(), 2);
          put('3');
          put('4');
          assert.equal(yield* collect(), 4);
        });
      });

      it('waiters cancelled by Timeout(0, error) report it, and the queue still works', async () => {
        await run(function* () {
          const q = make();
          const result = new AsyncResult<unknown>();
          spawn(receiveOrTimeOut, q, result);
          assert.equal(yield* result.get(), 'timed out');
          spawn(() => q.put('hi'));
          assert.equal(yield* q.get(), 'hi');
        });
      });

      it('one waiter times out while another receives the item', async () => {
        await run(function* () {
          const q = make();
          const dying = new AsyncResult<unknown>();
          const waiting = new AsyncResult<unknown>();
          spawn(receiveOrTimeOut, q, dying);
          spawn(function* () {
            waiting.set(yield* q.get());
          });
          yield* sleep(0.05);
          spawn(() => q.put('hi'));
          assert.equal(yield* dying.get(), 'timed out');
          assert.equal(yield* waiting.get(), 'hi');
        });
      });

      it('a greenlet killed in get() or put() leaves no waiter behind', async () => {
        await run(function* () {
          const q = make(1);
          const getters = (): number => (q instanceof Channel ? -q.balance : q._getters.linkcount());
          yield* killWhileWaiting(() => q.get(), getters);
          yield* killWhileWaiting(() => q.get({ timeout: 10 }), getters);
          if (q instanceof Channel) {
            yield* killWhileWaiting(() => q.put(1), () => q.balance);
            assert.equal(q.balance, 0);
          } else {
            q.putNowait(0);
            yield* killWhileWaiting(() => q.put(1, { timeout: 10 }), () => q._putters.linkcount());
            assert.equal(q.qsize(), 1);
          }
        });
      });

      it('awaiting get() on an empty one with nothing to fill it raises LoopExit', async () => {
        await assert.rejects(Promise.resolve(make().get()), LoopExit);
      });
    });
  }

  for (const [name, make] of QUEUES) {
    describe(`${name} only`, () => {
      it('getNowait() from two loop callbacks on a queue holding one item: [item, Empty]', async () => {
        const q = make(1);
        q.putNowait(4);
        const results: unknown[] = [];
        await new Promise<void>((resolve) => {
          const get = (): void => {
            try {
              results.push(q.getNowait());
            } catch (error) {
              results.push(error);
            }
          };
          getHub().loop.runCallback(get);
          getHub().loop.runCallback(() => {
            get();
            resolve();
          });
        });
        assert.equal(results[0], 4);
        assert.ok(results[1] instanceof Empty);
      });

      it('a greenlet whose body returns a get() that needs no wait finishes in its first turn', async () => {
        await run(function* () {
          const q = make();
          q.putNowait('now');
          const g = spawn(() => q.get());
          yield* sleep(0);
          assert.equal(g.dead, true);
          assert.equal(g.value, 'now');
        });
      });

      it("put() then peek() and get() return it without switching", async () => {
        await run(function* () {
          const q = make();
          let switched = false;
          spawn(() => {
            switched = true;
          });
          yield* q.put('hi');
          assert.equal(yield* q.peek(), 'hi');
          assert.equal(q.peekNowait(), 'hi');
          assert.equal(yield* q.get(), 'hi');
          assert.equal(switched, false);
        });
      });

      it('peek() waits for an item and leaves it there', async () => {
        await run(function* () {
          const q = make();
          const peeker = spawn(() => q.peek());
          yield* sleep(0.001);
          yield* q.put(1);
          assert.equal(yield* peeker.get(), 1);
          assert.equal(yield* q.peek(), 1);
          assert.equal(q.qsize(), 1);
        });
      });

      it('awaiting peek() on an empty queue raises LoopExit; in a greenlet with a timeout, Empty', async () => {
        await assert.rejects(Promise.resolve(make().peek()), LoopExit);
        await run(function* () {
          assert.ok((yield* caught(() => make().peek({ timeout: 0.01 }))) instanceof Empty);
        });
      });

      it('maxsize 2: the third put() waits until a get() makes room (test_max_size)', async () => {
        await run(function* () {
          const q = make(2);
          const results: string[] = [];
          const p = spawn(function* () {
            for (const x of ['a', 'b', 'c']) {
              yield* q.put(x);
              results.push(x);
            }
            return 'OK';
          });
          yield* sleep(0);
          assert.deepEqual(results, ['a', 'b']);
          const first = yield* q.get();
          yield* sleep(0);
          assert.deepEqual(results, ['a', 'b', 'c']);
          const rest = [yield* q.get(), yield* q.get()];
          if (q instanceof LifoQueue) assert.deepEqual([first, ...rest], ['b', 'c', 'a']);
          else assert.deepEqual([first, ...rest], ['a', 'b', 'c']);
          assert.equal(yield* p.get({ timeout: 0 }), 'OK');
        });
      });

      it('two bogus waiters both time out and the item stays in the queue', async () => {
        await run(function* () {
          const q = make();
          const [e1, e2] = [new AsyncResult<unknown>(), new AsyncResult<unknown>()];
          spawn(receiveOrTimeOut, q, e1);
          spawn(receiveOrTimeOut, q, e2);
          yield* sleep(0.05);
          q.putNowait('sent');
          assert.equal(yield* e1.get(), 'timed out');
          assert.equal(yield* e2.get(), 'timed out');
          assert.equal(yield* q.get(), 'sent');
        });
      });

      it('serves 1,000 blocked getters, then 1,000 blocked putters, in FIFO order', async () => {
        await run(function* () {
          const q = make(1);
          const got: number[] = [];
          const getters = Array.from({ length: 1000 }, (_, i) =>
            spawn(function* () {
              yield* q.get();
              got.push(i);
            }),
          );
          yield* sleep(0);
          for (let i = 0; i < 1000; i++) {
            yield* q.put(i);
            if (i % 7 === 0) yield* sleep(0);
          }
          yield* joinAll(getters);
          assert.deepEqual(got, Array.from({ length: 1000 }, (_, i) => i));
          q.putNowait(-1);
          const put: number[] = [];
          const putters = Array.from({ length: 1000 }, (_, i) =>
            spawn(function* () {
              yield* q.put(i);
              put.push(i);
            }),
          );
          yield* sleep(0);
          for (let i = 0; i < 1001; i++) yield* q.get();
          yield* joinAll(putters);
          assert.deepEqual(put, Array.from({ length: 1000 }, (_, i) => i));
        });
      });

      it('a blocking get() does not overtake getters already waiting', async () => {
        await run(function* () {
          const q = make();
          const order: string[] = [];
          spawn(function* () {
            order.push(`first:${String(yield* q.get())}`);
          });
          yield* sleep(0);
          q.putNowait(1);
          // An item is there, but 'first' was waiting for it: queue behind.
          spawnLater(0.005, () => q.putNowait(2));
          order.push(`main:${String(yield* q.get())}`);
          assert.deepEqual(order, ['first:1', 'main:2']);
        });
      });

      it('raising maxsize lets waiting putters in', async () => {
        await run(function* () {
          const q = make(1);
          q.putNowait(1);
          const putter = spawn(() => q.put(2));
          yield* sleep(0.001);
          assert.equal(putter.ready(), false);
          q.maxsize = 2;
          yield* putter.join(1);
          assert.equal(q.qsize(), 2);
          assert.equal(q.full(), true);
          q.maxsize = null;
          assert.equal(q.full(), false);
        });
      });

      it('iterates with yield* it.next() and for await, ending at shutdown', async () => {
        const q = make();
        for (const x of [1, 2, 3]) q.putNowait(x);
        spawnLater(0.005, () => {
          q.putNowait(4);
          q.shutdown();
        });
        const seen: unknown[] = [];
        for await (const item of q) seen.push(item);
        assert.equal(seen.length, 4);
        await run(function* () {
          const q2 = make();
          q2.putNowait('a');
          q2.shutdown();
          const it = q2.iter();
          const got: unknown[] = [];
          for (let r = yield* it.next(); r.done !== true; r = yield* it.next()) got.push(r.value);
          assert.deepEqual(got, ['a']);
        });
      });

      it('copy() holds the same items in the same order', () => {
        const q = make(5);
        for (const x of [3, 1, 2]) q.putNowait(x);
        const c = q.copy();
        assert.equal(c.constructor, q.constructor);
        assert.equal(c.maxsize, 5);
        const drain = (x: SimpleQueue<unknown>): unknown[] => Array.from({ length: x.qsize() }, () => x.getNowait());
        assert.deepEqual(drain(c), drain(q));
      });
    });
  }

  describe('ordering', () => {
    it('LifoQueue is a stack; PriorityQueue returns the smallest first', async () => {
      const lifo = new LifoQueue<number>(null, { items: [1, 2, 3] });
      assert.deepEqual([lifo.getNowait(), lifo.getNowait(), lifo.getNowait()], [3, 2, 1]);
      const pq = new PriorityQueue<number>(null, { items: [5, 1, 4, 2, 3] });
      assert.deepEqual(Array.from({ length: 5 }, () => pq.getNowait()), [1, 2, 3, 4, 5]);
    });

    it('PriorityQueue orders [priority, item] arrays like Python tuples, or by a comparator', () => {
      const pq = new PriorityQueue<[number, string]>();
      for (const x of [[2, 'b'], [1, 'z'], [2, 'a'], [0, 'x']] as [number, string][]) pq.putNowait(x);
      assert.deepEqual(Array.from({ length: 4 }, () => pq.getNowait()), [[0, 'x'], [1, 'z'], [2, 'a'], [2, 'b']]);
      const byLength = new PriorityQueue<string>(null, { compare: (a, b) => b.length - a.length });
      for (const s of ['a', 'ccc', 'bb']) byLength.putNowait(s);
      assert.deepEqual([byLength.getNowait(), byLength.getNowait(), byLength.getNowait()], ['ccc', 'bb', 'a']);
      const heap = new PriorityQueue<number>();
      const values = Array.from({ length: 500 }, (_, i) => (i * 7919) % 503);
      for (const v of values) heap.putNowait(v);
      assert.deepEqual(Array.from({ length: 500 }, () => heap.getNowait()), [...values].sort((a, b) => a - b));
    });
  });

  describe('Queue (joinable)', () => {
    it('counts unfinished tasks; taskDone() too often is an OverReleaseError', async () => {
      await run(function* () {
        const q = new Queue<number>();
        assert.equal(JoinableQueue, Queue);
        yield* q.put(1);
        yield* q.get();
        assert.equal(q.unfinishedTasks, 1);
        q.taskDone();
        assert.equal(q.unfinishedTasks, 0);
        assert.throws(() => q.taskDone(), OverReleaseError);
        assert.equal(new Queue(null, { items: [1, 2] }).unfinishedTasks, 2);
      });
    });

    it('join() returns at once when nothing is unfinished, else when the last task is done', async () => {
      await run(function* () {
        const q = new Queue<number>();
        let switched = false;
        spawn(() => {
          switched = true;
        });
        assert.equal(yield* q.join(), true);
        assert.equal(switched, false);
        for (const x of [1, 2, 3]) q.putNowait(x);
        const worker = spawn(function* () {
          for (;;) {
            yield* q.get();
            yield* sleep(0.001);
            q.taskDone();
          }
        });
        assert.equal(yield* q.join(5), true);
        assert.equal(q.unfinishedTasks, 0);
        worker.kill();
      });
    });

    it('shutdown(): put raises ShutDown, the rest can be got, then get raises ShutDown and join returns', async () => {
      await run(function* () {
        const q = new Queue<number>();
        q.putNowait(1);
        q.putNowait(2);
        q.shutdown();
        assert.equal(q.isShutdown, true);
        assert.ok((yield* caught(() => q.put(3))) instanceof ShutDown);
        assert.throws(() => q.putNowait(3), ShutDown);
        assert.equal(yield* q.get(), 1);
        q.taskDone();
        assert.equal(q.getNowait(), 2);
        q.taskDone();
        assert.equal(yield* q.join(), true);
        assert.ok((yield* caught(() => q.get())) instanceof ShutDown);
        assert.throws(() => q.getNowait(), ShutDown);
        assert.ok((yield* caught(() => q.get({ block: true, timeout: 1 }))) instanceof ShutDown);
      });
    });

    it('shutdown(true): get raises at once, taskDone raises, join returns; waiters wake with ShutDown', async () => {
      await run(function* () {
        const q = new Queue<number>(1);
        const getterQ = new Queue<number>();
        const getter = spawn(() => caught(() => getterQ.get()));
        q.putNowait(1);
        const putter = spawn(() => caught(() => q.put(2)));
        yield* sleep(0);
        q.shutdown(true);
        getterQ.shutdown(true);
        assert.ok((yield* caught(() => q.get())) instanceof ShutDown);
        assert.throws(() => q.taskDone(), OverReleaseError);
        assert.equal(yield* q.join(), true);
        assert.ok((yield* putter.get()) instanceof ShutDown);
        assert.ok((yield* getter.get()) instanceof ShutDown);
      });
    });
  });

  describe('Channel', () => {
    it('the sender waits until the receiver arrives (test_zero_max_size)', async () => {
      await run(function* () {
        const q = new Channel<string>();
        const [e1, e2] = [new AsyncResult<string>(), new AsyncResult<string>()];
        const p1 = spawn(function* () {
          yield* q.put('hi');
          e1.set('done');
        });
        yield* sleep(0.001);
        assert.equal(e1.ready(), false);
        const p2 = spawn(function* () {
          e2.set(yield* q.get());
        });
        assert.equal(yield* e2.get(), 'hi');
        assert.equal(yield* e1.get(), 'done');
        yield* new Timeout(0).run(() => joinAll([p1, p2]));
      });
    });

    it("put returns after the getter took the item: ['put-start', got, 'put-done'] (§3.10)", async () => {
      await run(function* () {
        const ch = new Channel<string>();
        const log: unknown[] = [];
        spawn(function* () {
          log.push(['got', yield* ch.get()]);
        });
        log.push('put-start');
        yield* ch.put('hi');
        log.push('put-done');
        assert.deepEqual(log, ['put-start', ['got', 'hi'], 'put-done']);
      });
    });

    it('test_send and test_wait orders', async () => {
      await run(function* () {
        const channel = new Channel<string>();
        const events: string[] = [];
        const g = spawn(function* () {
          events.push(yield* channel.get());
          events.push(yield* channel.get());
        });
        events.push('sending');
        yield* channel.put('hello');
        events.push('sent hello');
        yield* channel.put('world');
        events.push('sent world');
        assert.deepEqual(events, ['sending', 'hello', 'sent hello', 'world', 'sent world']);
        yield* g.get();
      });
      await run(function* () {
        const channel = new Channel<string>();
        const events: string[] = [];
        const g = spawn(function* () {
          events.push('sending hello');
          yield* channel.put('hello');
          events.push('sending world');
          yield* channel.put('world');
          events.push('sent world');
        });
        events.push('waiting');
        events.push(yield* channel.get());
        events.push(yield* channel.get());
        assert.deepEqual(events, ['waiting', 'sending hello', 'hello', 'sending world', 'world']);
        yield* sleep(0);
        assert.deepEqual(events, ['waiting', 'sending hello', 'hello', 'sending world', 'world', 'sent world']);
        yield* g.get();
      });
    });

    it('always empty and full; balance counts waiting putters minus getters', async () => {
      await run(function* () {
        const ch = new Channel<number>();
        assert.equal(ch.qsize(), 0);
        assert.equal(ch.empty(), true);
        assert.equal(ch.full(), true);
        const putters = [spawn(() => ch.put(1)), spawn(() => ch.put(2))];
        yield* sleep(0);
        assert.equal(ch.balance, 2);
        assert.deepEqual([yield* ch.get(), yield* ch.get()], [1, 2]);
        yield* joinAll(putters);
        const getter = spawn(() => ch.get());
        yield* sleep(0);
        assert.equal(ch.balance, -1);
        ch.putNowait(3);
        assert.throws(() => ch.putNowait(4), Full, 'one getter, one item already offered');
        assert.equal(yield* getter.get(), 3);
        assert.throws(() => ch.getNowait(), Empty);
      });
    });

    it('greenlets linked to a channel put themselves there: sorted values [101, 102, 103]', async () => {
      await run(function* () {
        const ch = new Channel<number>();
        for (const v of [101, 102, 103]) spawn(() => v).link((g) => ch.put(g.value as number));
        const got = [yield* ch.get(), yield* ch.get(), yield* ch.get()];
        assert.deepEqual(got.sort(), [101, 102, 103]);
      });
    });

    it('iteration ends at shutdown: a shut-down channel lists []', async () => {
      const ch = new Channel<number>();
      ch.shutdown();
      const seen: number[] = [];
      for await (const x of ch) seen.push(x);
      assert.deepEqual(seen, []);
      await run(function* () {
        assert.ok((yield* caught(() => ch.put(1))) instanceof ShutDown);
      });
    });

    it('shutdown(true) withdraws waiting offers: their putters get ShutDown', async () => {
      await run(function* () {
        const ch = new Channel<number>();
        const putter = spawn(() => caught(() => ch.put(1)));
        yield* sleep(0);
        ch.shutdown(true);
        assert.ok((yield* putter.get()) instanceof ShutDown);
        assert.equal(ch.balance, 0);
      });
    });
  });

  describe('bad input', () => {
    it('negative or fractional maxsize is a RangeError, a string a TypeError, naming maxsize', () => {
      assert.throws(() => new Queue(-1), { name: 'RangeError', message: /"maxsize"/ });
      assert.throws(() => new SimpleQueue(1.5), RangeError);
      assert.throws(() => new Queue('3' as unknown as number), { name: 'TypeError', message: /"maxsize"/ });
      assert.throws(() => new Queue(1, { items: 5 as unknown as number[] }), { name: 'TypeError', message: /"options.items"/ });
      const compare = 'x' as unknown as () => number;
      assert.throws(() => new PriorityQueue(1, { compare }), { name: 'TypeError', message: /compare/ });
      assert.equal(new Queue(0).maxsize, null, '0 is unbounded, as in Python');
    });

    it('NaN or negative timeouts and non-boolean block are rejected at the call', () => {
      const q = new Queue();
      assert.throws(() => q.get({ timeout: NaN }), { name: 'RangeError', message: /"options.timeout"/ });
      assert.throws(() => q.put(1, { timeout: -1 }), RangeError);
      assert.throws(() => q.peek({ block: 1 as unknown as boolean }), { name: 'TypeError', message: /"options.block"/ });
      assert.throws(() => q.join(NaN), RangeError);
      assert.throws(() => new Channel().get({ timeout: NaN }), RangeError);
      assert.throws(() => q.shutdown('yes' as unknown as boolean), TypeError);
    });
  });
});
