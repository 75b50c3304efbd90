import { strict as assert } from 'node:assert';
import * as os from 'node:os';

import { ClosedError, EVENTS, Loop, SIGNAL } from '../../lib/loop';
import { delay, newLoop, runScript, until } from '../helpers';

const { SIGUSR2, SIGHUP, SIGKILL, SIGSTOP, SIGSEGV } = os.constants.signals;

describe('loop.signal', () => {
  let loop: Loop;
  // Node's own listener keeps a signal from killing the test process while
  // no watcher is active; watchers must hear the signal alongside it.
  let nodeHeard = 0;
  const nodeListener = (): void => {
    nodeHeard++;
  };
  beforeEach(() => {
    loop = newLoop();
    nodeHeard = 0;
    process.on('SIGUSR2', nodeListener);
    process.on('SIGHUP', nodeListener);
  });
  afterEach(() => {
    loop.close();
    process.off('SIGUSR2', nodeListener);
    process.off('SIGHUP', nodeListener);
  });

  it('fires once per signal the process receives, and stays active', async () => {
    const w = loop.signal(SIGUSR2);
    const seen: number[] = [];
    w.start((revents: number) => seen.push(revents), EVENTS);
    process.kill(process.pid, 'SIGUSR2');
    await until(() => seen.length === 1);
    assert.deepEqual(seen, [SIGNAL]);
    assert.equal(w.active, true);
    await until(() => nodeHeard === 1);
    process.kill(process.pid, 'SIGUSR2');
    await until(() => seen.length === 2);
  });

  it('takes signal names, and tells its number and name', () => {
    const w = loop.signal('SIGHUP');
    assert.equal(w.signum, SIGHUP);
    assert.equal(w.signalName, 'SIGHUP');
    assert.equal(loop.signal(SIGUSR2).signalName, 'SIGUSR2');
    assert.equal(w.kind, 'signal');
  });

  it('several watchers, on one loop or two, and Node\'s listeners all hear one signal', async () => {
    const other = newLoop();
    try {
      let a = 0;
      let b = 0;
      let c = 0;
      loop.signal(SIGHUP).start(() => a++);
      loop.signal('SIGHUP').start(() => b++);
      other.signal(SIGHUP).start(() => c++);
      process.kill(process.pid, 'SIGHUP');
      await until(() => a === 1 && b === 1 && c === 1 && nodeHeard === 1);
    } finally {
      other.close();
    }
  });

  it('does not fire while stopped, and fires again once restarted', async () => {
    const w = loop.signal(SIGUSR2);
    let count = 0;
    w.start(() => count++);
    w.stop();
    assert.equal(w.active, false);
    process.kill(process.pid, 'SIGUSR2');
    await until(() => nodeHeard === 1);
    await delay(30);
    assert.equal(count, 0);
    w.start(() => count++);
    process.kill(process.pid, 'SIGUSR2');
    await until(() => count === 1);
  });

  it('catches a signal whose default action would end the process', () => {
    const result = runScript(`
      import { defaultLoop } from 'lib/loop';
      const w = defaultLoop().signal('SIGTERM');
      w.start(() => { console.log('caught SIGTERM'); w.close(); });
      process.kill(process.pid, 'SIGTERM');
    `);
    assert.equal(result.signal, null, result.stderr);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'caught SIGTERM');
  });

  it('refuses signals that cannot be caught or must not be, naming "signum"', () => {
    for (const bad of [SIGKILL, SIGSTOP, 'SIGKILL', 'SIGSTOP']) {
      assert.throws(() => loop.signal(bad as number), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"signum".*cannot be caught/ });
    }
    assert.throws(() => loop.signal(SIGSEGV), { name: 'RangeError', message: /"signum"/ });
    // The C library's threads use the first two real-time signals.
    for (const bad of [32, 33]) assert.throws(() => loop.signal(bad), { name: 'RangeError', message: /"signum"/ });
  });

  it('rejects bad arguments with errors that name them (gevent test__core: signal(1000))', () => {
    for (const bad of [0, -1, 65, 1000, 1.5, NaN, Infinity]) {
      assert.throws(() => loop.signal(bad), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"signum"/ });
    }
    for (const bad of ['SIGFOO', 'sigint', '2', '']) {
      assert.throws(() => loop.signal(bad as NodeJS.Signals), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /"signum"/ });
    }
    for (const bad of [null, undefined, {}, true]) {
      assert.throws(() => loop.signal(bad as unknown as number), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"signum"/ });
    }
  });

  it('refuses use after close with ClosedError', () => {
    const w = loop.signal(SIGUSR2);
    w.start(() => undefined);
    w.close();
    assert.equal(w.active, false);
    assert.throws(() => w.start(() => undefined), ClosedError);
    w.close();
  });
});
