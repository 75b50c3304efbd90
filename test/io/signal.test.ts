import { strict as assert } from 'node:assert';

import { getHub, run, sleep, spawn, wait } from '../../lib/core';
import { signalHandler, SignalHandler } from '../../lib/io';
import { runScript } from '../helpers';

/** Sends `signal` to this process; the loop delivers it on a later turn. */
function raise(signal: NodeJS.Signals): void {
  process.kill(process.pid, signal);
}

describe('signalHandler', () => {
  // A Node listener keeps SIGUSR2's default action (terminate) away from
  // this process while the tests install and cancel handlers.
  const guard = (): void => {};
  before(() => process.on('SIGUSR2', guard));
  after(() => process.removeListener('SIGUSR2', guard));

  it('runs the handler in a new greenlet, with its arguments, on each delivery', async () => {
    await run(function* () {
      const calls: [string, number, boolean][] = [];
      const handler = signalHandler(
        'SIGUSR2',
        function* (label: string, n: number) {
          calls.push([label, n, getHub()._running !== null]);
          yield* sleep(0);
        },
        'usr2',
        7,
      );
      assert.ok(handler instanceof SignalHandler);
      assert.equal(handler.signum, 12);
      assert.equal(handler.signalName, 'SIGUSR2');
      raise('SIGUSR2');
      while (calls.length < 1) yield* sleep(0.01);
      raise('SIGUSR2');
      while (calls.length < 2) yield* sleep(0.01);
      assert.deepEqual(calls, [
        ['usr2', 7, true],
        ['usr2', 7, true],
      ]);
      handler.cancel();
      assert.equal(handler.active, false);
      handler.cancel();
    });
  });

  it('handlers may block, and run while other greenlets are busy', async () => {
    await run(function* () {
      let ticks = 0;
      const busy = spawn(function* () {
        for (;;) {
          yield* sleep(0.005);
          ticks++;
        }
      });
      const log: string[] = [];
      const handler = signalHandler('SIGUSR2', function* () {
        log.push(`start@${ticks}`);
        yield* sleep(0.05);
        log.push('end');
      });
      yield* sleep(0.02);
      raise('SIGUSR2');
      raise('SIGUSR2');
      const deadline = Date.now() + 5000;
      while (log.filter((x) => x === 'end').length < 1 && Date.now() < deadline) yield* sleep(0.01);
      assert.ok(log.length >= 2 && log[0].startsWith('start@'), log.join());
      assert.ok(ticks > 0);
      busy.kill();
      handler.cancel();
    });
  });

  it("Node's process.on() listeners hear the signal too", async () => {
    await run(function* () {
      let node = 0;
      let green = 0;
      const listener = (): void => {
        node++;
      };
      process.on('SIGUSR2', listener);
      const handler = signalHandler('SIGUSR2', () => {
        green++;
      });
      raise('SIGUSR2');
      const deadline = Date.now() + 5000;
      while ((node === 0 || green === 0) && Date.now() < deadline) yield* sleep(0.01);
      process.removeListener('SIGUSR2', listener);
      handler.cancel();
      assert.equal(node, 1);
      assert.equal(green, 1);
    });
  });

  it('async and plain functions work as handlers', async () => {
    await run(function* () {
      const seen: string[] = [];
      const a = signalHandler('SIGUSR2', async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        seen.push('async');
      });
      const b = signalHandler('SIGUSR2', (tag: string) => {
        seen.push(tag);
      }, 'plain');
      raise('SIGUSR2');
      const deadline = Date.now() + 5000;
      while (seen.length < 2 && Date.now() < deadline) yield* sleep(0.01);
      assert.deepEqual(seen.sort(), ['async', 'plain']);
      a.cancel();
      b.cancel();
    });
  });

  it('is unref\'d by default (wait() returns), ref is settable (test__signal)', async () => {
    await run(function* () {
      const handler = signalHandler('SIGWINCH', () => {});
      assert.equal(handler.ref, false);
      assert.equal(yield* wait(null, { timeout: 2 }), true);
      handler.ref = true;
      assert.equal(handler.ref, true);
      assert.equal(yield* wait(null, { timeout: 0.05 }), false);
      handler.ref = false;
      assert.equal(handler.ref, false);
      assert.throws(() => {
        handler.ref = 'yes' as unknown as boolean;
      }, TypeError);
      handler.cancel();
    });
  });

  it('after cancel() the handler no longer runs', async () => {
    await run(function* () {
      let calls = 0;
      const handler = signalHandler('SIGWINCH', () => {
        calls++;
      });
      handler.cancel();
      raise('SIGWINCH');
      yield* sleep(0.1);
      assert.equal(calls, 0);
    });
  });

  it('checks its arguments', () => {
    assert.throws(() => signalHandler('SIGALRM', 1 as unknown as () => void), { name: 'TypeError', message: /"handler"/ });
    assert.throws(() => signalHandler('SIGFOO' as NodeJS.Signals, () => {}), { code: 'ERR_INVALID_ARG_VALUE', message: /"signum"/ });
    assert.throws(() => signalHandler({} as unknown as number, () => {}), { name: 'TypeError', message: /"signum"/ });
    assert.throws(() => signalHandler(0, () => {}), { name: 'RangeError', message: /"signum"/ });
    assert.throws(() => signalHandler(99, () => {}), { name: 'RangeError' });
    assert.throws(() => signalHandler(2.5, () => {}), { name: 'RangeError' });
    // Cannot be caught: the kernel refuses, and the error says so.
    assert.throws(() => signalHandler('SIGKILL', () => {}), (e: NodeJS.ErrnoException) => typeof e.code === 'string');
    assert.throws(() => signalHandler('SIGSTOP', () => {}), (e: NodeJS.ErrnoException) => typeof e.code === 'string');
  });

  it("a handler's exception is raised in the main flow, for every delivery (test__signal)", function () {
    this.timeout(30000);
    const result = runScript(`
      import { run, sleep } from 'lib/core';
      import { signalHandler } from 'lib/io';
      class Expected extends Error { name = 'Expected'; }
      const seen: string[] = [];
      process.on('uncaughtException', (error) => {
        seen.push(String(error));
      });
      run(function* () {
        const sig = signalHandler('SIGALRM', () => { throw new Expected('TestSignal'); });
        const started = Date.now();
        process.kill(process.pid, 'SIGALRM');
        while (seen.length < 1 && Date.now() - started < 5000) yield* sleep(0.01);
        process.kill(process.pid, 'SIGALRM');
        while (seen.length < 2 && Date.now() - started < 5000) yield* sleep(0.01);
        sig.cancel();
        console.log(JSON.stringify(seen));
      });
    `);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout.trim()), ['Expected: TestSignal', 'Expected: TestSignal']);
    // Not printed by the hub as a greenlet failure: only the main flow saw it.
    assert.doesNotMatch(result.stderr, /failed with/);
  });

  it('without an uncaughtException listener the process ends with the error, like an uncaught exception', function () {
    this.timeout(30000);
    const result = runScript(`
      import { run, sleep } from 'lib/core';
      import { signalHandler } from 'lib/io';
      run(function* () {
        signalHandler('SIGUSR2', () => { throw new Error('boom from the handler'); });
        process.kill(process.pid, 'SIGUSR2');
        yield* sleep(5);
        console.log('not reached');
      });
    `);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /boom from the handler/);
    assert.doesNotMatch(result.stdout, /not reached/);
  });

  it('an unref\'d handler does not keep the process alive', function () {
    this.timeout(30000);
    const started = Date.now();
    const result = runScript(`
      import { signalHandler } from 'lib/io';
      signalHandler('SIGUSR2', () => {});
      console.log('installed');
    `);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'installed');
    assert.ok(Date.now() - started < 20000);
  });
});
