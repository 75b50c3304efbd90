import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import { getHub, idle, joinAll, LoopExit, run, sleep, spawn, spawnLater, Timeout, yieldNow, type Greenlet } from '../../lib/core';
import { defaultLoop, READ } from '../../lib/loop';
import type { QueuedTimer } from '../../lib/loop/timer-queue';
import { BACKEND, closeFds, makePipe, readFd, ROOT, runScriptAsync, writeFd } from '../helpers';
import { elapsed } from './helpers';

/** The timer-queue entry a greenlet blocked in sleep() waits on. */
function entryOf(greenlet: Greenlet): QueuedTimer {
  const entry = greenlet._waitingOn as QueuedTimer;
  assert.equal(typeof entry._seq, 'number', `${String(greenlet)} is not in sleep()`);
  return entry;
}

describe('sleep, yieldNow, idle and scheduling order (gevent §3.1)', () => {
  it('sleep(seconds) blocks about that long', async () => {
    await run(function* () {
      const started = process.hrtime.bigint();
      yield* sleep(0.05);
      const took = elapsed(started);
      assert.ok(took >= 0.049 && took < 1, `slept ${took}s`);
    });
  });

  it('two greenlets interleave through sleep(0): 1A 2A 1B 2B (test__order)', async () => {
    await run(function* () {
      const log: string[] = [];
      const worker = function* (name: string) {
        log.push(`${name}A`);
        yield* sleep(0);
        log.push(`${name}B`);
      };
      spawn(worker, '1');
      spawn(worker, '2');
      yield* sleep(0.01);
      assert.equal(log.join(' '), '1A 2A 1B 2B');
    });
  });

  it('one FIFO for starts and sleep(0): A1, B1, main, C, A2, B2', async () => {
    await run(function* () {
      const log: string[] = [];
      spawn(function* () {
        log.push('A1');
        spawn(() => log.push('C'));
        yield* sleep(0);
        log.push('A2');
      });
      spawn(function* () {
        log.push('B1');
        yield* sleep(0);
        log.push('B2');
      });
      log.push('main-before-sleep0');
      yield* sleep(0);
      log.push('main-after-sleep0');
      yield* sleep(0.01);
      assert.deepEqual(log, ['main-before-sleep0', 'A1', 'B1', 'main-after-sleep0', 'C', 'A2', 'B2']);
    });
  });

  it('without sleep(0) greenlets run one after the other', async () => {
    await run(function* () {
      const log: string[] = [];
      spawn(() => log.push('1A', '1B'));
      spawn(() => log.push('2A', '2B'));
      yield* sleep(0.01);
      assert.equal(log.join(' '), '1A 1B 2A 2B');
    });
  });

  it('spawned greenlets and callbacks run before a spawnLater(0) timer', async () => {
    await run(function* () {
      const log: string[] = [];
      spawnLater(0, () => log.push('later0'));
      spawn(() => log.push('spawn'));
      defaultLoop().runCallback(() => log.push('callback'));
      yield* sleep(0.01);
      assert.deepEqual(log, ['spawn', 'callback', 'later0']);
    });
  });

  it('timers with the same delay fire in creation order', async () => {
    await run(function* () {
      const order: number[] = [];
      for (let i = 0; i < 5; i++) spawnLater(0.01, () => order.push(i));
      yield* sleep(0.05);
      assert.deepEqual(order, [0, 1, 2, 3, 4]);
    });
  });

  it('a sleep(0) loop cannot starve timers: the switch interval bounds one drain', async () => {
    await run(function* () {
      let fired = false;
      spawnLater(0.001, () => (fired = true));
      let spins = 0;
      const started = process.hrtime.bigint();
      while (!fired && elapsed(started) < 2) {
        yield* sleep(0);
        spins++;
      }
      assert.equal(fired, true);
      assert.ok(spins > 0);
    });
  });

  it('a due timer waits at most about one switch interval behind a sleep(0) loop', async () => {
    const loop = getHub().loop;
    const saved = loop.switchInterval;
    loop.switchInterval = 0.2; // long, so that a second interval stands out of a loaded machine's noise
    try {
      await run(function* () {
        let firedAfter = -1;
        const started = process.hrtime.bigint();
        spawnLater(0.001, () => (firedAfter = elapsed(started)));
        while (firedAfter < 0 && elapsed(started) < 5) yield* sleep(0);
        assert.ok(firedAfter > 0 && firedAfter < 0.32, `fired after ${firedAfter} s`);
      });
    } finally {
      loop.switchInterval = saved;
    }
  });

  it('yieldNow() lets due timers and ready I/O run before it returns, each time', async () => {
    const [reader, writer] = makePipe();
    const loop = getHub().loop;
    const io = loop.io(reader, READ);
    try {
      await run(function* () {
        for (let round = 0; round < 3; round++) {
          const order: string[] = [];
          spawnLater(0.001, () => order.push('timer'));
          io.start(() => {
            order.push('io');
            io.stop();
          });
          writeFd(writer, 'x');
          const busyUntil = Date.now() + 5; // the timer falls due while this greenlet runs
          while (Date.now() < busyUntil);
          const started = process.hrtime.bigint();
          yield* yieldNow();
          order.push('after');
          assert.deepEqual(order.slice().sort(), ['after', 'io', 'timer']);
          assert.equal(order[2], 'after');
          assert.ok(elapsed(started) < 1, 'yieldNow() does not wait for an unrelated wake-up');
          readFd(reader);
        }
      });
    } finally {
      io.close();
      closeFds(reader, writer);
    }
  });

  it('idle() returns after the other ready greenlets ran', async () => {
    await run(function* () {
      const log: string[] = [];
      spawn(() => log.push('other'));
      yield* idle();
      log.push('idle-returned');
      assert.deepEqual(log, ['other', 'idle-returned']);
    });
  });

  it('sleep is awaitable from async code', async () => {
    const started = process.hrtime.bigint();
    await sleep(0.02);
    assert.ok(elapsed(started) >= 0.019);
  });

  it('an unref\'d sleep does not keep wait() alive', async () => {
    await run(function* () {
      const sleeper = spawn(function* () {
        yield* sleep(10, { ref: false });
      });
      yield* sleep(0);
      assert.equal(getHub().loop._refActive, 0);
      sleeper.kill();
    });
  });

  it('rejects bad durations and options', () => {
    for (const bad of [-1, NaN, Infinity, -Infinity]) {
      assert.throws(() => sleep(bad), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"seconds"/ });
    }
    for (const bad of ['1', null, {}]) {
      assert.throws(() => sleep(bad as unknown as number), { name: 'TypeError', message: /"seconds"/ });
    }
    assert.throws(() => sleep(0, { ref: 1 as unknown as boolean }), { name: 'TypeError', message: /"options.ref"/ });
    assert.throws(() => idle(3), RangeError);
  });

  it('a Timeout interrupts sleep and the timer is released', async () => {
    await run(function* () {
      const before = getHub().loop._refActive;
      const t = new Timeout(0.01).start();
      try {
        yield* sleep(1);
      } catch (error) {
        assert.equal(error, t);
      }
      assert.equal(getHub().loop._refActive, before);
    });
  });

  describe('on the loop\'s timer queue', () => {
    const queue = () => getHub().loop._timerQueue;

    it('1,000 sleepers of one delay wake in the order they slept', async () => {
      await run(function* () {
        const woke: number[] = [];
        const gs = Array.from({ length: 1000 }, (_, i) =>
          spawn(function* () {
            yield* sleep(0.01);
            woke.push(i);
          }),
        );
        yield* joinAll(gs);
        assert.deepEqual(
          woke,
          gs.map((_, i) => i),
        );
      });
    });

    it('1,000 sleepers of mixed delays wake by deadline, equal deadlines in the order they slept', async () => {
      await run(function* () {
        const woke: QueuedTimer[] = [];
        const gs: Greenlet[] = [];
        for (let i = 0; i < 1000; i++) {
          gs.push(
            spawn(function* () {
              const seconds = [0.004, 0.003, 0.002, 0.001][i % 4];
              const op = sleep(seconds);
              // The entry is the operation itself: record it as it wakes.
              yield* op;
              woke.push(op as unknown as QueuedTimer);
            }),
          );
          // Starts spread over a few milliseconds: different delays share deadlines.
          if (i % 250 === 249) yield* sleep(0.001);
        }
        yield* sleep(0);
        const entries = gs.filter((g) => !g.dead).map(entryOf);
        yield* joinAll(gs);
        assert.equal(woke.length, 1000);
        const expected = [...woke].sort((a, b) => a._due - b._due || a._seq - b._seq);
        assert.deepEqual(woke, expected);
        if (BACKEND === 'uv') assert.ok(new Set(entries.map((e) => e._due)).size < entries.length / 10);
      });
    });

    it('a sleep(0) loop cannot starve a sleeper, nor a Timeout', async () => {
      await run(function* () {
        let woke = false;
        spawn(function* () {
          yield* sleep(0.001);
          woke = true;
        });
        const started = process.hrtime.bigint();
        while (!woke && elapsed(started) < 2) yield* sleep(0);
        assert.equal(woke, true);
        const t = new Timeout(0.001).start();
        let raised: unknown = null;
        try {
          while (elapsed(started) < 4) yield* sleep(0);
        } catch (error) {
          raised = error;
        }
        assert.equal(raised, t);
      });
    });

    it('a sleep and a Timeout due at once: the one started first goes first', async () => {
      await run(function* () {
        const t = new Timeout(0.01).start();
        try {
          yield* sleep(0.01);
          assert.fail('the Timeout started first');
        } catch (error) {
          assert.equal(error, t);
        }
        assert.equal(queue().size, 0);
      });
    });

    it('killing a sleeping greenlet takes its entry out at once', async () => {
      await run(function* () {
        const before = queue().size;
        const refs = getHub().loop._refActive;
        const g = spawn(function* () {
          yield* sleep(30);
        });
        yield* sleep(0);
        const entry = entryOf(g);
        assert.equal(queue().size, before + 1);
        assert.equal(getHub().loop._refActive, refs + 1);
        yield* g.kill();
        assert.equal(entry.queued, false);
        assert.equal(queue().size, before);
        assert.equal(getHub().loop._refActive, refs);
      });
    });

    it('many kills and timeouts of sleepers leave the queue empty', async () => {
      await run(function* () {
        for (let round = 0; round < 20; round++) {
          const gs = Array.from({ length: 100 }, (_, i) =>
            spawn(function* () {
              if (i % 2 === 0) {
                yield* sleep(60);
              } else {
                // Fires into the sleep, or is closed by run() when killed first.
                const t = new Timeout(0.001);
                try {
                  yield* t.run(() => sleep(60));
                } catch (error) {
                  if (error !== t) throw error;
                }
              }
            }),
          );
          yield* sleep(0.002);
          for (const g of gs) g.kill();
          yield* joinAll(gs);
        }
        assert.equal(queue().size, 0);
        assert.equal(getHub().loop._refActive, 0);
      });
    });

    it('dump() and LoopExit say what a sleeper sleeps for', async () => {
      const g = spawn(function* () {
        yield* sleep(12.5);
      });
      g.name = 'napper';
      await sleep(0);
      assert.match(getHub().dump(), /"napper" running .*waiting on a timer watcher \(sleep\(12\.5\)\)/);
      g.kill();
      const error = await run(function* () {
        yield* sleep(10, { ref: false });
      }).catch((e: unknown) => e);
      assert.ok(error instanceof LoopExit, String(error));
      assert.match(error.message, /sleep\(10\)/);
    });

    it('LoopExit is raised when only an unref\'d sleep is left, not while a ref\'d one runs', async () => {
      const started = process.hrtime.bigint();
      spawn(function* () {
        yield* sleep(0.05);
      });
      const error = await run(function* () {
        yield* sleep(10, { ref: false });
      }).catch((e: unknown) => e);
      assert.ok(error instanceof LoopExit, String(error));
      const took = elapsed(started);
      assert.ok(took >= 0.045 && took < 5, `LoopExit after ${took} s`);
      assert.equal(queue().size, 0);
    });

    it('an unref\'d sleep lets the process exit; a ref\'d one keeps it until it wakes', async () => {
      const [dropped, kept] = await Promise.all([
        runScriptAsync(`
          import { spawn, sleep } from 'lib/core';
          spawn(function* () {
            yield* sleep(5, { ref: false });
            console.log('woke');
          });
          spawn(function* () {
            yield* sleep(0.01);
            console.log('short one done');
          });
        `),
        runScriptAsync(`
          import { spawn, sleep } from 'lib/core';
          spawn(function* () {
            yield* sleep(0.3);
            console.log('woke');
          });
        `),
      ]);
      assert.equal(dropped.status, 0, dropped.stderr);
      assert.equal(dropped.stdout.trim(), 'short one done');
      assert.ok(dropped.elapsedMs < 4500, `exited after ${dropped.elapsedMs} ms`);
      assert.equal(kept.status, 0, kept.stderr);
      assert.equal(kept.stdout.trim(), 'woke');
    });

    it('sleeps in a worker thread use that thread\'s loop', async () => {
      const lib = JSON.stringify(path.join(ROOT, 'lib', 'core'));
      const worker = new Worker(
        `
        require('tsx/cjs');
        const { run, sleep, spawn, joinAll, getHub } = require(${lib});
        const { parentPort } = require('node:worker_threads');
        run(function* () {
          const woke = [];
          const gs = [0.02, 0.01, 0.01].map((s, i) => spawn(function* () { yield* sleep(s); woke.push(i); }));
          yield* joinAll(gs);
          return { woke, size: getHub().loop._timerQueue.size };
        }).then((result) => parentPort.postMessage(result));
      `,
        { eval: true, env: { ...process.env } },
      );
      // Listening for the exit from the start: it may come in the same turn as the message.
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      const result = await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      assert.deepEqual(result, { woke: [1, 2, 0], size: 0 });
      assert.equal(await exited, 0);
    });

    it('a sleeper whose loop closes stays asleep; the next hub sleeps on a new queue', async () => {
      // In a process of its own: closing this thread's loop would close it for every test.
      const result = await runScriptAsync(`
        import { getHub, run, sleep, spawn } from 'lib/core';
        const hub = getHub();
        const g = spawn(function* () {
          yield* sleep(0.01);
          console.log('woke on the closed loop');
        });
        const poll = setInterval(() => {
          const entry = g._waitingOn as { queued: boolean } | null;
          if (entry === null) return;
          clearInterval(poll);
          hub.loop.close();
          console.log('queued after close:', entry.queued);
          run(function* () {
            yield* sleep(0.01);
            return getHub() !== hub && getHub().loop._timerQueue.size === 0;
          }).then((fresh) => console.log('next hub:', fresh, 'dead:', g.dead));
        }, 1);
      `);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.trim(), 'queued after close: false\nnext hub: true dead: false');
    });
  });
});
