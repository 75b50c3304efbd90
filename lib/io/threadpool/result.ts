// ThreadResult: the result of one task in a pool thread (gevent's
// ThreadResult / AsyncResult). It is a Linkable: wait()/iwait() take it, and
// a greenlet blocked on get() costs one parked generator, nothing more.
import { Linkable, waitOn, type TimeoutArg } from '../../core/linkable';
import type { Operation, Task } from '../../core/operation';
import { awaitable, completed } from '../../core/task';
import { Timeout, validateTimeoutArg } from '../../core/timeout';
import { validateBoolean, validateObject } from '../../loop/validate';

export interface ResultGetOptions {
  /** false: return or raise at once; Timeout if not ready (default true). */
  block?: boolean;
  /** Seconds (or a Timeout) to wait at most; then Timeout is raised. */
  timeout?: TimeoutArg;
}

const enum State {
  Pending,
  Succeeded,
  Failed,
}

export class ThreadResult<T = unknown> extends Linkable {
  private _state = State.Pending;
  private _value: unknown = undefined;

  ready(): boolean {
    return this._state !== State.Pending;
  }

  /** Finished without an error. */
  successful(): boolean {
    return this._state === State.Succeeded;
  }

  /** The task's return value once it succeeded. */
  get value(): T | undefined {
    return this._state === State.Succeeded ? (this._value as T) : undefined;
  }

  /** The error the task raised, once it failed. */
  get exception(): unknown {
    return this._state === State.Failed ? this._value : undefined;
  }

  /** The value, or raises the task's error; unfinished: blocks, or raises Timeout. */
  get(options: ResultGetOptions = {}): Task<T> {
    validateObject('options', options);
    const { block = true, timeout } = options;
    validateBoolean('options.block', block);
    validateTimeoutArg('options.timeout', timeout);
    if (this._state === State.Succeeded) return completed(this._value as T);
    return getTask(this, block, timeout) as Task<T>;
  }

  /** Waits until finished (or `timeout`); returns the value, or undefined after a failure or timeout. */
  wait(timeout?: TimeoutArg): Task<T | undefined> {
    validateTimeoutArg('timeout', timeout);
    if (this._state !== State.Pending) return completed(this.value);
    return waitTask(this, timeout) as Task<T | undefined>;
  }

  override toString(): string {
    const state = ['pending', 'successful', 'failed'][this._state];
    return `<ThreadResult ${state}>`;
  }

  /** @internal How a greenlet blocked on it is described. */
  _describeWait(): string {
    return 'a thread pool task';
  }

  /** @internal The pool delivers the outcome (once). */
  _settle(ok: boolean, value: unknown): void {
    if (this._state !== State.Pending) return;
    this._state = ok ? State.Succeeded : State.Failed;
    this._value = value;
    this._scheduleNotify();
  }
}

const getTask = awaitable(function* get(result: ThreadResult, block: boolean, timeout: TimeoutArg): Operation<unknown> {
  if (!result.ready()) {
    if (!block) throw new Timeout(null, undefined, { describe: 'get(block: false) on an unfinished thread pool task' });
    if (!(yield* waitOn(result, timeout, 'ThreadResult.get()'))) {
      throw typeof timeout === 'object' && timeout !== null ? timeout : new Timeout(typeof timeout === 'number' ? timeout : null);
    }
  }
  if (!result.successful()) throw result.exception;
  return result.value;
});

const waitTask = awaitable(function* wait(result: ThreadResult, timeout: TimeoutArg): Operation<unknown> {
  if (!result.ready()) yield* waitOn(result, timeout, 'ThreadResult.wait()');
  return result.value;
});
