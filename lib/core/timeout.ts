// Timeout: raises an exception in the greenlet that started it, at its
// next blocking point, after `seconds` (gevent.Timeout). JS has no
// BaseException, so `timeout.owns(error)` tells this timeout's exception
// from an outer one's; every waiting API swallows only its own.
import { invalidArgType, outOfRange } from '../loop/errors';
import { QueuedTimer } from '../loop/timer-queue';
import { validateBoolean, validateObject } from '../loop/validate';
import type { Greenlet, GreenletResult, ResultOf } from './greenlet';
import { getHub } from './hub';
import type { TimeoutArg } from './linkable';
import { isIterator, isThenable, type Operation, type Task } from './operation';
import { awaitable } from './task';
import { untilOperation } from './until';

/**
 * What a timeout raises: undefined (the Timeout itself), a string (the
 * Timeout, with the string in its message), false (the Timeout, and
 * Timeout.run() swallows it), an Error class (a new instance) or an Error.
 */
export type TimeoutException = undefined | false | string | Error | (new () => Error);

export interface TimeoutOptions {
  /** false: the pending timer does not keep the process (or the hub) alive. */
  ref?: boolean;
  /** @internal For Timeouts that describe a failed wait rather than a timer. */
  describe?: string;
}

function validateException(exception: unknown): asserts exception is TimeoutException {
  if (exception === undefined || exception === false || typeof exception === 'string') return;
  if (exception instanceof Error) return;
  if (typeof exception === 'function' && (exception === Error || exception.prototype instanceof Error)) return;
  throw invalidArgType('exception', 'undefined, false, a string, an Error class or an Error instance', exception);
}

function validateSecondsOrNull(seconds: unknown): asserts seconds is number | null | undefined {
  if (seconds === null || seconds === undefined) return;
  if (typeof seconds !== 'number') throw invalidArgType('seconds', 'of type number (or null)', seconds);
  if (!Number.isFinite(seconds) || seconds < 0) throw outOfRange('seconds', 'a finite number >= 0', seconds);
}

/** @internal A timeout argument of a waiting API: seconds, a Timeout, or none. */
export function validateTimeoutArg(name: string, value: unknown): asserts value is TimeoutArg {
  if (value === null || value === undefined || value instanceof Timeout) return;
  if (typeof value !== 'number') throw invalidArgType(name, 'a number of seconds, a Timeout or null', value);
  if (!Number.isFinite(value) || value < 0) throw outOfRange(name, 'a finite number >= 0', value);
}

function describeSeconds(seconds: number | null, exception: TimeoutException): string {
  if (seconds === null) return '';
  let text = `${seconds} second${seconds === 1 ? '' : 's'}`;
  if (exception === false) text += ' (silent)';
  else if (typeof exception === 'string') text += `: ${exception}`;
  return text;
}

/** A Timeout's entry in the loop's timer queue (a Timeout is an Error: it cannot be one itself). */
class TimeoutTimer extends QueuedTimer {
  constructor(private readonly _timeout: Timeout) {
    super();
  }

  _expire(): void {
    this._timeout._expired();
  }
}

export class Timeout extends Error implements Disposable {
  readonly seconds: number | null;
  readonly exception: TimeoutException;
  private readonly _ref: boolean;
  // In the loop's timer queue while pending; kept for the next start().
  private _timer: TimeoutTimer | null = null;
  private _closed = false;
  private _target: Greenlet | null = null;
  private _raised: unknown = null;

  /**
   * A timeout of `seconds` (null: never fires). Nothing happens until
   * start(); the timer is made on the current thread's hub.
   */
  constructor(seconds: number | null = null, exception?: TimeoutException, options: TimeoutOptions = {}) {
    validateSecondsOrNull(seconds);
    validateException(exception);
    validateObject('options', options as unknown);
    const ref = options.ref ?? true;
    validateBoolean('options.ref', ref);
    super(options.describe ?? describeSeconds(seconds ?? null, exception));
    this.name = 'Timeout';
    this.seconds = seconds ?? null;
    this.exception = exception;
    this._ref = ref;
  }

  /**
   * A started timeout: `timeout` may be seconds (a new Timeout) or a
   * Timeout (started if it is not pending).
   */
  static startNew(timeout: number | Timeout | null = null, exception?: TimeoutException, options?: TimeoutOptions): Timeout {
    if (timeout instanceof Timeout) {
      if (!timeout.pending) timeout.start();
      return timeout;
    }
    return new Timeout(timeout, exception, options).start();
  }

  /** The timer is armed and has not fired. */
  get pending(): boolean {
    return this._timer !== null && this._timer.queued;
  }

  /**
   * Arms the timer for the current greenlet: when it fires, the exception
   * is raised in that greenlet at its blocking point. Raises if pending.
   */
  start(): this {
    if (this.pending) {
      throw Object.assign(new Error('Timeout is already pending; cancel() it before starting it again'), {
        code: 'ERR_INVALID_STATE',
      });
    }
    if (this._closed) {
      // gevent: a closed timeout cannot be started again.
      throw Object.assign(new Error('Timeout is closed; make a new one'), { code: 'ERR_INVALID_STATE' });
    }
    const hub = getHub();
    this._target = hub._currentGreenlet('Timeout.start()');
    this._raised = null;
    if (this.seconds === null) return this;
    // An entry in the loop's timer queue rather than a native timer: no
    // call into the addon but a clock read per start.
    this._timer ??= new TimeoutTimer(this);
    hub.loop._timerQueue.add(this._timer, this.seconds, this._ref);
    return this;
  }

  /** Disarms the timer; start() may arm it again. */
  cancel(): void {
    this._timer?.cancel();
  }

  /** Disarms and frees the timer; it cannot start again (gevent). */
  close(): void {
    this._timer?.cancel();
    this._timer = null;
    this._closed = true;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Whether `error` is what this timeout raised: tell your own timeout
   * from an outer one, and rethrow the others.
   */
  owns(error: unknown): boolean {
    return error === this || (this._raised !== null && error === this._raised);
  }

  /**
   * Runs `body` with this timeout started and always closes it after (no
   * timer can outlive the scope). With exception false, its own expiry is
   * swallowed and the result is undefined.
   */
  run<R extends GreenletResult>(body: (timeout: Timeout) => R): Task<ResultOf<R> | undefined> {
    if (typeof body !== 'function') throw invalidArgType('body', 'of type function', body);
    return scopeTask(this, body) as Task<ResultOf<R> | undefined>;
  }

  /** @internal The timer fired: raise in the target greenlet. */
  _expired(): void {
    const target = this._target;
    if (target === null || target.dead) return;
    const exception = this.exception;
    const error =
      exception === undefined || exception === false || typeof exception === 'string'
        ? this
        : typeof exception === 'function'
          ? new exception()
          : exception;
    this._raised = error;
    if (target._waitingOn !== null) target._resume(true, error);
    else target._throwLater(error);
  }
}

/** Runs an operation body, a promise or a plain function result as an operation. */
function* runBody<T>(result: Operation<T> | PromiseLike<T> | T): Operation<T> {
  if (isIterator(result)) return yield* result as unknown as Operation<T>;
  if (isThenable(result)) return yield* untilOperation(getHub(), result as PromiseLike<T>);
  return result as T;
}

const scopeTask = awaitable(function* scope<T>(
  timeout: Timeout,
  body: (timeout: Timeout) => Operation<T> | PromiseLike<T> | T,
): Operation<T | undefined> {
  timeout.start();
  try {
    return yield* runBody(body(timeout));
  } catch (error) {
    if (timeout.exception === false && timeout.owns(error)) return undefined;
    throw error;
  } finally {
    timeout.close();
  }
});

export interface WithTimeoutOptions<D> {
  seconds: number;
  /** Returned instead of raising when this timeout expires. */
  timeoutValue: D;
}

const withTimeoutTask = awaitable(function* withTimeout(
  seconds: number,
  hasValue: boolean,
  timeoutValue: unknown,
  fn: (...args: unknown[]) => unknown,
  args: unknown[],
): Operation<unknown> {
  const timeout = new Timeout(seconds).start();
  try {
    return yield* runBody(fn(...args));
  } catch (error) {
    if (hasValue && timeout.owns(error)) return timeoutValue;
    throw error;
  } finally {
    timeout.close();
  }
});

function isTimeoutValueOptions(value: unknown): value is { timeoutValue: unknown } {
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === 'timeoutValue';
}

/**
 * Runs `fn(...args)` under a Timeout of `seconds`. On its own expiry it
 * raises the Timeout, or returns `timeoutValue` when given — as
 * `withTimeout({ seconds, timeoutValue }, fn, ...args)` or as a last
 * argument `{ timeoutValue }` (a plain object with only that key). An
 * outer timeout is never swallowed.
 */
export function withTimeout<R extends GreenletResult, D = never>(
  seconds: number | WithTimeoutOptions<D>,
  fn: (...args: never[]) => R,
  ...args: unknown[]
): Task<ResultOf<R> | D> {
  let hasValue = false;
  let timeoutValue: unknown;
  let secondsValue: unknown = seconds;
  if (seconds !== null && typeof seconds === 'object') {
    hasValue = 'timeoutValue' in seconds;
    timeoutValue = seconds.timeoutValue;
    secondsValue = seconds.seconds;
  } else if (args.length > 0 && isTimeoutValueOptions(args[args.length - 1])) {
    hasValue = true;
    timeoutValue = (args.pop() as { timeoutValue: unknown }).timeoutValue;
  }
  validateSecondsOrNull(secondsValue);
  if (typeof fn !== 'function') throw invalidArgType('fn', 'of type function', fn);
  return withTimeoutTask(
    (secondsValue as number | null) as number,
    hasValue,
    timeoutValue,
    fn as (...args: unknown[]) => unknown,
    args,
  ) as Task<ResultOf<R> | D>;
}
