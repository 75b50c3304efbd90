import { strict as assert } from 'node:assert';

import { getHub, idle, run, sleep, spawn, spawnLater, Timeout, yieldNow } from '../../lib/core';
import { defaultLoop, READ } from '../../lib/loop';
import { closeFds, makePipe, readFd, writeFd } from '../helpers';
import { elapsed } from './helpers';

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
});
