import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';

import {
  BlockingReport,
  getHub,
  Greenlet,
  Hub,
  LoopExit,
  Monitor,
  run,
  sleep,
  spawn,
  yieldNow,
} from '../../lib/core';
import { Loop } from '../../lib/loop';
import { runScript } from '../helpers';

function busy(ms: number): number {
  const end = Date.now() + ms;
  let spins = 0;
  while (Date.now() < end) spins++;
  return spins;
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/** Runs `body` with the monitor on, collecting its reports and what it prints. */
async function monitored(
  options: { maxBlockingTime?: number; captureStacks?: boolean },
  body: (monitor: Monitor) => Promise<void>,
): Promise<{ reports: BlockingReport[]; printed: string }> {
  const hub = getHub();
  const { stream, text } = collector();
  const before = hub.exceptionStream;
  hub.exceptionStream = stream;
  const reports: BlockingReport[] = [];
  const monitor = hub.startMonitor(options);
  monitor.on('blocking', (report) => reports.push(report));
  try {
    await body(monitor);
    // A report is published from the hub's queue: give it a turn.
    await sleep(0.05);
  } finally {
    monitor.removeAllListeners('blocking');
    hub.stopMonitor();
    hub.exceptionStream = before;
  }
  return { reports, printed: text() };
}

describe('blocking monitor', () => {
  afterEach(() => getHub().stopMonitor());

  it('reports a greenlet that busy-loops 300 ms: its name, spawn site, duration and stack', async () => {
    let spawned: Greenlet | undefined;
    const { reports, printed } = await monitored({ maxBlockingTime: 0.1 }, async () => {
      const g = spawn(function* spinner() {
        yield* sleep(0.01);
        busy(300);
        yield* sleep(0.01);
      });
      g.name = 'spinner';
      spawned = g;
      await g.join();
    });
    assert.equal(reports.length, 1, printed);
    const [report] = reports;
    assert.equal(report.greenlet, spawned);
    assert.ok(report.blockedFor >= 0.15 && report.blockedFor < 10, `blockedFor ${report.blockedFor}`);
    assert.equal(report.maxBlockingTime, 0.1);
    assert.match(report.spawnSite ?? '', /monitor\.test\.ts:\d+:\d+/);
    assert.match(report.stack ?? '', /at busy \(.*monitor\.test\.ts:\d+:\d+\)/);
    assert.match(printed, /greenhub monitor: <Greenlet "spinner" running \(spinner\)> blocked the event loop for \d+ ms \(maxBlockingTime 100 ms\)/);
    assert.match(printed, /spawned at:\n {4}at .*monitor\.test\.ts/);
    assert.match(printed, /running when the block was noticed:\n {4}at busy/);
    assert.match(printed, /monitor: on, maxBlockingTime 0\.1 s, 1 report\(s\)/);
  });

  it('reports nothing for a program that keeps switching', async () => {
    const { reports, printed } = await monitored({ maxBlockingTime: 0.2 }, async () => {
      const workers = Array.from({ length: 4 }, (_, i) =>
        spawn(function* () {
          for (let round = 0; round < 25; round++) {
            busy(2); // short bursts between switches are fine
            yield* sleep(round % 2 === 0 ? 0 : 0.004 + i * 0.001);
          }
        }),
      );
      // An idle loop waiting in poll is not blocked either.
      await sleep(0.4);
      for (const worker of workers) await worker.join();
    });
    assert.deepEqual(reports, [], printed);
    assert.equal(printed, '');
  });

  it('reports a block outside greenlets (a callback) with no greenlet and the callback stack', async () => {
    const { reports } = await monitored({ maxBlockingTime: 0.05 }, async () => {
      await new Promise<void>((resolve) =>
        getHub().loop.runCallback(function blockingCallback() {
          busy(200);
          resolve();
        }),
      );
      await sleep(0.05);
    });
    assert.equal(reports.length, 1);
    assert.equal(reports[0].greenlet, null);
    assert.match(reports[0].stack ?? '', /at blockingCallback/);
    assert.match(String(reports[0]), /code outside any greenlet \(a callback or plain JS\) blocked the event loop/);
  });

  it('blames the greenlet that blocked, not one that ran after it in the same turn', async () => {
    const { reports } = await monitored({ maxBlockingTime: 0.05 }, async () => {
      const a = spawn(function* () {
        busy(200);
      });
      a.name = 'blocker';
      const b = spawn(function* () {
        yield* sleep(0);
      });
      b.name = 'innocent';
      await a.join();
      await b.join();
    });
    assert.equal(reports.length, 1);
    assert.equal(reports[0].greenlet?.name, 'blocker');
  });

  it('captureStacks: false reports without a stack; printReports: false prints nothing', async () => {
    const { reports, printed } = await monitored({ maxBlockingTime: 0.05, captureStacks: false }, async (monitor) => {
      monitor.printReports = false;
      await run(function* () {
        busy(150);
      });
    });
    assert.equal(reports.length, 1);
    assert.equal(reports[0].stack, null);
    assert.equal(printed, '');
  });

  it('startMonitor() again reconfigures the running monitor and keeps its listeners', async () => {
    const hub = getHub();
    const monitor = hub.startMonitor({ maxBlockingTime: 1, printReports: false });
    const seen: BlockingReport[] = [];
    monitor.on('blocking', (report) => seen.push(report));
    assert.equal(hub.startMonitor({ maxBlockingTime: 0.05 }), monitor);
    assert.equal(monitor.maxBlockingTime, 0.05);
    assert.equal(monitor.printReports, false);
    await run(function* () {
      busy(150);
    });
    await sleep(0.05);
    assert.equal(seen.length, 1);
    hub.stopMonitor();
    assert.equal(hub.monitor, null);
    assert.equal(monitor.running, false);
    hub.stopMonitor(); // a no-op
  });

  it('a stopped monitor reports nothing, and a restarted one works again', async () => {
    const hub = getHub();
    const monitor = hub.startMonitor({ maxBlockingTime: 0.05, printReports: false });
    let count = 0;
    monitor.on('blocking', () => count++);
    hub.stopMonitor();
    busy(150);
    await sleep(0.05);
    assert.equal(count, 0);
    assert.equal(hub.startMonitor(), monitor);
    busy(150);
    await sleep(0.05);
    assert.equal(count, 1);
    monitor.removeAllListeners();
  });

  it('records spawn sites only while it runs; dump() shows them', async () => {
    const before = spawn(function* () {
      yield* sleep(10);
    });
    assert.equal(before.spawnSite, null);
    getHub().startMonitor({ printReports: false });
    const during = spawn(function* () {
      yield* sleep(10);
    });
    during.name = 'tracked';
    await sleep(0);
    assert.match(during.spawnSite ?? '', /^ {4}at .*monitor\.test\.ts:\d+:\d+/);
    assert.match(getHub().dump(), /"tracked" running .*waiting on a timer watcher \(sleep\(10\)\), spawned at .*monitor\.test\.ts/);
    getHub().stopMonitor();
    const after = spawn(function* () {
      yield* sleep(10);
    });
    assert.equal(after.spawnSite, null);
    for (const g of [before, during, after]) await g.kill();
  });

  it('rejects bad options, naming them', () => {
    const hub = getHub();
    for (const bad of [0, -1, 0.0001, 3601, Infinity, NaN]) {
      assert.throws(() => hub.startMonitor({ maxBlockingTime: bad }), { name: 'RangeError', message: /"options\.maxBlockingTime"/ });
    }
    assert.throws(() => hub.startMonitor({ maxBlockingTime: '1' as unknown as number }), {
      name: 'TypeError',
      message: /"options\.maxBlockingTime" argument must be of type number/,
    });
    assert.throws(() => hub.startMonitor({ printReports: 1 as unknown as boolean }), { name: 'TypeError', message: /options\.printReports/ });
    assert.throws(() => hub.startMonitor(null as unknown as object), { name: 'TypeError', message: /"options"/ });
    assert.equal(hub.monitor, null, 'a rejected start starts nothing');
  });

  it('watches one thread once: a second hub of the thread cannot start another', () => {
    const loop = new Loop();
    const other = new Hub(loop);
    getHub().startMonitor({ printReports: false });
    try {
      assert.throws(() => other.startMonitor(), { code: 'ERR_MONITOR_RUNNING' });
      assert.equal(other.monitor, null);
    } finally {
      getHub().stopMonitor();
      loop.close();
    }
  });

  it('dump() takes a limit and says what can still wake anyone', async () => {
    const gs = Array.from({ length: 3 }, () =>
      spawn(function* () {
        yield* sleep(10);
      }),
    );
    await yieldNow();
    const dump = getHub().dump({ limit: 1 });
    assert.match(dump, /^Hub: \d+ greenlet\(s\), loop backend \w+, \d+ ref'd watcher\(s\) active, callbacks queued: (yes|no), promises awaited: \d+\nmonitor: off\n/);
    assert.match(dump, /\.\.\. and \d+ more$/);
    assert.throws(() => getHub().dump({ limit: -1 }), { code: 'ERR_INVALID_ARG_VALUE', message: /options\.limit/ });
    for (const g of gs) await g.kill();
  });

  it('LoopExit lists what blocked greenlets wait on, with spawn sites when recorded', async () => {
    getHub().startMonitor({ printReports: false });
    const stuck = spawn(function* () {
      yield* new Greenlet().join();
    });
    stuck.name = 'stuck';
    await assert.rejects(
      run(function* () {
        yield* stuck.join();
      }),
      (error: unknown) => {
        assert.ok(error instanceof LoopExit);
        assert.match(error.message, /"stuck" running .*waiting on greenlet "Greenlet-\d+", spawned at .*monitor\.test\.ts/);
        return true;
      },
    );
    getHub().stopMonitor();
    await stuck.kill();
  });

  it('GREENHUB_MONITOR=1 starts it with the hub; it keeps no process alive and reports from a script', () => {
    const result = runScript(
      `
      import { getHub, run, sleep } from 'lib/core';
      const hub = getHub();
      console.log(hub.monitor !== null, hub.monitor?.maxBlockingTime);
      run(function* busyMain() {
        yield* sleep(0.01);
        const end = Date.now() + 250;
        while (Date.now() < end);
        yield* sleep(0.01);
      });
    `,
      { env: { GREENHUB_MONITOR: '1', GREENHUB_MAX_BLOCKING_TIME: '0.08' } },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'true 0.08');
    assert.match(result.stderr, /greenhub monitor: <Greenlet "Greenlet-\d+" running \(busyMain\)> blocked the event loop for \d+ ms \(maxBlockingTime 80 ms\)/);
  });

  it('a bad GREENHUB_MONITOR or GREENHUB_MAX_BLOCKING_TIME is an error naming it', () => {
    const script = `import { getHub } from 'lib/core'; getHub();`;
    const flag = runScript(script, { env: { GREENHUB_MONITOR: 'yes' } });
    assert.notEqual(flag.status, 0);
    assert.match(flag.stderr, /GREENHUB_MONITOR must be 1, true, 0 or false/);
    const time = runScript(script, { env: { GREENHUB_MONITOR: '1', GREENHUB_MAX_BLOCKING_TIME: 'soon' } });
    assert.notEqual(time.status, 0);
    assert.match(time.stderr, /"GREENHUB_MAX_BLOCKING_TIME" is out of range/);
    const off = runScript(`import { getHub } from 'lib/core'; console.log(getHub().monitor);`, { env: { GREENHUB_MONITOR: '0' } });
    assert.equal(off.stdout.trim(), 'null');
  });
});
