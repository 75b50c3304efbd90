// The greenlet Celery worker: consumes task messages from Kombu Redis queues
// and runs them as greenlets in a Pool(concurrency), the way
// `celery worker -P gevent` does. Its greenlets:
//
//   - the reader reserves messages (at most concurrency x prefetchMultiplier
//     unacked, as Celery's prefetch), rejects what cannot run (undecodable,
//     unknown task) with a logged reason, settles revoked and expired ones,
//     holds ETA ones, and spawns the rest into the pool (waiting while it is
//     full);
//   - one holder per ETA message waits on a wall-clock periodic watcher
//     until the ETA, then spawns it (the prefetch bound grows by one while a
//     message is held, as Celery does, so held messages do not starve the
//     queue);
//   - the restorer, every `restoreInterval` seconds, re-stamps the messages
//     this worker holds and restores any consumer's messages held past the
//     visibility timeout (a worker killed mid-task: its messages come back);
//   - pool greenlets execute jobs (execute.ts): the message is acked only
//     after the outcome is stored.
//
// Remote control (revoke, terminate, ping, inspect) arrives on the pidbox
// through a ControlListener. stop() is Celery's warm shutdown: stop
// consuming, let running tasks finish up to a timeout, then kill what is
// left; every message not acked goes back to its queue.
import * as os from 'node:os';

import { GreenletExit } from '../core/errors';
import { getCurrent, getHub } from '../core/hub';
import { Greenlet, spawn } from '../core/greenlet';
import type { Operation, Task } from '../core/operation';
import { sleep } from '../core/sleep';
import { awaitable } from '../core/task';
import { Pool } from '../sync/pool';
import { until } from '../core/until';
import { invalidArgType, invalidArgValue, outOfRange } from '../loop/errors';
import type { CeleryApp } from './app';
import { ControlListener, type ControlMessage, type RevokeRequest } from './control';
import { TaskRevokedError } from './exceptions';
import { executeJob, settleRevoked, settleUnknown, WorkerShutdown, type ActiveTask, type Executor, type Job, type WorkerStats } from './execute';
import { later } from './green';
import type { CeleryLogger } from './log';
import { decodeTaskMessage, isoformatUtc } from './protocol';
import type { Delivery, RedisConsumer, Reserved } from './redis-consumer';
import type { RedisResultBackend } from './result-backend';
import { RevokedSet } from './revoked-set';

export interface WorkerOptions {
  /** Greenlets running tasks at once (the pool's size; default 100). */
  concurrency?: number;
  /** Queues to consume (default: the app's default queue). */
  queues?: readonly string[];
  /** Messages reserved per pool slot (Celery's worker_prefetch_multiplier, default 4; 0: no bound). */
  prefetchMultiplier?: number;
  /** Node name for remote control (default greenhub@<host name>). */
  hostname?: string;
  /** Seconds between visibility restores (default 10). */
  restoreInterval?: number;
  /** Seconds running tasks get to finish on stop() (default 30). */
  shutdownTimeout?: number;
  /** Listen to remote control (revoke, ping, inspect; default true). */
  control?: boolean;
  /** Where the worker logs (default: the app's logger). */
  logger?: CeleryLogger;
}

export type WorkerState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/** Thrown into an ETA holder to settle its message now (it was revoked). */
class SettleNow extends Error {
  constructor() {
    super('settle now');
    this.name = 'SettleNow';
  }
}

/** Delay before the reader tries again after Redis failed it. */
const READ_RETRY = 1;

function positiveNumber(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw invalidArgType(name, 'a number of seconds', value);
  if (!Number.isFinite(value) || value <= 0) throw outOfRange(name, 'a finite number > 0', value);
  return value;
}

export class Worker implements Executor {
  readonly app: CeleryApp;
  readonly hostname: string;
  readonly concurrency: number;
  readonly queues: readonly string[];
  /** Most messages reserved and not acked (0: no bound). */
  readonly prefetch: number;
  readonly restoreInterval: number;
  readonly shutdownTimeout: number;
  readonly revoked = new RevokedSet();
  readonly stats: WorkerStats = { total: {}, succeeded: 0, failed: 0, retried: 0, revoked: 0, rejected: 0 };
  /** @internal Tasks running now, by id. */
  readonly active = new Map<string, ActiveTask>();
  readonly log: CeleryLogger;
  #state: WorkerState = 'new';
  #control: boolean;
  #pool: Pool;
  #consumer: RedisConsumer | null = null;
  #backend: RedisResultBackend | null = null;
  #listener: ControlListener | null = null;
  #reader: Greenlet | null = null;
  #restorer: Greenlet | null = null;
  /** ETA holders by task id. */
  #held = new Map<string, Greenlet>();
  #stopped: Promise<void>;
  #resolveStopped!: () => void;
  #stopper: Greenlet<void> | null = null;

  constructor(app: CeleryApp, options: WorkerOptions = {}) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const concurrency = options.concurrency ?? 100;
    if (typeof concurrency !== 'number' || !Number.isInteger(concurrency) || concurrency < 1) {
      throw outOfRange('options.concurrency', 'an integer >= 1', concurrency);
    }
    const queues = options.queues ?? [app.defaultQueue];
    if (!Array.isArray(queues) || queues.length === 0 || queues.some((q) => typeof q !== 'string' || q === '')) {
      throw invalidArgValue('options.queues', 'must be a non-empty list of queue names', queues);
    }
    const multiplier = options.prefetchMultiplier ?? 4;
    if (typeof multiplier !== 'number' || !Number.isInteger(multiplier) || multiplier < 0) {
      throw outOfRange('options.prefetchMultiplier', 'an integer >= 0', multiplier);
    }
    const hostname = options.hostname ?? `greenhub@${os.hostname()}`;
    if (typeof hostname !== 'string' || hostname === '') throw invalidArgValue('options.hostname', 'must be a non-empty node name', hostname);
    const control = options.control ?? true;
    if (typeof control !== 'boolean') throw invalidArgType('options.control', 'of type boolean', control);
    const logger = options.logger ?? app.logger;
    if (typeof logger !== 'function') throw invalidArgType('options.logger', 'of type function', logger);
    this.app = app;
    this.hostname = hostname;
    this.concurrency = concurrency;
    this.queues = Object.freeze([...new Set(queues)]);
    this.prefetch = concurrency * multiplier;
    this.restoreInterval = positiveNumber('options.restoreInterval', options.restoreInterval, 10);
    this.shutdownTimeout = options.shutdownTimeout === 0 ? 0 : positiveNumber('options.shutdownTimeout', options.shutdownTimeout, 30);
    this.#control = control;
    this.log = (level, message) => {
      try {
        logger(level, message);
      } catch {
        // a logger must not break the worker
      }
    };
    this.#pool = new Pool(concurrency);
    this.#stopped = new Promise((resolve) => (this.#resolveStopped = resolve));
  }

  get state(): WorkerState {
    return this.#state;
  }

  /** @internal The consumer (Executor). */
  get consumer(): RedisConsumer {
    if (this.#consumer === null) throw Object.assign(new Error('the worker is not started'), { code: 'ERR_CELERY_WORKER_STATE' });
    return this.#consumer;
  }

  /** @internal The result backend (Executor). */
  get backend(): RedisResultBackend | null {
    return this.#backend;
  }

  /** Tasks running now: id, name, args, kwargs, start time. */
  activeTasks(): { id: string; name: string; args: unknown[]; kwargs: Record<string, unknown>; timeStart: number }[] {
    return [...this.active.values()].map(({ job, startedAt }) => ({
      id: job.request.id,
      name: job.request.task,
      args: job.request.args,
      kwargs: job.request.kwargs,
      timeStart: startedAt,
    }));
  }

  /** Ids of the ETA tasks held until their time. */
  scheduledTasks(): string[] {
    return [...this.#held.keys()];
  }

  /**
   * Connects, declares the queues, restores messages left past their
   * visibility timeout, starts listening to remote control and starts
   * consuming. Starts at the call; the returned task (yield* or await it)
   * waits until the worker consumes, and raises if it could not start.
   */
  start(): Task<void> {
    if (this.#state !== 'new') throw Object.assign(new Error(`the worker is ${this.#state}; a worker starts once`), { code: 'ERR_CELERY_WORKER_STATE' });
    this.#state = 'starting';
    const starter = spawn(() => this._start());
    starter.name = `${this.hostname} start`;
    return starter.get();
  }

  /** @internal */
  *_start(): Operation<void> {
    const transport = this.app.transport;
    this.#backend = this.app.backend;
    try {
      for (const queue of this.queues) yield* later(() => transport.declareQueue(queue));
      const restored = yield* later(() => transport.restoreExpired());
      if (restored > 0) this.log('warn', `restored ${restored} message(s) left unacknowledged past the visibility timeout`);
      this.#consumer = transport.consume({ queues: this.queues, prefetch: this.prefetch });
      if (this.#control) {
        this.#listener = yield* later(() =>
          ControlListener.start(transport, {
            hostname: this.hostname,
            revoked: this.revoked,
            onRevoke: (request) => this.#onRevoke(request),
            onCommand: (message) => this.#onCommand(message),
            logger: this.log,
          }),
        );
      }
    } catch (error) {
      this.#state = 'stopped';
      this.#resolveStopped();
      throw error;
    }
    this.#reader = spawn(() => this.#read());
    this.#reader.name = `${this.hostname} reader`;
    this.#restorer = spawn(() => this.#restoreLoop());
    this.#restorer.name = `${this.hostname} restorer`;
    this.#state = 'running';
    const tasks = [...this.app.tasks.keys()].sort();
    this.log('info', `${this.hostname} ready: concurrency ${this.concurrency} (greenlets), prefetch ${this.prefetch || 'unbounded'}, queues ${this.queues.join(', ')}; tasks: ${tasks.join(', ') || '(none)'}`);
  }

  /** Starts the worker (unless started) and blocks until it has stopped. */
  run(): Task<void> {
    return runTask(this);
  }

  /** @internal */
  *_run(): Operation<void> {
    if (this.#state === 'new') yield* this._start();
    yield* until(this.#stopped);
  }

  /**
   * Warm shutdown: stop consuming, wait up to `timeout` seconds (default
   * shutdownTimeout) for running tasks, kill those still running (their
   * messages are not acked), then put every unacked message this worker
   * holds back on its queue and disconnect. Begins at the call (from a
   * signal handler too); the returned task waits until it is done. Calling
   * it again while it runs returns the same wait; with timeout 0 it kills
   * the running tasks at once (as stopNow()).
   */
  stop(options: { timeout?: number } = {}): Task<void> {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const timeout = options.timeout ?? this.shutdownTimeout;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0) {
      throw outOfRange('options.timeout', 'a finite number of seconds >= 0', timeout);
    }
    if (this.#stopper !== null) {
      if (timeout === 0) this.stopNow();
    } else {
      this.#stopper = spawn(() => this._stop(timeout));
      this.#stopper.name = `${this.hostname} stop`;
    }
    return this.#stopper.get();
  }

  /** Cold shutdown: kills running tasks now (their messages go back to the queue). */
  stopNow(): void {
    for (const active of this.active.values()) {
      if (active.ended !== null) continue;
      active.ended = 'shutdown';
      active.greenlet.kill(new WorkerShutdown(), { block: false });
    }
  }

  /** @internal */
  *_stop(timeout: number): Operation<void> {
    if (this.#state === 'stopped') return;
    // Starting: let the start finish (or fail) first.
    while (this.#state === 'starting') yield* sleep(0.01);
    if ((this.#state as WorkerState) === 'stopped') return;
    const wasRunning = this.#state === 'running';
    this.#state = 'stopping';
    try {
      if (wasRunning) {
        this.log('info', `${this.hostname}: warm shutdown (${this.active.size} task(s) running, up to ${timeout} s)`);
        if (this.#reader) yield* this.#reader.kill();
        for (const holder of this.#held.values()) holder.kill(undefined, { block: false });
        if (!(yield* this.#pool.join({ timeout }))) {
          this.log('warn', `${this.active.size} task(s) still running after ${timeout} s: killing them; their messages go back to the queue`);
          this.stopNow();
          if (!(yield* this.#pool.join({ timeout: 2 }))) yield* this.#pool.kill({ timeout: 1 });
        }
        if (this.#restorer) yield* this.#restorer.kill();
      }
      const listener = this.#listener;
      if (listener) yield* later(() => listener.close());
      const consumer = this.#consumer;
      if (consumer) {
        const held = consumer.held;
        yield* later(() => consumer.close({ restore: true }));
        if (held > 0) this.log('info', `${this.hostname}: ${held} unacknowledged message(s) put back on their queues`);
      }
    } finally {
      this.#state = 'stopped';
      this.log('info', `${this.hostname}: stopped`);
      this.#resolveStopped();
    }
  }

  // ------------------------------------------------------------ consuming

  *#read(): Operation<void> {
    const consumer = this.consumer;
    for (;;) {
      let item: Reserved | null;
      try {
        item = yield* until(consumer.reserve(1));
      } catch (error) {
        if (error instanceof GreenletExit || consumer.closed) throw error;
        this.log('warn', `reading from the broker failed: ${(error as Error).message}; retrying in ${READ_RETRY} s`);
        yield* sleep(READ_RETRY);
        continue;
      }
      if (item === null) {
        if (consumer.closed) return;
        continue;
      }
      if (item.kind === 'undecodable') {
        this.stats.rejected++;
        this.log('error', `rejected a message from queue ${item.queue} (${item.reason.code}): ${item.reason.message}`);
        continue;
      }
      yield* this.#receive(item);
    }
  }

  *#receive(delivery: Delivery): Operation<void> {
    const decoded = decodeTaskMessage(delivery.payload);
    if (!decoded.ok) {
      this.stats.rejected++;
      this.log('error', `rejected a message from queue ${delivery.queue} (${decoded.reason.code}): ${decoded.reason.message}`);
      try {
        yield* later(() => this.consumer.reject(delivery.tag, false));
      } catch (error) {
        this.log('error', `could not drop the rejected message ${delivery.tag}: ${(error as Error).message}`);
      }
      return;
    }
    const request = decoded.request;
    const task = this.app.tasks.get(request.task);
    if (task === undefined) {
      yield* settleUnknown(this, delivery.tag, request);
      return;
    }
    const job: Job = { tag: delivery.tag, queue: delivery.queue, request, task };
    this.log('debug', `Task ${request.task}[${request.id}] received`);
    if (this.revoked.has(request.id)) return yield* settleRevoked(this, job, 'revoked');
    if (request.expires !== null && request.expires.getTime() <= Date.now()) return yield* settleRevoked(this, job, 'expired');
    if (request.eta !== null && request.eta.getTime() > Date.now()) {
      this.#hold(job, request.eta);
      return;
    }
    yield* this.#pool.spawn(executeJob, this as Executor, job);
  }

  /** Holds an ETA job until its time (wall clock), then runs it. */
  #hold(job: Job, eta: Date): void {
    const consumer = this.consumer;
    // Room for one more message while this one waits (Celery's qos.increment_eventually).
    if (consumer.prefetch > 0) consumer.prefetch += 1;
    const id = job.request.id;
    this.log('info', `Task ${job.request.task}[${id}] received; ETA ${isoformatUtc(eta)}`);
    const holder = spawn(() => this.#waitEta(job, eta));
    holder.name = `ETA ${job.request.task}[${id}]`;
    this.#held.set(id, holder);
  }

  *#waitEta(job: Job, eta: Date): Operation<void> {
    const id = job.request.id;
    const consumer = this.consumer;
    const hub = getHub();
    const watcher = hub.loop.periodic(eta.getTime() / 1000, 0);
    try {
      yield* hub.wait(watcher);
    } catch (error) {
      if (!(error instanceof SettleNow)) throw error;
    } finally {
      watcher.close();
      if (this.#held.get(id) === getCurrent()) this.#held.delete(id);
      if (consumer.prefetch > 0) consumer.prefetch -= 1;
    }
    yield* this.#pool.spawn(executeJob, this as Executor, job);
  }

  *#restoreLoop(): Operation<void> {
    const consumer = this.consumer;
    for (;;) {
      yield* sleep(this.restoreInterval);
      try {
        // Our own messages first, so that a long task or ETA is never taken for lost.
        yield* later(() => consumer.touch());
        const restored = yield* later(() => consumer.restoreExpired());
        if (restored > 0) this.log('warn', `restored ${restored} message(s) left unacknowledged past the visibility timeout`);
      } catch (error) {
        if (error instanceof GreenletExit || consumer.closed) throw error;
        this.log('warn', `visibility restore failed: ${(error as Error).message}`);
      }
    }
  }

  // ------------------------------------------------------- remote control

  #onRevoke(request: RevokeRequest): void {
    for (const id of request.taskIds) {
      const holder = this.#held.get(id);
      // Held for its ETA: settle it now instead of at its ETA.
      if (holder) holder.kill(new SettleNow(), { block: false });
      const active = this.active.get(id);
      if (request.terminate && active && active.ended === null) {
        this.log('info', `Terminating ${active.job.request.task}[${id}] (${request.signal ?? 'SIGTERM'})`);
        active.ended = 'terminated';
        active.greenlet.kill(new TaskRevokedError('terminated'), { block: false });
      }
    }
  }

  #onCommand(message: ControlMessage): unknown {
    switch (message.method) {
      case 'registered':
        return [...this.app.tasks.keys()].sort();
      case 'active':
        return [...this.active.values()].map(({ job, startedAt }) => ({
          id: job.request.id,
          name: job.request.task,
          args: job.request.args,
          kwargs: job.request.kwargs,
          type: job.request.task,
          hostname: this.hostname,
          time_start: startedAt,
          acknowledged: !job.task.options.acksLate,
          delivery_info: { exchange: job.request.exchange, routing_key: job.request.routingKey, priority: job.request.priority, redelivered: job.request.redelivered },
          worker_pid: process.pid,
        }));
      case 'scheduled':
        return [...this.#held.keys()].map((id) => ({ request: { id } }));
      case 'stats':
        return {
          total: { ...this.stats.total },
          pid: process.pid,
          pool: { implementation: 'greenhub', 'max-concurrency': this.concurrency, processes: [process.pid] },
          prefetch_count: this.prefetch,
          greenhub: { ...this.stats, total: undefined, active: this.active.size },
        };
      case 'active_queues':
        return this.queues.map((name) => ({ name, exchange: { name, type: 'direct' }, routing_key: name, durable: true }));
      case 'shutdown':
        this.log('warn', `shutdown requested by remote control`);
        this.stop();
        return { ok: 'shutting down' };
      default:
        return undefined;
    }
  }

  toString(): string {
    return `<Worker ${this.hostname} ${this.#state}>`;
  }
}

const runTask = awaitable(function* run(worker: Worker): Operation<void> {
  yield* worker._run();
});

