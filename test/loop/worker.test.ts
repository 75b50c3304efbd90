import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import { defaultLoop, sendAsync } from '../../lib/loop';
import { newLoop, ROOT, runScriptAsync, until } from '../helpers';

const LIB = JSON.stringify(path.join(ROOT, 'lib', 'loop'));

/**
 * A worker thread running `source` (TypeScript loaded through tsx), with
 * `lib` the loop module and `parentPort`/`workerData` in scope.
 */
function startWorker(source: string, workerData?: unknown): Worker {
  const prelude = `
    require('tsx/cjs');
    const lib = require(${LIB});
    const { parentPort, workerData } = require('node:worker_threads');
  `;
  return new Worker(prelude + source, { eval: true, workerData, env: { ...process.env } });
}

function exitOf(worker: Worker): Promise<number> {
  return new Promise((resolve, reject) => {
    worker.on('exit', resolve);
    worker.on('error', reject);
  });
}

function messageOf<T>(worker: Worker): Promise<T> {
  return new Promise((resolve) => worker.once('message', resolve));
}

describe('loop in worker threads', () => {
  it('each thread has its own loop; a worker\'s timers fire there and it exits when idle', async () => {
    const main = defaultLoop();
    let mainFired = 0;
    main.timer(0.01, 0.01).start(function (this: { stop(): void }) {
      if (++mainFired === 5) this.stop();
    });
    const worker = startWorker(`
      const loop = lib.defaultLoop();
      const started = Date.now();
      loop.timer(0.05).start(() => parentPort.postMessage({ backend: loop.backend, elapsed: Date.now() - started }));
    `);
    const exit = exitOf(worker);
    const message = await messageOf<{ backend: string; elapsed: number }>(worker);
    assert.equal(message.backend, main.backend);
    assert.ok(message.elapsed >= 49, `fired after ${message.elapsed} ms`);
    assert.equal(await exit, 0);
    await until(() => mainFired === 5);
  });

  it('a worker wakes an async watcher of the main thread with sendAsync(token)', async () => {
    const loop = newLoop();
    try {
      const w = loop.async();
      let fired = 0;
      const worker = startWorker(`
        let rounds = 0;
        parentPort.on('message', () => {
          if (++rounds === 5) return parentPort.close();
          lib.sendAsync(workerData.token);
        });
        parentPort.postMessage(lib.sendAsync(workerData.token));
      `, { token: w.token });
      w.start(() => {
        fired++;
        worker.postMessage('again');
      });
      assert.equal(await messageOf(worker), true);
      await exitOf(worker);
      assert.equal(fired, 5);
    } finally {
      loop.close();
    }
  });

  it('the main thread wakes an async watcher of a worker', async () => {
    const worker = startWorker(`
      const loop = lib.defaultLoop();
      const w = loop.async();
      w.start(() => { parentPort.postMessage('woken'); loop.close(); });
      parentPort.postMessage(w.token);
    `);
    const token = await messageOf<number>(worker);
    const woken = messageOf<string>(worker);
    assert.equal(sendAsync(token), true);
    assert.equal(await woken, 'woken');
    assert.equal(await exitOf(worker), 0);
    assert.equal(sendAsync(token), false);
  });

  it('closes a worker\'s handles when the thread ends, even with ref\'d watchers active', async () => {
    for (const how of ['terminate', 'process.exit'] as const) {
      const worker = startWorker(`
        const { addon } = require(${JSON.stringify(path.join(ROOT, 'lib', 'loop', 'native'))});
        const loop = lib.defaultLoop();
        const w = loop.async();
        w.start(() => undefined);
        loop.timer(3600).start(() => undefined);
        loop.periodic(0, 3600).start(() => undefined);
        loop.io(addon.syscalls.pipe()[0], lib.READ).start(() => undefined);
        loop.idle().start(() => undefined);
        loop.stat('/nonexistent/greenhub', 1).start(() => undefined);
        parentPort.on('message', () => process.exit(3));
        parentPort.postMessage(w.token);
      `);
      const exit = exitOf(worker);
      const token = await messageOf<number>(worker);
      assert.equal(sendAsync(token), true);
      const started = Date.now();
      if (how === 'terminate') {
        await worker.terminate();
      } else {
        worker.postMessage('exit');
        assert.equal(await exit, 3);
      }
      assert.ok(Date.now() - started < 5000, `${how} took ${Date.now() - started} ms`);
      assert.equal(sendAsync(token), false, how);
    }
  });

  it('sends racing the end of the receiving thread are safe', async () => {
    for (let round = 0; round < 5; round++) {
      const worker = startWorker(`
        const loop = lib.defaultLoop();
        const w = loop.async();
        let fired = 0;
        w.start(() => {
          if (++fired === 3) loop.close();
        });
        parentPort.postMessage(w.token);
      `);
      const exit = exitOf(worker);
      const token = await messageOf<number>(worker);
      let accepted = 0;
      // Keep sending while the worker closes its loop and ends.
      while (sendAsync(token)) {
        accepted++;
        if (accepted % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      assert.ok(accepted >= 1);
      assert.equal(await exit, 0);
    }
  });

  it('a worker sending while the main thread closes its watcher is safe', async () => {
    const loop = newLoop();
    const w = loop.async();
    let fired = 0;
    w.start(() => fired++);
    const worker = startWorker(`
      let sent = 0;
      while (lib.sendAsync(workerData.token)) sent++;
      parentPort.postMessage(sent);
    `, { token: w.token });
    await until(() => fired > 0);
    loop.close();
    const sent = await messageOf<number>(worker);
    assert.ok(sent > 0);
    await exitOf(worker);
  });

  it('a worker terminated while it loads the addon or makes its loop does not abort the process', async function () {
    this.timeout(60000);
    // In a child process: an abort there fails this test instead of ending mocha.
    const addon = JSON.stringify(process.env.GREENHUB_ADDON ?? path.join(ROOT, 'build', 'Release', 'greenhub.node'));
    const result = await runScriptAsync(
      `
      const { Worker } = require('node:worker_threads');
      (async () => {
        for (let i = 0; i < 80; i++) {
          const worker = new Worker(
            'require(' + JSON.stringify(${addon}) + ").createLoop('uv', () => {}); setTimeout(() => {}, 1000)",
            { eval: true },
          );
          await new Promise((resolve) => worker.once('online', resolve));
          const until = Date.now() + (i % 5) * 0.5;
          while (Date.now() < until);
          await worker.terminate();
        }
        console.log('survived');
      })();
      `,
      { timeoutMs: 55000 },
    );
    assert.equal(result.signal, null, result.stderr);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /survived/);
  });
});
