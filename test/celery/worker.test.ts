// The greenlet Celery worker against real Celery: a Python client sends,
// greenhub runs (results, failures, ETA, expiry, retries, time limits,
// revokes, bad messages, canvas); greenhub sends, a Python worker runs; and
// what must never be lost — kill -9 mid-task, shutdown with work in hand.
import { strict as assert } from 'node:assert';

import Redis from 'ioredis';

import {
  CeleryApp,
  CeleryException,
  currentTask,
  decodeTaskMessage,
  encodeTaskMessage,
  SoftTimeLimitExceeded,
  later,
  TaskContext,
  type RegisteredTask,
  type TaskResult,
  type Worker,
} from '../../lib/celery';
import type { LogLevel } from '../../lib/celery/log';
import { run, sleep } from '../../lib/core';
import { delay } from '../helpers';
import { runPythonClient, skipWithoutPrerequisites, startPythonWorker, startRedis, type PythonWorker, type RedisServer } from './harness';
import { startWorkerProcess } from './worker-harness';

class QuotaError extends Error {
  override name = 'QuotaError';
}

/** A logger that keeps the lines (and shows errors the tests do not expect). */
function recorder(): { lines: string[]; logger: (level: LogLevel, message: string) => void } {
  const lines: string[] = [];
  return { lines, logger: (level, message) => lines.push(`${level}: ${message}`) };
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

describe('celery worker: Python client -> greenhub worker', function () {
  this.timeout(60_000);
  let server: RedisServer;
  let redis: Redis;
  let app: CeleryApp;
  let worker: Worker;
  const log = recorder();
  const runs = new Map<string, number>();

  before(async function () {
    skipWithoutPrerequisites(this);
    server = await startRedis();
    redis = new Redis(server.url);
    app = new CeleryApp({ broker: server.url, logger: log.logger });
    app.task('js.add', function* (a: number, b: number) {
      return a + b;
    });
    app.task('js.kw', function* (a: number, b = 0, rest: Record<string, unknown> = {}) {
      return { a, b, rest };
    }, { params: ['a', 'b', '**rest'] });
    app.task('js.type_error', function* (message: string) {
      throw new TypeError(message);
    });
    app.task('js.quota', async (message: string) => {
      throw new QuotaError(message);
    });
    app.task('js.stamp', function* (this: TaskContext, label: string) {
      runs.set(this.request.id, (runs.get(this.request.id) ?? 0) + 1);
      return { label, at: Date.now() / 1000 };
    });
    app.task('js.sleep', function* (this: TaskContext, seconds: number) {
      runs.set(this.request.id, (runs.get(this.request.id) ?? 0) + 1);
      yield* sleep(seconds);
      return seconds;
    });
    app.task('js.flaky', function* (this: TaskContext, succeedAfter: number) {
      if (this.request.retries < succeedAfter) this.retry({ countdown: 0.1, exc: new QuotaError(`try ${this.request.retries}`) });
      return this.request.retries;
    }, { maxRetries: 3 });
    app.task('js.hard_limit', function* () {
      yield* sleep(10);
      return 'too late';
    }, { timeLimit: 0.3 });
    app.task('js.swallow', function* () {
      // Swallows whatever is thrown into it and keeps waiting: the hard limit still ends the task on time.
      for (let i = 0; i < 3; i++) {
        try {
          yield* sleep(0.5);
        } catch {
          // ignored on purpose
        }
      }
      return 'never seen';
    }, { timeLimit: 0.2 });
    app.task('js.soft_limit', function* () {
      try {
        yield* sleep(10);
        return 'finished';
      } catch (error) {
        if (error instanceof SoftTimeLimitExceeded) return 'cleaned up';
        throw error;
      }
    }, { softTimeLimit: 0.2 });
    app.task('js.bigint', () => 10n);
    worker = app.worker({ concurrency: 20, hostname: 'gh@test', restoreInterval: 0.5 });
    await worker.start();
  });

  after(async () => {
    await worker?.stop({ timeout: 2 });
    await app?.close();
    await redis?.quit();
    await server?.stop();
  });

  const py = (steps: Record<string, unknown>[], timeoutMs?: number) => runPythonClient(server.url, steps, timeoutMs);

  it('add.delay(2, 3).get() == 5, and keyword arguments bind by name', async () => {
    const out = await py([
      { send: 'js.add', args: [2, 3], as: 'r' },
      { send: 'js.kw', args: [1], kwargs: { b: 2, c: 'x' }, as: 'kw' },
      { send: 'js.add', args: [1], kwargs: { z: 9 }, as: 'badkw' },
      { get: 'r' },
      { get: 'kw' },
      { get: 'badkw' },
    ]);
    assert.equal(out.r.ok, true, JSON.stringify(out.r));
    assert.equal(out.r.result, 5);
    assert.deepEqual(out.kw.result, { a: 1, b: 2, rest: { c: 'x' } });
    assert.equal(out.badkw.type, 'TypeError');
    assert.match(out.badkw.message, /js\.add\(\) got an unexpected keyword argument 'z'/);
  });

  it('failures reach Python with their type, message and the JS traceback', async () => {
    const out = await py([
      { send: 'js.type_error', args: ['wrong type'], as: 'builtin' },
      { send: 'js.quota', args: ['over quota'], as: 'custom' },
      { send: 'js.bigint', as: 'unencodable' },
      { get: 'builtin' },
      { get: 'custom' },
      { get: 'unencodable' },
    ]);
    assert.equal(out.builtin.type, 'TypeError');
    assert.equal(out.builtin.module, 'builtins');
    assert.equal(out.builtin.message, 'wrong type');
    assert.equal(out.builtin.state, 'FAILURE');
    assert.match(out.builtin.traceback, /TypeError: wrong type\n\s+at /);
    assert.equal(out.custom.type, 'QuotaError');
    assert.equal(out.custom.message, 'over quota');
    assert.equal(out.unencodable.type, 'EncodeError');
  });

  it('honours countdown (ETA) without holding up other tasks, and expires', async () => {
    const out = await py([
      { send: 'js.stamp', args: ['later'], options: { countdown: 1.5 }, as: 'later' },
      { send: 'js.stamp', args: ['now'], as: 'now' },
      { send: 'js.stamp', args: ['stale'], options: { countdown: 1, expires: 0.5 }, as: 'stale' },
      { get: 'now' },
      { get: 'later' },
      { get: 'stale' },
    ]);
    assert.ok(out.later.result.at - out.later.sent_at >= 1.4, `ran ${out.later.result.at - out.later.sent_at} s after sending`);
    assert.ok(out.now.result.at < out.later.result.at);
    assert.equal(out.stale.type, 'TaskRevokedError');
    assert.equal(out.stale.state, 'REVOKED');
    assert.match(out.stale.message, /expired/);
    assert.equal(runs.get(out.stale.id), undefined, 'an expired task never runs');
  });

  it('retries with countdown until it succeeds, and fails with the cause past maxRetries', async () => {
    const retriedBefore = worker.stats.retried;
    const out = await py([
      { send: 'js.flaky', args: [2], as: 'ok' },
      { send: 'js.flaky', args: [9], as: 'exhausted' },
      { get: 'ok', timeout: 15 },
      { get: 'exhausted', timeout: 15 },
    ]);
    assert.equal(out.ok.result, 2, JSON.stringify(out.ok));
    assert.equal(out.exhausted.type, 'QuotaError');
    assert.equal(out.exhausted.message, 'try 3');
    assert.equal(worker.stats.retried - retriedBefore, 2 + 3);
  });

  it('enforces time limits: hard (task option or message header) and soft', async () => {
    const out = await py([
      { send: 'js.hard_limit', as: 'hard' },
      { send: 'js.sleep', args: [10], options: { time_limit: 0.3 }, as: 'header' },
      { send: 'js.swallow', as: 'swallow' },
      { send: 'js.soft_limit', as: 'soft' },
      { get: 'hard' },
      { get: 'header' },
      { get: 'swallow' },
      { get: 'soft' },
    ]);
    for (const key of ['hard', 'header', 'swallow']) {
      assert.equal(out[key].type, 'TimeLimitExceeded', JSON.stringify(out[key]));
      assert.equal(out[key].state, 'FAILURE');
    }
    assert.equal(out.soft.result, 'cleaned up');
  });

  it('revokes: a held ETA task at once, a running one with terminate', async () => {
    const started = Date.now();
    const out = await py([
      { send: 'js.stamp', args: ['doomed'], options: { countdown: 30 }, as: 'held' },
      { send: 'js.sleep', args: [20], as: 'running' },
      { sleep: 0.8 },
      { revoke: 'held' },
      { revoke: 'running', terminate: true },
      { get: 'held' },
      { get: 'running' },
    ]);
    assert.ok(Date.now() - started < 15_000, 'the held task was settled before its ETA');
    assert.equal(out.held.type, 'TaskRevokedError');
    assert.equal(out.held.state, 'REVOKED');
    assert.equal(runs.get(out.held.id), undefined);
    assert.equal(out.running.type, 'TaskRevokedError');
    assert.match(out.running.message, /terminated/);
    assert.equal(runs.get(out.running.id), 1, 'it was running when terminated');
    assert.deepEqual(worker.activeTasks(), []);
  });

  it('rejects bad messages with a logged reason, stores NotRegistered, and keeps going', async () => {
    const before = log.lines.length;
    await redis.lpush('celery', 'this is not a message');
    const out = await py([
      { send: 'js.add', args: [1, 1], options: { serializer: 'pickle' }, as: 'pickled' },
      { send: 'nope.nothing', args: [], as: 'unknown' },
      { send: 'js.add', args: [20, 22], as: 'good' },
      { get: 'good' },
      { get: 'unknown' },
    ]);
    assert.equal(out.good.result, 42);
    assert.equal(out.unknown.type, 'NotRegistered');
    await waitFor(() => log.lines.length >= before + 3, 5000, 'three log lines');
    const lines = log.lines.slice(before).join('\n');
    assert.match(lines, /error: rejected a message from queue celery \(ERR_CELERY_BAD_PAYLOAD\): message is not JSON/);
    assert.match(lines, /error: rejected a message from queue celery \(ERR_CELERY_CONTENT_TYPE\): content type "application\/x-python-serialize"/);
    assert.match(lines, /error: Received unregistered task of type 'nope\.nothing'/);
    assert.equal(await redis.llen('celery'), 0, 'nothing left queued');
    await waitFor(async () => (await redis.hlen('unacked')) === 0, 5000, 'nothing unacked');
    assert.equal(worker.state, 'running');
  });

  it('runs a chain from Python (the result feeds the next task)', async () => {
    const out = await py([
      { chain: [['js.add', [2, 2]], ['js.add', [4]], ['js.add', [10]]], as: 'c' },
      { get: 'c' },
    ]);
    assert.equal(out.c.result, 18);
  });

  it('answers ping and inspect through remote control', async () => {
    const out = await py([
      { ping: ['gh@test'], timeout: 1 },
      { inspect: 'registered', destination: ['gh@test'] },
      { inspect: 'active_queues', destination: ['gh@test'] },
      { inspect: 'stats', destination: ['gh@test'] },
      { inspect: 'active', destination: ['gh@test'] },
    ]);
    assert.deepEqual(out.ping, [{ 'gh@test': { ok: 'pong' } }]);
    assert.ok(out['inspect:registered']['gh@test'].includes('js.add'));
    assert.equal(out['inspect:active_queues']['gh@test'][0].name, 'celery');
    assert.equal(out['inspect:stats']['gh@test'].pool['max-concurrency'], 20);
    assert.equal(typeof out['inspect:stats']['gh@test'].total, 'object');
    assert.deepEqual(out['inspect:active']['gh@test'], []);
  });

  it('runs 200 tasks from Python exactly once each', async () => {
    const out = await py([{ many: 'js.add', count: 200, timeout: 30 }]);
    assert.deepEqual(out.many, { sent: 200, correct: 200, wrong: [] });
  });
});

describe('celery worker: 1,000 tasks at concurrency 100', function () {
  this.timeout(60_000);
  let server: RedisServer;

  before(async function () {
    skipWithoutPrerequisites(this, false);
    server = await startRedis();
  });
  after(async () => server?.stop());

  it('completes every task exactly once, never more than 100 at a time', async () => {
    const app = new CeleryApp({ broker: server.url });
    const runs = new Map<string, number>();
    let running = 0;
    let peak = 0;
    app.task('js.io', function* (this: TaskContext, i: number) {
      runs.set(this.request.id, (runs.get(this.request.id) ?? 0) + 1);
      running++;
      peak = Math.max(peak, running);
      try {
        yield* sleep(0.01);
      } finally {
        running--;
      }
      return i * 2;
    });
    const worker = app.worker({ concurrency: 100, queues: ['many'] });
    try {
      const results = await run(function* () {
        const sent = [];
        for (let i = 0; i < 1000; i++) sent.push(yield* app.sendTask<number>('js.io', [i], {}, { queue: 'many' }));
        return sent;
      });
      await worker.start();
      const values = await Promise.all(results.map((r) => r.get({ timeout: 30 })));
      assert.deepEqual(values, results.map((_, i) => i * 2));
      assert.equal(runs.size, 1000);
      assert.ok([...runs.values()].every((n) => n === 1), 'no task ran twice');
      assert.ok(peak <= 100, `at most 100 at once, saw ${peak}`);
      assert.ok(peak >= 50, `the pool filled up (peak ${peak})`);
      assert.equal(worker.stats.succeeded, 1000);
      const redis = app.transport.client;
      assert.equal(await redis.hlen('unacked'), 0);
      assert.equal(await app.transport.queueSize('many'), 0);
    } finally {
      await worker.stop();
      await app.close();
    }
  });
});

describe('celery worker: tasks and results from greenhub', function () {
  this.timeout(30_000);
  let server: RedisServer;
  let app: CeleryApp;
  let worker: Worker;
  const seen: Record<string, unknown> = {};

  before(async function () {
    skipWithoutPrerequisites(this, false);
    server = await startRedis();
    app = new CeleryApp({ broker: server.url, logger: () => undefined });
    app.task('js.progress', function* (this: TaskContext, steps: number) {
      for (let i = 1; i <= steps; i++) {
        yield* this.updateState('PROGRESS', { done: i, of: steps });
        yield* sleep(0.05);
      }
      seen.current = currentTask() === this;
      return steps;
    }, { trackStarted: true });
    app.task('js.early', function* (this: TaskContext) {
      seen.unackedWhileRunning = yield* later(() => app.transport.client.hlen('unacked'));
      return 'ran';
    }, { acksLate: false });
    app.task('js.mul', async (a: number, b: number) => a * b);
    app.task('js.plain', (a: number) => ({ doubled: a * 2 }));
    worker = app.worker({ concurrency: 5, queues: ['celery'], control: false, prefetchMultiplier: 0 });
    await worker.start();
  });
  after(async () => {
    await worker?.stop();
    await app?.close();
    await server?.stop();
  });

  it('delay()/applyAsync() and the result handle: state, meta, wait, ready, successful, forget', async () => {
    const mul = app.tasks.get('js.mul') as RegisteredTask;
    const r = await run(function* () {
      return yield* mul.delay(6, 7);
    });
    assert.equal(await r.get({ timeout: 5 }), 42);
    assert.equal(await r.state(), 'SUCCESS');
    assert.equal(await r.ready(), true);
    assert.equal(await r.successful(), true);
    assert.equal((await r.meta()).result, 42);
    assert.equal((await r.wait({ timeout: 1 })).status, 'SUCCESS');
    await r.forget();
    assert.equal(await r.state(), 'PENDING');
    const plain = await (app.tasks.get('js.plain') as RegisteredTask).applyAsync([4], {}, { queue: 'celery' });
    assert.deepEqual(await plain.get({ timeout: 5 }), { doubled: 8 });
    assert.equal(String(app.asyncResult(plain.id)), `<TaskResult: ${plain.id}>`);
    await assert.rejects(async () => app.asyncResult('never-sent').get({ timeout: 0.2 }), { name: 'TimeoutError' });
  });

  it('trackStarted stores STARTED, updateState stores custom states, currentTask() finds the context', async () => {
    const r = await app.sendTask<number>('js.progress', [3]);
    const states = new Set<string>();
    while (!(await r.ready())) {
      states.add(await r.state());
      await delay(10);
    }
    assert.ok(states.has('STARTED') || states.has('PROGRESS'), [...states].join(','));
    assert.ok(states.has('PROGRESS'));
    assert.equal(await r.get(), 3);
    assert.equal(seen.current, true);
    assert.equal(currentTask(), null, 'outside a task');
  });

  it('acksLate: false acknowledges before running (at most once)', async () => {
    const r = await app.sendTask('js.early');
    assert.equal(await r.get({ timeout: 5 }), 'ran');
    assert.equal(seen.unackedWhileRunning, 0);
  });

  it('reports what runs and what waits for its ETA', async () => {
    const r = await app.sendTask('js.mul', [1, 1], {}, { countdown: 30 });
    await waitFor(() => worker.scheduledTasks().includes(r.id), 5000, 'the ETA task to be held');
    assert.deepEqual(worker.activeTasks(), []);
    assert.equal(worker.state, 'running');
  });
});

describe('celery worker: greenhub client -> Python worker', function () {
  this.timeout(60_000);
  let server: RedisServer;
  let python: PythonWorker;
  let app: CeleryApp;

  before(async function () {
    skipWithoutPrerequisites(this);
    server = await startRedis();
    python = await startPythonWorker(server.url);
    app = new CeleryApp({ broker: server.url });
  });
  after(async () => {
    await app?.close();
    await python?.stop();
    await server?.stop();
  });

  it('sends from a greenlet and gets the result: mul(6, 7) == 42', async () => {
    const value = await run(function* () {
      const result = yield* app.sendTask<number>('pytasks.mul', [6, 7]);
      return yield* result.get({ timeout: 10 });
    });
    assert.equal(value, 42);
  });

  it('a Python exception comes back with its type, module and traceback', async () => {
    const result = await app.sendTask('pytasks.fail', ['bad value']);
    const error = await result.get({ timeout: 10, propagate: false });
    assert.ok(error instanceof CeleryException);
    assert.equal(error.excType, 'ValueError');
    assert.equal(error.excModule, 'builtins');
    assert.equal(error.message, 'bad value');
    assert.match(error.traceback ?? '', /Traceback \(most recent call last\)/);
    await assert.rejects(async () => result.get({ timeout: 1 }), (e: Error) => e instanceof CeleryException && e.name === 'ValueError');
  });

  it('ETA and Python-side retries work for greenhub-sent tasks', async () => {
    const sentAt = Date.now() / 1000;
    const stamp = await app.sendTask<{ at: number }>('pytasks.stamp', ['later'], {}, { countdown: 1 });
    const flaky = await app.sendTask<number>('pytasks.flaky', [2]);
    assert.ok((await stamp.get({ timeout: 10 })).at - sentAt >= 0.9);
    assert.equal(await flaky.get({ timeout: 15 }), 2);
  });

  it('time limits travel in the message (the solo pool cannot enforce them; the request shows them)', async () => {
    const result = await app.sendTask<{ timelimit: number[] }>('pytasks.request_info', [], {}, { timeLimit: 0.5, softTimeLimit: 0.3 });
    assert.deepEqual((await result.get({ timeout: 10 })).timelimit, [0.5, 0.3]);
  });
});

describe('celery worker: nothing lost', function () {
  this.timeout(90_000);
  let server: RedisServer;
  let redis: Redis;

  before(async function () {
    skipWithoutPrerequisites(this, false);
    server = await startRedis();
    redis = new Redis(server.url);
  });
  after(async () => {
    await redis?.quit();
    await server?.stop();
  });

  it('kill -9 of the worker process mid-task: the task is redelivered after the visibility timeout and runs', async () => {
    const app = new CeleryApp({ broker: server.url, transportOptions: { visibilityTimeout: 2 } });
    const first = await startWorkerProcess(server.url, ['worker', '-Q', 'killq', '-c', '5', '-l', 'info'], { GREENHUB_TEST_VISIBILITY: '2' });
    let rescuer: Worker | null = null;
    try {
      const result = await app.sendTask<{ redelivered: boolean; pid: number }>('js.slow', [1], {}, { queue: 'killq' });
      await waitFor(async () => (await result.state()) === 'STARTED', 10_000, 'the task to start');
      first.child.kill('SIGKILL');
      assert.equal(await first.exited, 'SIGKILL');
      assert.equal(await redis.hlen('unacked'), 1, 'the killed worker left its message unacked');
      app.task('js.slow', function* (this: TaskContext, seconds: number) {
        yield* sleep(seconds);
        return { redelivered: this.request.redelivered, pid: process.pid };
      });
      rescuer = app.worker({ queues: ['killq'], restoreInterval: 0.5, hostname: 'rescuer@test' });
      await rescuer.start();
      const value = await result.get({ timeout: 20 });
      assert.deepEqual(value, { redelivered: true, pid: process.pid });
      assert.equal(await redis.hlen('unacked'), 0);
    } finally {
      first.child.kill('SIGKILL');
      await rescuer?.stop({ timeout: 1 });
      await app.close();
    }
  });

  it('SIGTERM: running tasks finish, reserved ones go back to the queue, exit 0', async () => {
    const app = new CeleryApp({ broker: server.url });
    const proc = await startWorkerProcess(server.url, ['worker', '-Q', 'termq', '-c', '2', '-l', 'info']);
    try {
      const results: TaskResult[] = [];
      for (let i = 0; i < 6; i++) results.push(await app.sendTask('js.slow', [1], {}, { queue: 'termq' }));
      await waitFor(async () => (await results[0].state()) === 'STARTED' && (await results[1].state()) === 'STARTED', 10_000, 'two tasks to start');
      proc.child.kill('SIGTERM');
      assert.equal(await proc.exited, 0);
      // The two running ones finished; the four reserved but not started are queued again.
      const states = await Promise.all(results.map((r) => r.state()));
      assert.equal(states.filter((s) => s === 'SUCCESS').length, 2, states.join(' '));
      assert.equal(await app.transport.queueSize('termq'), 4);
      assert.equal(await redis.hlen('unacked'), 0);
      // How many of the four the worker had reserved (rather than left on
      // the queue) depends on timing; each one it held is put back.
      assert.match(proc.output(), /[1-4] unacknowledged message\(s\) put back on their queues/);
    } finally {
      proc.child.kill('SIGKILL');
      await app.transport.purge('termq');
      await app.close();
    }
  });

  it('stop({ timeout }) kills what is still running; its message is redelivered, not acked', async () => {
    const app = new CeleryApp({ broker: server.url });
    let runs = 0;
    app.task('js.long', function* () {
      runs++;
      yield* sleep(runs === 1 ? 30 : 0);
      return runs;
    });
    const first = app.worker({ queues: ['longq'] });
    await first.start();
    const result = await app.sendTask<number>('js.long', [], {}, { queue: 'longq' });
    await waitFor(() => runs === 1, 10_000, 'the task to start');
    await first.stop({ timeout: 0.2 });
    assert.equal(await app.transport.queueSize('longq'), 1, 'back on its queue');
    assert.equal(await result.state(), 'PENDING', 'no outcome stored for an interrupted task');
    const second = app.worker({ queues: ['longq'] });
    await second.start();
    try {
      assert.equal(await result.get({ timeout: 10 }), 2);
    } finally {
      await second.stop();
      await app.close();
    }
  });
});

describe('celery worker: API', () => {
  it('checks the options of task() and worker(), naming the argument', () => {
    const app = new CeleryApp({ broker: 'redis://127.0.0.1:1/0' });
    assert.throws(() => app.task('', function* () {}), { name: 'TypeError', message: /"name"/ });
    assert.throws(() => app.task('x', 42 as never), { name: 'TypeError', message: /"fn"/ });
    assert.throws(() => app.task('x', function* () {}, { timeLimit: -1 }), { name: 'RangeError', message: /"options\.timeLimit"/ });
    assert.throws(() => app.task('x', function* () {}, { maxRetries: 1.5 }), { name: 'RangeError', message: /"options\.maxRetries"/ });
    assert.throws(() => app.task('x', function* () {}, { params: ['a', 'a'] }), { name: 'TypeError', message: /"options\.params"/ });
    assert.throws(() => app.task('x', function* () {}, { params: ['**kw', 'a'] }), { name: 'TypeError', message: /"options\.params"/ });
    assert.throws(() => app.task('x', function* () {}, { acksLate: 'yes' as never }), { name: 'TypeError', message: /"options\.acksLate"/ });
    app.task('x', function* () {});
    assert.throws(() => app.task('x', function* () {}), { name: 'TypeError', message: /already registered/ });
    assert.throws(() => app.worker({ concurrency: 0 }), { name: 'RangeError', message: /"options\.concurrency"/ });
    assert.throws(() => app.worker({ queues: [] }), { name: 'TypeError', message: /"options\.queues"/ });
    assert.throws(() => app.worker({ prefetchMultiplier: -1 }), { name: 'RangeError', message: /"options\.prefetchMultiplier"/ });
    assert.throws(() => app.worker({ restoreInterval: 0 }), { name: 'RangeError', message: /"options\.restoreInterval"/ });
    assert.throws(() => app.worker({ hostname: '' }), { name: 'TypeError', message: /"options\.hostname"/ });
    assert.throws(() => app.sendTask(''), { name: 'TypeError', message: /"name"/ });
    assert.throws(() => app.sendTask('x', 'a' as never), { name: 'TypeError', message: /"args"/ });
    assert.throws(() => new CeleryApp({ broker: 'amqp://localhost' }), { name: 'TypeError', message: /"options\.broker"/ });
    assert.throws(() => new CeleryApp(null as never), { name: 'TypeError', message: /"options"/ });
    const worker = app.worker();
    assert.equal(worker.prefetch, 400);
    assert.equal(worker.state, 'new');
    assert.throws(() => worker.stop({ timeout: -1 }), { name: 'RangeError', message: /"options\.timeout"/ });
  });

  it('binds keyword arguments like Python does', () => {
    const app = new CeleryApp({ broker: 'redis://127.0.0.1:1/0' });
    const t = app.task('t', function* (_a: number, _b: number) {}, { params: ['a', 'b'] });
    assert.deepEqual(t.bindArguments([1], { b: 2 }), [1, 2]);
    assert.deepEqual(t.bindArguments([], { b: 2 }), [undefined, 2]);
    assert.throws(() => t.bindArguments([1], { a: 2 }), { name: 'TypeError', message: /multiple values for argument 'a'/ });
    assert.throws(() => t.bindArguments([1, 2, 3], { b: 2 }), { name: 'TypeError', message: /takes 2 positional arguments but 3 were given/ });
    const rest = app.task('r', function* () {}, { params: ['a', '**more'] });
    assert.deepEqual(rest.bindArguments([], { a: 1, z: 2 }), [1, { z: 2 }]);
    const none = app.task('n', function* () {});
    assert.deepEqual(none.bindArguments([1, 2], {}), [1, 2]);
    assert.throws(() => none.bindArguments([], { q: 1 }), { name: 'TypeError', message: /unexpected keyword argument 'q'/ });
  });

  it('retry() decides between Retry and the final failure at the call', () => {
    const app = new CeleryApp({ broker: 'redis://127.0.0.1:1/0' });
    const task = app.task('t', function* () {}, { maxRetries: 2, defaultRetryDelay: 7 });
    const context = (retries: number) => new TaskContext(app, task, { ...decodeRequest(), retries });
    assert.throws(() => context(0).retry(), (e: Error) => e.name === 'Retry' && /Retry in 7s/.test(e.message));
    assert.throws(() => context(1).retry({ countdown: 1, exc: new QuotaError('q') }), (e: Error) => e.name === 'Retry' && /QuotaError: q/.test(e.message));
    assert.throws(() => context(2).retry({ exc: new QuotaError('q') }), QuotaError);
    assert.throws(() => context(2).retry(), { name: 'MaxRetriesExceededError' });
    assert.throws(() => context(5).retry({ maxRetries: null }), { name: 'Retry' });
    assert.throws(() => context(0).retry({ countdown: -1 }), { name: 'RangeError', message: /"options\.countdown"/ });
    assert.throws(() => context(0).retry({ maxRetries: -1 }), { name: 'RangeError', message: /"options\.maxRetries"/ });
  });

  it('cannot be started twice', async function () {
    skipWithoutPrerequisites(this, false);
    const server = await startRedis();
    const app = new CeleryApp({ broker: server.url });
    const worker = app.worker({ control: false });
    try {
      await worker.start();
      assert.equal(worker.state, 'running');
      assert.throws(() => worker.start(), { code: 'ERR_CELERY_WORKER_STATE' });
      await worker.stop();
      assert.equal(worker.state, 'stopped');
      await worker.stop();
    } finally {
      await app.close();
      await server.stop();
    }
  });
});

/** A decoded request to build contexts from in unit tests. */
function decodeRequest() {
  const payload = encodeTaskMessage({ task: 't', args: [], id: 'abc' });
  payload.properties.delivery_tag = 'tag';
  const decoded = decodeTaskMessage(payload);
  assert.ok(decoded.ok);
  return { ...decoded.request, hostname: 'h', queue: 'celery', deliveryTag: 'tag' };
}
