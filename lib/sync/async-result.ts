// AsyncResult: a one-shot result greenlets wait for (gevent.event.
// AsyncResult). It is a ResultReceiver, so `greenlet.link(result)` copies
// the greenlet's value or error into it.
import type { ResultReceiver } from '../core/greenlet';
import type { TimeoutArg } from '../core/linkable';
import { SUSPEND, type Operation, type Task } from '../core/operation';
import { awaitable } from '../core/task';
import { Timeout, validateTimeoutArg } from '../core/timeout';
import { Notifier } from './notifier';
import { armTimer, disarm, expired, ownsTimeout, Ready, validateBlockOptions, type BlockOptions } from './park';

const enum State {
  Unset,
  Value,
  Failed,
}

export class AsyncResult<T = unknown> extends Notifier implements ResultReceiver<T> {
  private _state = State.Unset;
  private _value: T | undefined = undefined;
  private _exception: unknown = undefined;

  /** Set with a value or an error. */
  ready(): boolean {
    return this._state !== State.Unset;
  }

  /** Set with a value (not an error). */
  successful(): boolean {
    return this._state === State.Value;
  }

  /** The value once set with one; undefined otherwise. */
  get value(): T | undefined {
    return this._state === State.Value ? this._value : undefined;
  }

  /** The error once set with one; undefined otherwise. */
  get exception(): unknown {
    return this._state === State.Failed ? this._exception : undefined;
  }

  /**
   * Stores the value and wakes the waiters (through the hub's queue). A
   * later set() or setException() replaces what is stored (gevent does not
   * forbid it either); waiters already woken keep what they got.
   */
  set(value: T): void {
    this._state = State.Value;
    this._value = value;
    this._exception = undefined;
    this._scheduleNotify();
  }

  /** Stores an error: get() raises it, wait() returns undefined. */
  setException(error: unknown): void {
    this._state = State.Failed;
    this._exception = error;
    this._value = undefined;
    this._scheduleNotify();
  }

  /**
   * Returns the value or raises the error, waiting for it if needed. With
   * block false, or when `timeout` seconds pass, raises Timeout; a Timeout
   * given as `timeout` raises itself.
   */
  get(options?: BlockOptions): Task<T> {
    let block = true;
    let timeout: TimeoutArg;
    if (options !== undefined) {
      block = validateBlockOptions(options, 'block');
      timeout = options.timeout;
    }
    if (this._state === State.Value) return new Ready(this._value as T);
    return getTask(this, block, timeout) as Task<T>;
  }

  /** get({ block: false }). */
  getNowait(): Task<T> {
    return this.get({ block: false });
  }

  /**
   * Waits until set; returns the value, or undefined if it was set with an
   * error or `timeout` passed first (nothing is raised but an outer
   * Timeout).
   */
  wait(timeout?: TimeoutArg): Task<T | undefined> {
    if (timeout !== undefined) validateTimeoutArg('timeout', timeout);
    if (this._state !== State.Unset) return new Ready(this.value);
    return waitTask(this, timeout) as Task<T | undefined>;
  }

  /** @internal */
  _describeWait(): string {
    return 'an AsyncResult';
  }

  override toString(): string {
    const state = this._state === State.Unset ? 'unset' : this._state === State.Value ? 'value' : 'exception';
    return `<AsyncResult ${state}, ${this.linkcount()} waiting>`;
  }
}

const getTask = awaitable(function* get(result: AsyncResult<unknown>, block: boolean, timeout: TimeoutArg): Operation<unknown> {
  if (!result.ready()) {
    if (!block) throw new Timeout(null, undefined, { describe: 'AsyncResult.get(block: false) on an unset AsyncResult' });
    const greenlet = result.hub._currentGreenlet('AsyncResult.get()');
    const armed = armTimer(result.hub, greenlet, timeout);
    result._addLink(greenlet);
    greenlet._waitingOn = result;
    try {
      if ((yield SUSPEND) !== result) throw expired(timeout, 'AsyncResult.get()');
    } finally {
      result._removeLink(greenlet);
      disarm(armed);
    }
  }
  if (!result.successful()) throw result.exception;
  return result.value;
});

const waitTask = awaitable(function* wait(result: AsyncResult<unknown>, timeout: TimeoutArg): Operation<unknown> {
  const greenlet = result.hub._currentGreenlet('AsyncResult.wait()');
  const armed = armTimer(result.hub, greenlet, timeout);
  result._addLink(greenlet);
  greenlet._waitingOn = result;
  try {
    yield SUSPEND;
  } catch (error) {
    if (ownsTimeout(timeout, error)) return undefined;
    throw error;
  } finally {
    result._removeLink(greenlet);
    disarm(armed);
  }
  return result.value;
});
