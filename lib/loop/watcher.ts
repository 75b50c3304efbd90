// The verbs and properties every watcher shares (libev's, through gevent).
import { EVENTS, STOPPED, type EventsPlaceholder } from './constants';
import { ClosedError, systemError } from './errors';
import type { Loop, OrphanCell } from './loop';
import { validateBoolean, validateFunction, validateInteger } from './validate';

export type WatcherKind =
  | 'io'
  | 'timer'
  | 'signal'
  | 'child'
  | 'periodic'
  | 'stat'
  | 'idle'
  | 'prepare'
  | 'check'
  | 'async'
  | 'fd';

/** The arguments a callback receives: EVENTS becomes the event bits. */
export type Delivered<A extends readonly unknown[]> = {
  [K in keyof A]: A[K] extends EventsPlaceholder ? number : A[K];
};

/** @internal A consumer of events inside greenhub (the hub), cheaper than a callback. */
export interface WatcherListener {
  _onWatcher(watcher: Watcher, revents: number): void;
}

type AnyCallback = (...args: unknown[]) => unknown;

// Set by internalWatcher(): greenhub's own short-lived watchers are always
// closed explicitly, so they skip the finalization registry's cost.
let untracked = false;

/** @internal Builds a watcher greenhub closes itself (no finalizer). */
export function internalWatcher<W extends Watcher>(make: () => W): W {
  untracked = true;
  try {
    return make();
  } finally {
    untracked = false;
  }
}

export abstract class Watcher implements Disposable {
  readonly loop: Loop;
  /** @internal */ readonly _id: number;
  /** @internal */ _pendingSeq = 0;
  /** @internal */ _isActive = false;
  /** @internal */ _listener: WatcherListener | null = null;
  private _closed = false;
  // Set for watchers the finalizer looks after (all but internalWatcher()'s).
  private readonly _orphanCell: OrphanCell | null;
  private _ref = true;
  private _priority = 0;
  private _callback: AnyCallback | null = null;
  private _args: unknown[] | null = null;
  private _eventsAt = -1;

  abstract readonly kind: WatcherKind;

  /** @internal */
  constructor(loop: Loop, id: number) {
    this.loop = loop;
    this._id = id;
    // A new id may have grown the addon's fd state bytes (a new buffer).
    if (id >= loop._fdState.length) loop._fdStateChanged();
    this._orphanCell = untracked ? null : loop._adopt(this);
  }

  /**
   * Starts watching; `callback(...args)` runs on each event (an `EVENTS`
   * argument receives the event bits). Starting an active watcher only
   * replaces its callback and arguments.
   */
  start<T extends unknown[]>(callback: (...args: Delivered<T>) => unknown, ...args: T): this {
    this._checkOpen();
    this._setCallback(callback as AnyCallback, args);
    if (!this._isActive) {
      try {
        this._activate();
      } catch (error) {
        this._callback = null;
        this._args = null;
        throw error;
      }
    }
    return this;
  }

  /** Stops watching and forgets the callback; a stopped watcher can start again. */
  stop(): void {
    if (this._closed) return;
    this._callback = null;
    this._args = null;
    this._listener = null;
    if (!this._isActive) return;
    this.loop._native.stop(this._id);
    this._deactivate();
  }

  /** Stops the watcher and frees its native resources; it cannot start again. */
  close(): void {
    if (this._closed) return;
    this.stop();
    this._closed = true;
    this.loop._release(this, this._orphanCell);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  get closed(): boolean {
    return this._closed || this.loop.closed;
  }

  /** Started and not stopped (one-shot watchers stop themselves when they fire). */
  get active(): boolean {
    return this._isActive;
  }

  /** Fired, with its callback not run yet. */
  get pending(): boolean {
    return this._isActive && this.loop._isPending(this);
  }

  /** Whether the active watcher keeps the process (and the hub) alive. */
  get ref(): boolean {
    return this._ref;
  }

  set ref(value: boolean) {
    validateBoolean('ref', value);
    this._checkOpen();
    if (value === this._ref) return;
    this.loop._native.setRef(this._id, value);
    this._ref = value;
    if (this._isActive) {
      this.loop._refActive += value ? 1 : -1;
      if (this.loop._refActive === 0) this.loop._noRefsLeft();
    }
  }

  /** libev's priority, -2 (lowest) to 2; pending watchers run highest first. */
  get priority(): number {
    return this._priority;
  }

  set priority(value: number) {
    validateInteger('priority', value, -2, 2);
    this._checkOpen();
    if (this._isActive) {
      throw Object.assign(new Error('Cannot set the priority of an active watcher'), { code: 'ERR_WATCHER_ACTIVE' });
    }
    this.loop._native.setPriority(this._id, value);
    this._priority = value;
  }

  get callback(): AnyCallback | null {
    return this._callback;
  }

  set callback(value: AnyCallback | null) {
    if (value !== null) validateFunction('callback', value);
    this._callback = value;
  }

  get args(): unknown[] | null {
    return this._args;
  }

  set args(value: unknown[] | null) {
    if (value !== null && !Array.isArray(value)) {
      throw Object.assign(new TypeError('The "args" property must be an array or null'), {
        code: 'ERR_INVALID_ARG_TYPE',
      });
    }
    this._args = value;
    this._eventsAt = value === null ? -1 : value.indexOf(EVENTS);
  }

  /** @internal Starts the watcher for a greenhub consumer instead of a callback. */
  _startFor(listener: WatcherListener): void {
    this._checkOpen();
    this._callback = null;
    this._args = null;
    this._listener = listener;
    if (!this._isActive) {
      try {
        this._activate();
      } catch (error) {
        this._listener = null;
        throw error;
      }
    }
  }

  /** @internal Sets what runs on events, without starting. */
  _setCallback(callback: AnyCallback, args: unknown[]): void {
    validateFunction('callback', callback);
    this._callback = callback;
    this._args = args;
    this._eventsAt = args.indexOf(EVENTS);
    this._listener = null;
  }

  /** @internal */
  _activate(): void {
    const result = this.loop._native.start(this._id);
    if (result !== 0) throw systemError(result, this._startSyscall());
    this._markActive();
  }

  /** @internal The native side is started: deliver its events here. */
  _markActive(): void {
    this._isActive = true;
    this.loop._active[this._id] = this;
    if (this._priority !== 0) this.loop._prioritized++;
    if (this._ref) this.loop._refActive++;
  }

  /** @internal The native side stopped (or is stopping) the watcher. */
  _deactivate(): void {
    this._isActive = false;
    this.loop._active[this._id] = undefined;
    this.loop._forgetPending(this);
    if (this._priority !== 0) this.loop._prioritized--;
    if (this._ref && --this.loop._refActive === 0) this.loop._noRefsLeft();
  }

  /** @internal The syscall named in a start error. */
  _startSyscall(): string {
    return 'start';
  }

  /** @internal Delivers one event from the loop's ring. */
  _fire(revents: number): void {
    if ((revents & STOPPED) !== 0) {
      revents &= ~STOPPED;
      this._deactivate();
    }
    const listener = this._listener;
    if (listener !== null) {
      if (!this._isActive) this._listener = null;
      try {
        listener._onWatcher(this, revents);
      } catch (error) {
        // Escaping, it would cost the rest of the batch its events.
        this.loop._reportError(error, this);
      }
      return;
    }
    const callback = this._callback;
    if (callback === null) return;
    // `args` set to null means no arguments, as gevent takes None for ().
    const args = this._args;
    try {
      if (this._eventsAt >= 0 && args !== null) {
        const delivered = args.slice();
        for (let i = this._eventsAt; i < delivered.length; i++) if (delivered[i] === EVENTS) delivered[i] = revents;
        callback.apply(this, delivered);
      } else if (args === null || args.length === 0) {
        callback.call(this);
      } else {
        callback.apply(this, args);
      }
    } catch (error) {
      this._onCallbackError();
      this.loop._reportError(error, this);
    }
    // A one-shot watcher forgets its callback once done, unless the callback
    // started it again.
    if (!this._isActive && this._callback === callback) {
      this._callback = null;
      this._args = null;
    }
  }

  /** @internal io watchers stop on a failing callback so it cannot spin. */
  _onCallbackError(): void {}

  /** @internal */
  _checkOpen(): void {
    if (this.loop.closed) throw new ClosedError('the loop', 'ERR_LOOP_CLOSED');
    if (this._closed) throw new ClosedError(`this ${this.kind} watcher`);
  }
}
