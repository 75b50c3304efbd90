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
import { TimerQueue } from './timer-queue';
import { validateFunction, validateObject, validateSeconds } from './validate';
import type { Watcher } from './watcher';

export type BackendName = 'uv' | 'ev';

/** @internal What the finalizer of a dropped watcher closes: -1 once closed. */
export interface OrphanCell {
  id: number;
}

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

  /** @internal */ readonly _native: NativeLoop;
  /** @internal The addon's own object: its `ring` property follows the ring's growth. */
  readonly _binding: NativeLoop;
  /** @internal Active watchers by id: the ones events are delivered to. */
  readonly _active: (Watcher | undefined)[] = [];
  /** @internal How many active watchers have a priority other than 0. */
  _prioritized = 0;
  /**
   * @internal How many active watchers are ref'd (keep the process and the
   * hub alive); each ref'd entry of the timer queue counts as one.
   */
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
  private _flushSeq = 0;
  private _flushCount = 0;
  private _drainStarted = 0;
  // The last drain ran out of its switch interval: the next turn delivers
  // its events first, or a busy queue would hold a due timer back for a
  // second interval.
  private _drainCut = false;
  private _flushing = false;
  private _inDispatch = false;
  private _wakeRequested = false;
  private _closed = false;
  private _queue: (Runnable | undefined)[] = new Array<Runnable | undefined>(256);
  private _queueHead = 0;
  private _queueTail = 0;
  private _switchInterval = 0.005;
  // Held values are cells rather than ids: close() empties the cell instead
  // of unregistering, which costs V8 a lookup in its token table (measured:
  // a quarter of a timer's create-start-close).
  private readonly _orphans = new FinalizationRegistry<OrphanCell>((cell) => {
    if (this._closed || cell.id < 0) return;
    try {
      this._native.close(cell.id);
    } catch {
      // The environment is going and took the loop with it.
    }
  });
  private _errorHandler: LoopErrorHandler = rethrowUncaught;
  private _timers: TimerQueue | null = null;

  constructor(options: LoopOptions = {}) {
    validateObject('options', options);
    const backend = options.backend === undefined ? 'uv' : options.backend;
    if (backend !== 'uv' && backend !== 'ev') {
      throw invalidArgValue('options.backend', "must be 'uv' or 'ev'", backend);
    }
    this.backend = backend;
    this._binding = addon.createLoop(backend, () => this._dispatch());
    // The addon's object holds its functions as a dictionary; a copy made by
    // spreading has fast properties, which every watcher call looks up.
    this._native = { ...this._binding };
    this._state = this._binding.state;
    this._fdState = this._binding.fdState;
  }

  /** Backends this build of the addon has. */
  static get backends(): readonly BackendName[] {
    return addon.backends as readonly BackendName[];
  }

  get closed(): boolean {
    return this._closed;
  }

  /**
   * Seconds one drain of the callback queue may run before timers and I/O
   * get their turn (gevent's switch interval; 0.005 by default). The clock
   * is read every 50 callbacks, so a drain runs at least that many.
   */
  get switchInterval(): number {
    return this._switchInterval;
  }

  set switchInterval(seconds: number) {
    validateSeconds('switchInterval', seconds);
    this._switchInterval = seconds;
  }

  /**
   * Hears errors thrown by watcher and loop callbacks, with the watcher or
   * Callback as context. By default they become uncaught exceptions; the
   * hub installs its own.
   */
  get errorHandler(): LoopErrorHandler {
    return this._errorHandler;
  }

  set errorHandler(handler: LoopErrorHandler) {
    validateFunction('errorHandler', handler);
    this._errorHandler = handler;
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

  /**
   * @internal The hub's timed waits (sleep, Timeout), behind one native
   * timer (see timer-queue.ts); made on first use.
   */
  get _timerQueue(): TimerQueue {
    return (this._timers ??= new TimerQueue(this));
  }

  /** Closes every watcher and the loop's own handles. */
  close(): void {
    if (this._closed) return;
    this._closed = true;
    for (const watcher of this._active) if (watcher !== undefined) watcher._isActive = false;
    this._timers?._close();
    this._active.length = 0;
    this._refActive = 0;
    this._prioritized = 0;
    // Queued callbacks will never run: they stop being pending.
    for (const item of this._queue) if (item instanceof Callback) item.stop();
    this._queue = new Array<Runnable | undefined>(16);
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
      this._errorHandler(error, context);
    } catch (handlerError) {
      rethrowUncaught(handlerError);
    }
  }

  /** @internal Fired and not yet delivered. */
  _isPending(watcher: Watcher): boolean {
    if (this._flushing && watcher._pendingSeq === this._flushSeq) return true;
    // Events the current flush is not delivering: the ones that came after it
    // started, or all of them between flushes.
    const count = this._state[0];
    if (count <= this._flushCount) return false;
    const ring = this._binding.ring;
    for (let i = this._flushCount; i < count; i++) if (ring[i * 2] === watcher._id) return true;
    return false;
  }

  /** @internal A stopped watcher must not see events that came before the stop. */
  _forgetPending(watcher: Watcher): void {
    if (this._flushing) watcher._pendingSeq = 0;
    const count = this._state[0];
    if (count <= this._flushCount) return;
    const ring = this._binding.ring;
    for (let i = this._flushCount; i < count; i++) if (ring[i * 2] === watcher._id) ring[i * 2] = 0;
  }

  /** @internal A new watcher: a dropped one gives its native half back when collected. */
  _adopt(watcher: Watcher): OrphanCell {
    const cell: OrphanCell = { id: watcher._id };
    this._orphans.register(watcher, cell);
    return cell;
  }

  /** @internal A watcher's close(): frees its native half (`cell` from _adopt, if tracked). */
  _release(watcher: Watcher, cell: OrphanCell | null): void {
    if (cell !== null) cell.id = -1;
    if (!this._closed) this._native.close(watcher._id);
  }

  /** @internal */
  _checkOpen(): void {
    if (this._closed) throw new ClosedError('the loop', 'ERR_LOOP_CLOSED');
  }

  /** @internal The native loop, to create a watcher on; ClosedError once closed. */
  _openNative(): NativeLoop {
    this._checkOpen();
    return this._native;
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

  // Called by the addon once per loop phase with the event ring. Callbacks
  // queued before this turn run before its events, as gevent runs its queue
  // before the loop polls (spawn() before spawnLater(0)); the callbacks the
  // events queue run after them, in the same turn.
  private _dispatch(): void {
    this._inDispatch = true;
    this._wakeRequested = false;
    this._drainStarted = 0;
    try {
      const cut = this._drainCut;
      this._drainCut = false;
      const inTime = cut || this._runCallbacks();
      const count = this._state[0];
      try {
        // The ring may have grown since the addon passed it.
        if (count > 0 && !this._closed) this._deliver(this._binding.ring, count);
      } finally {
        // Before this callback's nextTicks and promises run: from here on
        // these events are no longer pending.
        this._consume(count);
      }
      if (inTime && this._runCallbacks() && this._afterDrain !== null && !this._closed) {
        this._afterDrain();
        this._runCallbacks();
      }
    } finally {
      this._inDispatch = false;
    }
  }

  // Drops the `count` delivered events from the ring. Events the addon
  // appended while JS ran (an io watcher failing inside a JS call) move to
  // the front for the next flush.
  private _consume(count: number): void {
    const state = this._state;
    const total = state[0];
    this._flushCount = 0;
    if (total <= count) {
      state[0] = 0;
      return;
    }
    this._binding.ring.copyWithin(0, count * 2, total * 2);
    state[0] = total - count;
    this._requestTurn();
  }

  /** @internal A new fd watcher may have grown the shared bytes. */
  _fdStateChanged(): void {
    this._fdState = this._binding.fdState;
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
    this._flushCount = count;
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

  // Drains the queue, callbacks queued meanwhile included, until it is empty
  // or this turn's switch interval is used up; then returns false and asks
  // for another turn, after timers and I/O had theirs.
  private _runCallbacks(): boolean {
    if (this._queueHead === this._queueTail || this._closed) return true;
    if (this._drainStarted === 0) this._drainStarted = performance.now();
    const started = this._drainStarted;
    const budget = this._switchInterval * 1000;
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
      if (this._closed) return false;
      if (++sinceCheck === CALLBACK_CHECK_COUNT) {
        sinceCheck = 0;
        if (performance.now() - started >= budget) break;
      }
    }
    if (this._queueHead === this._queueTail) return true;
    this._drainCut = true;
    this._wakeRequested = false;
    this._requestTurn();
    return false;
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
