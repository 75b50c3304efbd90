import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

import * as greenhub from '../lib';
import { ROOT } from './helpers';

// DESIGN.md's "Public API": the names are the contract.
const TOP_LEVEL = [
  // core
  'spawn', 'spawnLater', 'spawnRaw', 'sleep', 'idle', 'yieldNow', 'joinAll', 'killAll', 'wait', 'iwait', 'until', 'run',
  'getHub', 'getCurrent', 'Greenlet', 'GreenletExit', 'Timeout', 'withTimeout', 'LoopExit',
  'InvalidSwitchError', 'ConcurrentObjectUseError', 'BlockingSwitchOutError',
  // sync
  'Event', 'AsyncResult', 'Queue', 'LifoQueue', 'PriorityQueue', 'JoinableQueue', 'SimpleQueue', 'Channel',
  'Semaphore', 'BoundedSemaphore', 'DummySemaphore', 'Lock', 'RLock', 'Pool', 'Group', 'local',
  // loop
  'Loop', 'defaultLoop', 'READ', 'WRITE',
  // io
  'socket', 'Socket', 'createConnection', 'waitRead', 'waitWrite', 'getaddrinfo', 'StreamServer', 'DatagramServer',
  'HttpServer', 'subprocess', 'Popen', 'checkOutput', 'signal', 'signalHandler', 'threadpool', 'ThreadPool', 'monkey',
] as const;

const NAMESPACES: Record<string, string[]> = {
  socket: ['Socket', 'createConnection', 'waitRead', 'waitWrite', 'getaddrinfo', 'SocketTimeout'],
  subprocess: ['Popen', 'run', 'checkOutput', 'checkCall', 'CalledProcessError', 'TimeoutExpired'],
  signal: ['signalHandler', 'SignalHandler'],
  threadpool: ['ThreadPool'],
  monkey: ['patchAll', 'isPatched', 'unpatch'],
};

describe('package entry points', () => {
  it('export every name of the public API', () => {
    const exported = greenhub as unknown as Record<string, unknown>;
    for (const name of TOP_LEVEL) assert.notEqual(exported[name], undefined, name);
  });

  it('group io modules as namespaces that share the top-level objects', () => {
    const exported = greenhub as unknown as Record<string, Record<string, unknown>>;
    for (const [space, names] of Object.entries(NAMESPACES)) {
      for (const name of names) assert.equal(typeof exported[space][name], 'function', `${space}.${name}`);
    }
    assert.equal(greenhub.socket.Socket, greenhub.Socket);
    assert.equal(greenhub.signal.signalHandler, greenhub.signalHandler);
  });

  it('CommonJS and ESM builds export the same names and share one hub', function () {
    const dist = path.join(ROOT, 'dist', 'index.js');
    const script = `
      const cjs = require(${JSON.stringify(dist)});
      import(${JSON.stringify(path.join(ROOT, 'dist', 'index.mjs'))}).then((esm) => {
        const names = (o) => Object.keys(o).filter((n) => n !== 'default').sort().join(',');
        console.log(names(cjs) === names(esm), esm.getHub() === cjs.getHub(), typeof esm.socket.Socket);
      });`;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20000 });
    if (result.status !== 0 && /Cannot find module/.test(result.stderr)) this.skip(); // dist/ not built
    assert.equal(result.stdout.trim(), 'true true function', result.stderr);
  });
});
