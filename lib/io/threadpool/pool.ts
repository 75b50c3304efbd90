// ThreadPool: worker threads for CPU-bound or blocking work
// (gevent.threadpool.ThreadPool). Greenlets wait on a ThreadResult (a
// Linkable) and the hub keeps running.
//
// Completion comes back the way gevent's does, through an async watcher:
// the thread posts its reply on a MessagePort nobody listens to, then calls
// asyncSend(token); the hub's loop wakes, and the watcher's callback reads
// every reply waiting with receiveMessageOnPort, settles the results and
// hands the freed threads their next tasks, all in the same drain in which
// the woken greenlets run. Sends coalesce, so a burst of completions costs
// one wake-up. The watcher is ref'd while tasks are unfinished: the hub
// counts it as something that can still wake a greenlet (no LoopExit) and
// the process stays alive; idle threads are unref'd and keep nothing alive.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { receiveMessageOnPort, MessageChannel, Worker, type MessagePort } from 'node:worker_threads';

import { getHub } from '../../core/hub';
import { Linkable, waitOn, type TimeoutArg } from '../../core/linkable';
import type { Operation, Task } from '../../core/operation';
import { awaitable, completed } from '../../core/task';
import { validateTimeoutArg } from '../../core/timeout';
import { AsyncWatcher } from '../../loop/async';
import { invalidArgType } from '../../loop/errors';
import { TimerWatcher } from '../../loop/timer';
import { validateInteger, validateObject, validateTimeout } from '../../loop/validate';
import { deserializeError, ThreadPoolError, type SerializedError } from './errors';
import { ThreadMapIterator } from './map';
import { ThreadResult } from './result';
import { describeTask, type TaskMessage, type ThreadFunction } from './task';
import { WORKER_SOURCE } from './worker-source';

export interface ThreadPoolOptions {
  /** Seconds an idle thread lives before it exits (default 5, gevent's; null: forever). */
  idleTimeout?: number | null;
}

interface Job {
  readonly id: number;
  readonly task: { source: string } | { module: string; name: string };
  args: unknown[];
  readonly result: ThreadResult<unknown>;
}

interface Slot {
  readonly worker: Worker;
  readonly port: MessagePort;
  job: Job | null;
  idleSince: number;
  gone: boolean;
  /** The thread's uncaught error, reported before its exit. */
  error: unknown;
}

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: SerializedError;
}

/** The addon, loaded in each thread only for asyncSend (lib/io/threadpool and dist/io/threadpool are three levels down). */
function addonPath(): string {
  const root = path.resolve(__dirname, '..', '..', '..');
  const release = path.join(root, 'build', 'Release', 'greenhub.node');
  return fs.existsSync(release) ? release : path.join(root, 'build', 'Debug', 'greenhub.node');
}

function validateIterable(name: string, value: unknown): unknown[] {
  if (value === null || typeof value !== 'object' || typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw invalidArgType(name, 'an iterable', value);
  }
  return [...(value as Iterable<unknown>)];
}

/** join()'s waitable: ready when no task is unfinished. */
class Drained extends Linkable {
  constructor(private readonly _pool: ThreadPool) {
    super();
  }

  ready(): boolean {
    return this._pool.unfinished === 0;
  }

  _describeWait(): string {
    return `${this._pool.unfinished} unfinished thread pool task(s) (join())`;
  }
}

export class ThreadPool implements Disposable {
  private _maxsize: number;
  private readonly _idleTimeout: number | null;
  private readonly _slots: Slot[] = [];
  private readonly _queue: Job[] = [];
  private _queueHead = 0;
  private _unfinished = 0;
  private _nextId = 1;
  private _closed = false;
  private _async: AsyncWatcher | null = null;
  private _token = 0;
  private _idleTimer: TimerWatcher | null = null;
  private readonly _drained = new Drained(this);

  /**
   * At most `maxsize` tasks run at once, each in its own thread; threads
   * start on demand. maxsize 0 pauses the pool (tasks queue).
   */
  constructor(maxsize: number = os.availableParallelism(), options: ThreadPoolOptions = {}) {
    validateInteger('maxsize', maxsize, 0, 1024);
    validateObject('options', options);
    const idleTimeout = options.idleTimeout === undefined ? 5 : options.idleTimeout;
    validateTimeout('options.idleTimeout', idleTimeout);
    this._maxsize = maxsize;
    this._idleTimeout = idleTimeout;
  }

  /** The most tasks running at once; settable (0 pauses, raising it starts queued tasks). */
  get maxsize(): number {
    return this._maxsize;
  }

  set maxsize(value: number) {
    validateInteger('maxsize', value, 0, 1024);
    this._maxsize = value;
    this._trimIdle(true);
    this._dispatch();
  }

  /** Threads alive now. */
  get size(): number {
    return this._slots.length;
  }

  /** Tasks queued or running (gevent's len(pool)). */
  get unfinished(): number {
    return this._unfinished;
  }

  /** close() or kill() was called: no new tasks. */
  get closed(): boolean {
    return this._closed;
  }

  /**
   * Queues `fn(...args)` for a thread and returns its result at once; it
   * never blocks (tasks beyond maxsize wait in FIFO order). Arguments are
   * copied now (structured clone): a DataCloneError is thrown here.
   */
  spawn<A extends unknown[], R>(fn: ThreadFunction<A, R>, ...args: A): ThreadResult<Awaited<R>> {
    if (this._closed) throw new ThreadPoolError('The thread pool is closed', 'ERR_THREADPOOL_CLOSED');
    const task = describeTask(fn);
    const result = new ThreadResult<Awaited<R>>();
    const job: Job = { id: this._nextId++, task, args, result: result as ThreadResult<unknown> };
    const slot = this._freeSlot();
    if (slot !== null) {
      // Posting clones the arguments; a DataCloneError leaves no trace.
      this._post(slot, job);
    } else {
      job.args = structuredClone(args);
      this._queue.push(job);
    }
    this._unfinished++;
    this._watcher().ref = true;
    return result;
  }

  /** Runs `fn(...args)` in a thread and returns its value (or raises its error). */
  apply<A extends unknown[], R>(fn: ThreadFunction<A, R>, args?: A): Task<Awaited<R>> {
    if (args !== undefined && !Array.isArray(args)) throw invalidArgType('args', 'an array', args);
    const result = this.spawn(fn, ...((args ?? []) as A));
    return result.get();
  }

  /**
   * fn(item) for each item, spread over the threads; the values in the
   * order of the items. The first failure (in that order) is raised; the
   * other tasks still run.
   */
  map<T, R>(fn: ThreadFunction<[T], R>, items: Iterable<T>): Task<Awaited<R>[]> {
    const list = validateIterable('items', items) as T[];
    const results = list.map((item) => this.spawn(fn, item));
    if (results.length === 0) return completed([]);
    return mapTask(results) as Task<Awaited<R>[]>;
  }

  /** Like map(), as an iterator yielding each value in order as soon as it is there. */
  imap<T, R>(fn: ThreadFunction<[T], R>, items: Iterable<T>): ThreadMapIterator<Awaited<R>> {
    const list = validateIterable('items', items) as T[];
    return new ThreadMapIterator(
      list.map((item) => this.spawn(fn, item)),
      true,
    );
  }

  /** Like imap(), in the order the tasks finish. */
  imapUnordered<T, R>(fn: ThreadFunction<[T], R>, items: Iterable<T>): ThreadMapIterator<Awaited<R>> {
    const list = validateIterable('items', items) as T[];
    return new ThreadMapIterator(
      list.map((item) => this.spawn(fn, item)),
      false,
    );
  }

  /** Waits until no task is unfinished; false if `timeout` passed first. */
  join(timeout?: TimeoutArg): Task<boolean> {
    validateTimeoutArg('timeout', timeout);
    if (this._unfinished === 0) return completed(true);
    return joinTask(this._drained, timeout);
  }

  /** No new tasks; those queued and running finish, then the threads exit. */
  close(): void {
    this._closed = true;
    if (this._unfinished === 0) this._shutdown();
  }

  /**
   * Stops now: threads are terminated (a running task is cut off), and
   * every unfinished result fails with ERR_THREADPOOL_KILLED.
   */
  kill(): void {
    this._closed = true;
    const lost: Job[] = [];
    for (const slot of this._slots) if (slot.job !== null) lost.push(slot.job);
    lost.push(...this._queue.slice(this._queueHead));
    this._queue.length = this._queueHead = 0;
    this._shutdown();
    for (const job of lost) {
      this._unfinished--;
      job.result._settle(false, new ThreadPoolError('The thread pool was killed before the task finished', 'ERR_THREADPOOL_KILLED'));
    }
    this._drained._scheduleNotify();
  }

  [Symbol.dispose](): void {
    this.kill();
  }

  toString(): string {
    return `<ThreadPool maxsize=${this._maxsize} threads=${this._slots.length} unfinished=${this._unfinished}>`;
  }

  private _watcher(): AsyncWatcher {
    if (this._async === null) {
      const watcher = new AsyncWatcher(getHub().loop);
      watcher.ref = false;
      watcher.start(() => this._collect());
      this._token = watcher.token;
      this._async = watcher;
    }
    return this._async;
  }

  private _busy(): number {
    let busy = 0;
    for (const slot of this._slots) if (slot.job !== null) busy++;
    return busy;
  }

  /** A thread that may take a task now (starting one if the pool may grow), or null. */
  private _freeSlot(): Slot | null {
    if (this._busy() >= this._maxsize || this._queueHead < this._queue.length) return null;
    for (const slot of this._slots) if (slot.job === null) return slot;
    return this._slots.length < this._maxsize ? this._startThread() : null;
  }

  private _startThread(): Slot {
    this._watcher();
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { addonPath: addonPath(), token: this._token, port: port2 },
      transferList: [port2],
    });
    // Idle threads keep nothing alive; the async watcher does while tasks run.
    worker.unref();
    const slot: Slot = { worker, port: port1, job: null, idleSince: performance.now(), gone: false, error: undefined };
    worker.on('error', (error) => {
      slot.error = error;
    });
    worker.on('exit', (code) => this._onExit(slot, code));
    this._slots.push(slot);
    return slot;
  }

  private _post(slot: Slot, job: Job): void {
    const message: TaskMessage = { id: job.id, ...job.task, args: job.args };
    slot.worker.postMessage(message);
    slot.job = job;
  }

  /** Hands queued tasks to free threads, in order. */
  private _dispatch(): void {
    while (this._queueHead < this._queue.length && this._busy() < this._maxsize) {
      let slot: Slot | null = null;
      for (const candidate of this._slots) {
        if (candidate.job === null) {
          slot = candidate;
          break;
        }
      }
      if (slot === null) {
        if (this._slots.length >= this._maxsize) break;
        slot = this._startThread();
      }
      const job = this._queue[this._queueHead];
      this._queue[this._queueHead++] = undefined as unknown as Job;
      if (this._queueHead === this._queue.length) this._queue.length = this._queueHead = 0;
      try {
        this._post(slot, job);
      } catch (error) {
        // Its arguments were cloned once already; this is not expected.
        this._settle(job, false, error);
      }
    }
  }

  /** The async watcher fired: read every reply that is waiting. */
  private _collect(): void {
    for (const slot of [...this._slots]) this._drainReplies(slot);
    this._afterReplies();
  }

  private _drainReplies(slot: Slot): void {
    while (slot.job !== null) {
      const received = receiveMessageOnPort(slot.port);
      if (received === undefined) return;
      const reply = received.message as Reply;
      const job = slot.job;
      if (job.id !== reply.id) continue;
      slot.job = null;
      slot.idleSince = performance.now();
      this._settle(job, reply.ok, reply.ok ? reply.value : deserializeError(reply.error ?? {}));
    }
  }

  private _settle(job: Job, ok: boolean, value: unknown): void {
    this._unfinished--;
    job.result._settle(ok, value);
  }

  private _afterReplies(): void {
    this._dispatch();
    if (this._unfinished === 0) {
      if (this._async !== null) this._async.ref = false;
      this._drained._scheduleNotify();
      if (this._closed) {
        this._shutdown();
        return;
      }
    }
    this._trimIdle(false);
  }

  /** A thread exited: by our terminate(), or by itself (process.exit(), a crash). */
  private _onExit(slot: Slot, code: number): void {
    if (slot.gone) return;
    this._drainReplies(slot);
    slot.gone = true;
    this._slots.splice(this._slots.indexOf(slot), 1);
    const job = slot.job;
    if (job !== null) {
      slot.job = null;
      const error =
        slot.error ??
        new ThreadPoolError(`The pool thread exited with code ${code} while running the task`, 'ERR_THREADPOOL_THREAD_EXITED');
      this._settle(job, false, error);
    }
    this._afterReplies();
  }

  /**
   * Ends idle threads beyond maxsize now and, unless `surplusOnly`, arms
   * the idle timer for the idle ones left.
   */
  private _trimIdle(surplusOnly: boolean): void {
    const idle = this._slots.filter((slot) => slot.job === null);
    let surplus = this._slots.length - this._maxsize;
    for (const slot of idle) {
      if (surplus <= 0) break;
      this._retire(slot);
      surplus--;
    }
    if (!surplusOnly) this._armIdleTimer();
  }

  private _armIdleTimer(): void {
    if (this._idleTimeout === null) return;
    let earliest = Infinity;
    for (const slot of this._slots) if (slot.job === null) earliest = Math.min(earliest, slot.idleSince);
    if (earliest === Infinity) return;
    if (this._idleTimer === null) {
      const timer = new TimerWatcher(getHub().loop, 0, 0);
      timer.ref = false;
      this._idleTimer = timer;
    }
    if (this._idleTimer.active) return;
    const due = Math.max(0, (earliest + this._idleTimeout * 1000 - performance.now()) / 1000);
    this._idleTimer.set(due, 0);
    this._idleTimer.start(() => this._expireIdle());
  }

  private _expireIdle(): void {
    const limit = (this._idleTimeout as number) * 1000;
    const now = performance.now();
    // Within a millisecond counts: the timer's clock is coarser than now().
    for (const slot of [...this._slots]) if (slot.job === null && now - slot.idleSince >= limit - 1) this._retire(slot);
    this._armIdleTimer();
  }

  private _retire(slot: Slot): void {
    slot.gone = true;
    this._slots.splice(this._slots.indexOf(slot), 1);
    slot.port.close();
    slot.worker.terminate().catch(() => {});
  }

  private _shutdown(): void {
    for (const slot of [...this._slots]) {
      slot.job = null;
      this._retire(slot);
    }
    this._idleTimer?.close();
    this._idleTimer = null;
    this._async?.close();
    this._async = null;
  }
}

const mapTask = awaitable(function* map(results: ThreadResult<unknown>[]): Operation<unknown[]> {
  const values: unknown[] = [];
  for (const result of results) values.push(yield* result.get());
  return values;
});

const joinTask = awaitable(function* join(drained: Drained, timeout: TimeoutArg): Operation<boolean> {
  if (drained.ready()) return true;
  return yield* waitOn(drained, timeout, 'ThreadPool.join()');
});
