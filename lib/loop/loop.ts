// The Loop: greenhub's event loop on top of Node's own. It owns the
// watchers' dispatch (one JS entry per loop phase, events read from a ring
// the addon fills) and the FIFO callback queue the hub schedules greenlets
// on.
import { performance } from 'node:perf_hooks';

import { AsyncWatcher } from './async';
import { Callback, type Runnable } from './callback';
import { ChildWatcher, type ChildOptions } from './child';
import { ClosedError, invalidArgValue } from './errors';
import { IoWatcher } from './io';
import { addon, type NativeLoop } from './native';
import { PeriodicWatcher, type Reschedule } from './periodic';
import { CheckWatcher, IdleWatcher, PrepareWatcher } from './phase';
import { SignalWatcher } from './signal';
import { StatWatcher } from './stat';
import { TimerWatcher } from './timer';
import { validateFunction } from './validate';
import type { Watcher } from './watcher';

export type BackendName = 'uv' | 'ev';

export interface LoopOptions {
  /** 'uv' (Node's own libuv loop, the default) or 'ev' (libev). */
  backend?: BackendName;
}

/** Who hears about errors thrown by watcher and loop callbacks. */
export type LoopErrorHandler = (error: unknown, context: unknown) => void;

/** By default an error in a callback is an uncaught exception, as in any Node callback. */
function rethrowUncaught(error: unknown): void {
  process.nextTick(() => {
    throw error;
  });
}

const CALLBACK_CHECK_COUNT = 50;

export class Loop {
  readonly backend: BackendName;
  /**
   * Seconds one drain of the callback queue may run before timers and I/O
   * get their turn (gevent's switch interval).
   */
  switchInterval = 0.005;
  /** Replaceable; the hub installs its own. */
  errorHandler: LoopErrorHandler = rethrowUncaught;

  /** @internal */ readonly _native: NativeLoop;
  /** @internal Active watchers by id: the ones events are delivered to. */
  readonly _active: (Watcher | undefined)[] = [];
  /** @internal How many active watchers have a priority other than 0. */
  _prioritized = 0;
  /** @internal How many active watchers are ref'd (keep the process and the hub alive). */
  _refActive = 0;
  /**
   * @internal Called when a drain leaves the callback queue empty, and on
   * the next turn after the last ref'd watcher stops outside a drain: the
   * hub looks there for greenlets nothing can wake.
   */
  _afterDrain: (() => void) | null = null;

  private readonly _state: Int32Array;
  /** @internal The fd watchers' shared bytes (see fd.ts); replaced when the addon grows it. */
  _fdState: Uint8Array;
  private _ring: Int32Array = new Int32Array(0);
  private _flushSeq = 0;
  private _flushing = false;
  private _inDispatch = false;
  private _wakeRequested = false;
  private _closed = false;
  private _queue: (Runnable | undefined)[] = new Array<Runnable | undefined>(256);
  private _queueHead = 0;
  private _queueTail = 0;

  constructor(options: LoopOptions = {}) {
    const backend = options.backend ?? 'uv';
    if (backend !== 'uv' && backend !== 'ev') {
      throw invalidArgValue('options.backend', "must be 'uv' or 'ev'", backend);
    }
    this.backend = backend;
    this._native = addon.createLoop(backend, (ring) => this._dispatch(ring));
    this._state = this._native.state;
    this._fdState = this._native.fdState;
  }

  /** Backends this build of the addon has. */
  static get backends(): readonly BackendName[] {
    return addon.backends as readonly BackendName[];
  }

  get closed(): boolean {
    return this._closed;
  }

  /** The loop's cached time in seconds (monotonic; refreshed once per iteration). */
  now(): number {
    this._checkOpen();
    return this._native.now();
  }

  /** Refreshes the cached time. */
  updateNow(): void {
    this._checkOpen();
    this._native.updateNow();
  }

  io(fd: number, events: number): IoWatcher {
    return new IoWatcher(this, fd, events);
  }

  timer(after: number, repeat = 0): TimerWatcher {
    return new TimerWatcher(this, after, repeat);
  }

  signal(signum: number | NodeJS.Signals): SignalWatcher {
    return new SignalWatcher(this, signum);
  }

  child(pid: number, trace = false, options: ChildOptions = {}): ChildWatcher {
    return new ChildWatcher(this, pid, trace, options);
  }

  periodic(offset: number, interval = 0, reschedule?: Reschedule): PeriodicWatcher {
    return new PeriodicWatcher(this, offset, interval, reschedule);
  }

  stat(path: string, interval = 0): StatWatcher {
    return new StatWatcher(this, path, interval);
  }

  idle(): IdleWatcher {
    return new IdleWatcher(this);
  }

  prepare(): PrepareWatcher {
    return new PrepareWatcher(this);
  }

  check(): CheckWatcher {
    return new CheckWatcher(this);
  }

  async(): AsyncWatcher {
    return new AsyncWatcher(this);
  }

  /** Runs `fn(...args)` soon, in FIFO order with every other callback. */
  runCallback<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): Callback<A> {
    validateFunction('fn', fn);
    this._checkOpen();
    const callback = new Callback(fn, args);
    this._schedule(callback);
    return callback;
  }

  /** Closes every watcher and the loop's own handles. */
  close(): void {
    if (this._closed) return;
    this._closed = true;
    for (const watcher of this._active) if (watcher !== undefined) watcher._isActive = false;
    this._active.length = 0;
    this._refActive = 0;
    this._prioritized = 0;
    this._queue = [];
    this._queueHead = this._queueTail = 0;
    this._native.closeLoop();
  }

  /** @internal Queues work for the next drain, FIFO. */
  _schedule(item: Runnable): void {
    const queue = this._queue;
    queue[this._queueTail] = item;
    this._queueTail = (this._queueTail + 1) & (queue.length - 1);
    if (this._queueTail === this._queueHead) this._growQueue();
    if (!this._inDispatch) this._requestTurn();
  }

  /** @internal Whether work is queued. */
  get _hasQueued(): boolean {
    return this._queueHead !== this._queueTail;
  }

  /** @internal */
  _reportError(error: unknown, context: unknown): void {
    try {
      this.errorHandler(error, context);
    } catch (handlerError) {
      rethrowUncaught(handlerError);
    }
  }

  /** @internal Fired and not yet delivered. */
  _isPending(watcher: Watcher): boolean {
    if (this._flushing) return watcher._pendingSeq === this._flushSeq;
    const ring = this._ring;
    const count = this._state[0];
    if (ring.length < count * 2) return false;
    for (let i = 0; i < count; i++) if (ring[i * 2] === watcher._id) return true;
    return false;
  }

  /** @internal A stopped watcher must not see events that came before the stop. */
  _forgetPending(watcher: Watcher): void {
    if (this._flushing) {
      watcher._pendingSeq = 0;
      return;
    }
    const count = this._state[0];
    if (count === 0) return;
    const ring = this._ring;
    for (let i = 0; i < count && i * 2 < ring.length; i++) if (ring[i * 2] === watcher._id) ring[i * 2] = 0;
  }

  private _checkOpen(): void {
    if (this._closed) throw new ClosedError('the loop', 'ERR_LOOP_CLOSED');
  }

  private _requestTurn(): void {
    if (this._wakeRequested || this._closed) return;
    this._wakeRequested = true;
    this._native.wake();
  }

  private _growQueue(): void {
    // The queue is full with head === tail: unroll it into a twice larger one.
    const old = this._queue;
    const grown = new Array<Runnable | undefined>(old.length * 2);
    const head = this._queueHead;
    let n = 0;
    for (let i = head; i < old.length; i++) grown[n++] = old[i];
    for (let i = 0; i < head; i++) grown[n++] = old[i];
    this._queue = grown;
    this._queueHead = 0;
    this._queueTail = n;
  }

  // Called by the addon once per loop phase with the event ring.
  private _dispatch(ring: Int32Array): void {
    if (this._closed) return;
    this._ring = ring;
    this._inDispatch = true;
    this._wakeRequested = false;
    const count = this._state[0];
    if (count > 0) this._deliver(ring, count);
    this._runCallbacks();
    if (this._afterDrain !== null && this._queueHead === this._queueTail && !this._closed) {
      this._afterDrain();
      this._runCallbacks();
    }
    this._inDispatch = false;
  }

  /** @internal A new fd watcher may have grown the shared bytes. */
  _fdStateChanged(): void {
    this._fdState = this._native.fdState;
  }

  /** @internal A greenlet starts (1) or stops (-1) waiting on an fd watcher. */
  _fdWaiting(delta: number): void {
    const state = this._state;
    state[2] += delta;
    this._refActive += delta;
    if (delta > 0) {
      // The fd poller holds the loop only while someone waits.
      if (state[3] === 0) this._native.fdRef();
    } else if (this._refActive === 0) {
      this._noRefsLeft();
    }
  }

  /** @internal Makes the next loop iteration not block in poll. */
  _wakeUp(): void {
    this._wakeRequested = false;
    this._requestTurn();
  }

  /** @internal The last ref'd watcher stopped: outside a drain, make one happen. */
  _noRefsLeft(): void {
    if (!this._inDispatch && this._afterDrain !== null) this._requestTurn();
  }

  private _deliver(ring: Int32Array, count: number): void {
    const table = this._active;
    const seq = ++this._flushSeq;
    // First mark what is pending, so that a watcher stopped by an earlier
    // callback in this batch (or a new one reusing its id) is skipped.
    for (let i = 0; i < count; i++) {
      const watcher = table[ring[i * 2]];
      if (watcher !== undefined) watcher._pendingSeq = seq;
    }
    this._flushing = true;
    try {
      if (this._prioritized > 0 && this._native.maxPriority === 0) {
        // The backend has no priorities: deliver highest first here.
        for (let priority = 2; priority >= -2; priority--) this._deliverPass(ring, count, seq, priority);
      } else {
        this._deliverPass(ring, count, seq, null);
      }
    } finally {
      this._flushing = false;
    }
  }

  private _deliverPass(ring: Int32Array, count: number, seq: number, priority: number | null): void {
    const table = this._active;
    for (let i = 0; i < count; i++) {
      const watcher = table[ring[i * 2]];
      if (watcher === undefined || watcher._pendingSeq !== seq) continue;
      if (priority !== null && watcher.priority !== priority) continue;
      watcher._pendingSeq = 0;
      watcher._fire(ring[i * 2 + 1]);
    }
  }

  private _runCallbacks(): void {
    if (this._queueHead === this._queueTail) return;
    const started = performance.now();
    const budget = this.switchInterval * 1000;
    let sinceCheck = 0;
    while (this._queueHead !== this._queueTail) {
      const queue = this._queue;
      const item = queue[this._queueHead] as Runnable;
      queue[this._queueHead] = undefined;
      this._queueHead = (this._queueHead + 1) & (queue.length - 1);
      try {
        item._runQueued();
      } catch (error) {
        this._reportError(error, item);
      }
      if (this._closed) return;
      if (++sinceCheck === CALLBACK_CHECK_COUNT) {
        sinceCheck = 0;
        if (performance.now() - started >= budget) break;
      }
    }
    // Time is up with work left: let timers and I/O run, then continue
    // without blocking.
    if (this._queueHead !== this._queueTail) {
      this._wakeRequested = false;
      this._requestTurn();
    }
  }
}

let defaultLoopInstance: Loop | undefined;

/** This thread's loop, created on first use; GREENHUB_LOOP=uv|ev picks its backend. */
export function defaultLoop(): Loop {
  if (defaultLoopInstance === undefined || defaultLoopInstance.closed) {
    const fromEnv = process.env.GREENHUB_LOOP;
    const backend = fromEnv === undefined || fromEnv === '' ? 'uv' : fromEnv;
    if (backend !== 'uv' && backend !== 'ev') {
      throw invalidArgValue('GREENHUB_LOOP', "must be 'uv' or 'ev'", backend);
    }
    defaultLoopInstance = new Loop({ backend });
  }
  return defaultLoopInstance;
}
