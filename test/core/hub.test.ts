import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';

import {
  ConcurrentObjectUseError,
  getCurrent,
  getHub,
  Greenlet,
  Hub,
  LoopExit,
  run,
  sleep,
  spawn,
  Timeout,
} from '../../lib/core';
import { defaultLoop, Loop, TIMER, type Watcher } from '../../lib/loop';
import { runScript } from '../helpers';
import { ExpectedError, withCapturedErrors } from './helpers';

function collectingStream(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('Hub', () => {
  it('getHub() is one hub per thread on the default loop', () => {
    assert.equal(getHub(), getHub());
    assert.ok(getHub() instanceof Hub);
    assert.equal(getHub().loop, defaultLoop());
  });

  it('getCurrent() is the running greenlet, the hub elsewhere', async () => {
    assert.equal(getCurrent(), getHub());
    const g = spawn(function* (this: Greenlet) {
      return getCurrent() === this;
    });
    assert.equal(await g, true);
    let inCallback: unknown;
    defaultLoop().runCallback(() => (inCallback = getCurrent()));
    await sleep(0.001);
    assert.equal(inCallback, getHub());
  });

  describe('handleError', () => {
    it('prints the error, its stack and the greenlet name by default; GreenletExit is silent', async () => {
      const hub = getHub();
      const { stream, text } = collectingStream();
      const before = hub.exceptionStream;
      hub.exceptionStream = stream;
      try {
        const g = spawn(() => {
          throw new ExpectedError('printed');
        });
        g.name = 'noisy';
        await g.join();
        const killed = spawn(function* () {
          yield* sleep(1);
        });
        killed.name = 'quiet';
        await sleep(0);
        await killed.kill();
      } finally {
        hub.exceptionStream = before;
      }
      assert.match(text(), /ExpectedError: printed/);
      assert.match(text(), /at .*hub\.test\.ts/);
      assert.match(text(), /noisy.*failed with ExpectedError/);
      assert.doesNotMatch(text(), /quiet/);
    });

    it('can be replaced per hub; greenlet.exception is stored either way', async () => {
      await withCapturedErrors(async (errors) => {
        const boom = new ExpectedError();
        const g = spawn(() => {
          throw boom;
        });
        await g.join();
        assert.equal(g.exception, boom);
        assert.deepEqual(errors, [[g, boom]]);
      });
    });

    it('an override that raises does not break get() (test__hub)', async () => {
      const hub = getHub();
      const original = hub.handleError;
      const { stream } = collectingStream();
      const before = hub.exceptionStream;
      hub.exceptionStream = stream;
      hub.handleError = () => {
        throw new Error('handler failed');
      };
      const saved = process.listeners('uncaughtException');
      process.removeAllListeners('uncaughtException');
      const uncaught: unknown[] = [];
      process.on('uncaughtException', (e) => uncaught.push(e));
      try {
        const g = spawn(() => {
          throw new ExpectedError('mine');
        });
        await assert.rejects(Promise.resolve(g.get()), ExpectedError);
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        hub.handleError = original;
        hub.exceptionStream = before;
        process.removeAllListeners('uncaughtException');
        for (const listener of saved) process.on('uncaughtException', listener);
      }
      assert.equal(uncaught.length, 1);
    });

    it('a watcher callback that raises is reported once and the hub goes on (test__hub)', async () => {
      await withCapturedErrors(async (errors) => {
        const timer = getHub().loop.timer(0);
        timer.start(() => {
          throw new ExpectedError('from timer');
        });
        const started = Date.now();
        await sleep(0.1);
        assert.ok(Date.now() - started >= 95);
        assert.equal(errors.length, 1);
        assert.equal(errors[0][0], timer);
        timer.close();
      });
    });

    it('nothing crashes the process: an unhandled greenlet error only prints', () => {
      const result = runScript(`
        import { spawn, sleep } from 'lib/core';
        spawn(() => { throw new Error('reported, not fatal'); });
        spawn(function* () { yield* sleep(0.01); console.log('still alive'); });
      `);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.trim(), 'still alive');
      assert.match(result.stderr, /reported, not fatal/);
      assert.match(result.stderr, /failed with Error/);
    });
  });

  describe('hub.wait(watcher)', () => {
    it('starts the watcher, blocks until it fires, stops it, returns the event bits', async () => {
      await run(function* () {
        const hub = getHub();
        const timer = hub.loop.timer(0.01);
        const revents = yield* hub.wait(timer);
        assert.equal(revents, TIMER);
        assert.equal(timer.active, false);
        timer.close();
      });
    });

    it('two greenlets waiting on one watcher: ConcurrentObjectUseError', async () => {
      await withCapturedErrors(async () => {
        const hub = getHub();
        const timer = hub.loop.timer(0.05);
        const first = spawn(function* () {
          yield* hub.wait(timer);
        });
        const second = spawn(function* () {
          yield* hub.wait(timer);
        });
        await first.join();
        await second.join();
        assert.ok(second.exception instanceof ConcurrentObjectUseError);
        assert.equal(first.successful(), true);
        timer.close();
      });
    });

    it('rejects what is not a watcher of its loop', () => {
      const hub = getHub();
      assert.throws(() => hub.wait(5 as unknown as Watcher), { name: 'TypeError', message: /"watcher"/ });
      assert.throws(() => hub.wait({ kind: 'timer' } as unknown as Watcher), { name: 'TypeError', message: /"watcher"/ });
      const other = new Loop();
      try {
        assert.throws(() => hub.wait(other.timer(1)), { code: 'ERR_INVALID_ARG_VALUE', message: /"watcher"/ });
      } finally {
        other.close();
      }
    });

    it('a Timeout around it stops the watcher', async () => {
      await run(function* () {
        const hub = getHub();
        const timer = hub.loop.timer(10);
        const t = new Timeout(0.01);
        try {
          yield* t.run(() => hub.wait(timer));
        } catch (error) {
          assert.equal(error, t);
        }
        assert.equal(timer.active, false);
        timer.close();
      });
    });
  });

  describe('LoopExit', () => {
    it('awaiting something nothing can wake rejects with LoopExit naming what it waits on', async () => {
      const never = new Greenlet(() => 1);
      never.name = 'never-started';
      const error = await run(function* () {
        yield* never.join();
      }).catch((e: unknown) => e);
      assert.ok(error instanceof LoopExit, String(error));
      assert.match(error.message, /would block forever/);
      assert.match(error.message, /never-started/);
    });

    it('is raised at the blocking point: finally blocks run', async () => {
      const log: string[] = [];
      const error = await run(function* () {
        try {
          yield* sleep(10, { ref: false });
        } finally {
          log.push('finally');
        }
      }).catch((e: unknown) => e);
      assert.ok(error instanceof LoopExit);
      assert.deepEqual(log, ['finally']);
    });

    it('`await greenlet` rejects with LoopExit while the greenlet stays blocked', async () => {
      const blocked = spawn(function* () {
        yield* sleep(10, { ref: false });
      });
      await assert.rejects(Promise.resolve(blocked).then(() => undefined), LoopExit);
      assert.equal(blocked.dead, false);
      blocked.kill();
    });

    it('a timeout keeps it away: the wait just times out', async () => {
      const never = new Greenlet(() => 1);
      assert.equal(
        await run(function* () {
          return yield* never.join(0.01);
        }),
        false,
      );
    });

    it('greenlets nobody awaits stay blocked without an error', () => {
      const result = runScript(`
        import { spawn, sleep, Greenlet } from 'lib/core';
        spawn(function* () { yield* new Greenlet(() => 1).join(); console.log('never'); });
        spawn(function* () { yield* sleep(0.01); console.log('done'); });
      `);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.trim(), 'done');
      assert.equal(result.stderr, '');
    });
  });

  it('dump() lists live greenlets with what they wait on', async () => {
    const g = spawn(function* () {
      yield* sleep(10);
    });
    g.name = 'dumped';
    await sleep(0);
    const dump = getHub().dump();
    assert.match(dump, /dumped.*waiting on a timer watcher/);
    g.kill();
  });
});
