// setTimeout and setInterval on the hub's loop (the timers patch): each
// timer is a TimerWatcher, so it fires in order with greenlet wake-ups, is
// a ref'd watcher the hub counts before raising LoopExit, and runs its
// callback as a loop callback (never in a greenlet). The returned object
// behaves as Node's Timeout: ref/unref/hasRef/refresh/close, a numeric id
// from Symbol.toPrimitive that clearTimeout accepts, Symbol.dispose; and,
// as Node's timers are, it is an async resource: the callback runs in the
// async context (AsyncLocalStorage stores) of the code that set it.
import { AsyncResource } from 'node:async_hooks';
import * as util from 'node:util';

import { getHub } from '../core/hub';
import { invalidArgType } from '../loop/errors';
import type { Loop } from '../loop/loop';
import type { TimerWatcher } from '../loop/timer';
import { internalWatcher } from '../loop/watcher';

// Node's limit: longer (or invalid) delays become 1 ms, with a warning for
// the too long ones.
const TIMEOUT_MAX = 2 ** 31 - 1;

/** @internal Node's delay rules: coerced to a number, truncated, 1 ms when out of 1..2^31-1. */
export function coerceDelay(after: unknown): number {
  let ms = (after as number) * 1;
  if (!(ms >= 1 && ms <= TIMEOUT_MAX)) {
    if (ms > TIMEOUT_MAX) {
      process.emitWarning(`${ms} does not fit into a 32-bit signed integer.\nTimeout duration was set to 1.`, 'TimeoutOverflowWarning');
    }
    ms = 1;
  }
  return Math.trunc(ms);
}

/** @internal An error in a timer callback is an uncaught exception, as with Node's timers. */
export function throwUncaught(error: unknown): void {
  process.nextTick(() => {
    throw error;
  });
}

/** @internal Numeric ids handed out by Symbol.toPrimitive, far above Node's async ids. */
const knownById = new Map<number, GreenTimeout>();
let nextId = 2 ** 40;

type TimerCallback = (...args: unknown[]) => void;

function fire(this: TimerWatcher, timeout: GreenTimeout): void {
  timeout._fire();
}

/** What the patched setTimeout and setInterval return. */
export class GreenTimeout {
  /** Node's field: set when the timer is done (fired once, or cleared). */
  _destroyed = false;
  private _callback: TimerCallback | null;
  private readonly _args: unknown[] | undefined;
  private readonly _loop: Loop;
  private readonly _delay: number;
  private readonly _repeat: boolean;
  private _watcher: TimerWatcher | null = null;
  private _refed = true;
  private _id = 0;
  private _resource: AsyncResource | null = new AsyncResource('Timeout', { requireManualDestroy: true });

  /** @internal */
  constructor(loop: Loop, callback: TimerCallback, delay: number, args: unknown[] | undefined, repeat: boolean) {
    this._loop = loop;
    this._callback = callback;
    this._delay = delay;
    this._args = args;
    this._repeat = repeat;
    this._arm();
  }

  /**
   * Node's clearTimeout() clears a timer by setting this to null: that
   * clears a green timer too, for code that kept Node's clearTimeout from
   * before the patch (or after unpatch).
   */
  get _onTimeout(): TimerCallback | null {
    return this._callback;
  }

  set _onTimeout(value: TimerCallback | null) {
    if (value === null) this._clear();
    else this._callback = value;
  }

  /** Starts the timer again, `delay` from now (also after it fired); not after clearTimeout. */
  refresh(): this {
    if (this._callback === null) return this;
    const watcher = this._watcher;
    if (watcher === null) {
      this._destroyed = false;
      this._arm();
    } else {
      watcher.stop();
      watcher.start(fire, this as GreenTimeout);
    }
    return this;
  }

  /** The timer no longer keeps the process (or a waiting greenlet) alive. */
  unref(): this {
    this._setRef(false);
    return this;
  }

  ref(): this {
    this._setRef(true);
    return this;
  }

  hasRef(): boolean {
    return this._refed;
  }

  /** clearTimeout(this). */
  close(): this {
    this._clear();
    return this;
  }

  [Symbol.dispose](): void {
    this._clear();
  }

  /** A number clearTimeout() accepts in place of this object. */
  [Symbol.toPrimitive](): number {
    if (this._id === 0) {
      this._id = nextId++;
      knownById.set(this._id, this);
    }
    return this._id;
  }

  [util.inspect.custom](): string {
    const state = this._watcher !== null ? 'active' : 'done';
    return `GreenTimeout { ${this._repeat ? 'interval' : 'delay'}: ${this._delay} ms, ${state}${this._refed ? '' : ', unref'} }`;
  }

  /** @internal */
  _fire(): void {
    const callback = this._callback;
    if (callback === null) return;
    if (!this._repeat) {
      // The one-shot watcher stopped itself; refresh() makes a new one.
      (this._watcher as TimerWatcher).close();
      this._watcher = null;
    }
    try {
      const resource = this._resource as AsyncResource;
      if (this._args === undefined) resource.runInAsyncScope(callback, this);
      else resource.runInAsyncScope(callback, this, ...this._args);
    } catch (error) {
      throwUncaught(error);
    }
    if (this._watcher === null && !this._destroyed) {
      this._destroyed = true;
      this._forgetId();
    }
  }

  /** @internal clearTimeout(). */
  _clear(): void {
    this._callback = null;
    this._destroyed = true;
    this._watcher?.close();
    this._watcher = null;
    this._forgetId();
    // A fired timer can still be refresh()ed, so only a cleared one ends its resource.
    this._resource?.emitDestroy();
    this._resource = null;
  }

  private _arm(): void {
    const seconds = this._delay / 1000;
    const watcher = internalWatcher(() => this._loop.timer(seconds, this._repeat ? seconds : 0));
    if (!this._refed) watcher.ref = false;
    watcher.start(fire, this as GreenTimeout);
    this._watcher = watcher;
  }

  private _setRef(ref: boolean): void {
    this._refed = ref;
    if (this._watcher !== null) this._watcher.ref = ref;
  }

  private _forgetId(): void {
    if (this._id !== 0) knownById.delete(this._id);
  }
}

function validateCallback(callback: unknown): asserts callback is TimerCallback {
  if (typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
}

/** @internal The patched setTimeout. */
export function greenSetTimeout(callback: TimerCallback, after?: number, ...args: unknown[]): GreenTimeout {
  validateCallback(callback);
  return new GreenTimeout(getHub().loop, callback, coerceDelay(after), args.length > 0 ? args : undefined, false);
}

/** @internal The patched setInterval. */
export function greenSetInterval(callback: TimerCallback, repeat?: number, ...args: unknown[]): GreenTimeout {
  validateCallback(callback);
  return new GreenTimeout(getHub().loop, callback, coerceDelay(repeat), args.length > 0 ? args : undefined, true);
}

/** @internal A green timer, or the one a numeric id names; undefined for anything else. */
export function greenTimeoutOf(timer: unknown): GreenTimeout | undefined {
  if (timer instanceof GreenTimeout) return timer;
  if (typeof timer === 'number' || typeof timer === 'string') return knownById.get(Number(timer));
  return undefined;
}
