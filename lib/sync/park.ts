// Small pieces every blocking operation of lib/sync shares: the tasks
// fast paths return, the hand-written leaf base, and the timer handling,
// kept in plain functions so each blocking call stays one `yield*` level.
import { TimerWatcher } from '../loop/timer';
import { internalWatcher } from '../loop/watcher';
import { invalidArgType } from '../loop/errors';
import { validateBoolean, validateObject } from '../loop/validate';
import type { Greenlet, GreenletResult, ResultOf } from '../core/greenlet';
import type { Hub } from '../core/hub';
import type { TimeoutArg } from '../core/linkable';
import { isIterator, isThenable, SUSPEND, type Operation, type Suspend, type Task } from '../core/operation';
import { awaitOperation } from '../core/task';
import { Timeout, validateTimeoutArg } from '../core/timeout';
import { until } from '../core/until';

/**
 * @internal A result known at once, as a task: its own iterator, done on
 * the first next(). Fast paths (an item is there, a unit is free) return
 * one: `yield*` over it costs ~30 ns, where core's completed() builds an
 * iterator and closures each time (~15x that). Stateless, so one
 * instance can be shared and run any number of times.
 */
export class Ready<T> implements Task<T>, Iterator<Suspend, T, unknown>, IteratorReturnResult<T> {
  // It is its own iterator result too: one allocation per fast call.
  readonly done = true;

  constructor(readonly value: T) {}

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorReturnResult<T> {
    return this;
  }

  // throw() and return() make it an iterator to core too (isIterator), so
  // a greenlet whose body returns one is driven at once, not awaited.
  throw(error: unknown): never {
    throw error;
  }

  return(): IteratorReturnResult<T> {
    return this;
  }

  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return Promise.resolve(this.value).then(onfulfilled, onrejected);
  }
}

/** @internal */
export const DONE = new Ready<void>(undefined);
/** @internal */
export const DONE_TRUE = new Ready(true);
/** @internal */
export const DONE_FALSE = new Ready(false);

/**
 * @internal Iterator results the hand-written leaves return. `yield*` only
 * reads them, so they are shared: no allocation per park or wake.
 */
export const PARKED: IteratorYieldResult<Suspend> = Object.freeze({ done: false, value: SUSPEND });
/** @internal */
export const RESULT_TRUE: IteratorReturnResult<boolean> = Object.freeze({ done: true, value: true });
/** @internal */
export const RESULT_FALSE: IteratorReturnResult<boolean> = Object.freeze({ done: true, value: false });
/** @internal */
export const RESULT_VOID: IteratorReturnResult<void> = Object.freeze({ done: true, value: undefined });

/**
 * @internal A blocking call written as an iterator by hand: the leaf a
 * greenlet `yield*`s, one object smaller than a generator and quicker to
 * resume, for the calls where many greenlets park at once (Event.wait).
 * Subclasses implement the protocol: next() parks on the first call and
 * finishes on the second, throw() and return() clean up.
 */
export abstract class Leaf<T> implements Task<T>, Iterator<Suspend, T, unknown> {
  [Symbol.iterator](): this {
    return this;
  }

  abstract next(value?: unknown): IteratorResult<Suspend, T>;
  abstract throw(error: unknown): IteratorResult<Suspend, T>;
  abstract return(value?: unknown): IteratorResult<Suspend, T>;

  /** From async code: runs the call in a new greenlet (as awaitable() does). */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return awaitOperation(this, onfulfilled, onrejected);
  }
}

/** @internal What armTimer() started: an internal timer, a Timeout we started, or nothing. */
export type Armed = TimerWatcher | Timeout | null;

/**
 * @internal Starts the deadline of a blocking call for `greenlet`: seconds
 * become an internal timer whose expiry resumes the greenlet with the timer
 * itself as the value; a Timeout that is not pending is started (it raises
 * itself). A pending Timeout belongs to someone else and is left alone.
 */
export function armTimer(hub: Hub, greenlet: Greenlet, timeout: TimeoutArg): Armed {
  if (typeof timeout === 'number') {
    const timer = internalWatcher(() => new TimerWatcher(hub.loop, timeout, 0));
    timer._startFor(greenlet);
    return timer;
  }
  if (timeout instanceof Timeout && !timeout.pending) return timeout.start();
  return null;
}

/** @internal Stops what armTimer() started. */
export function disarm(armed: Armed): void {
  if (armed === null) return;
  if (armed instanceof Timeout) armed.cancel();
  else armed.close();
}

/**
 * @internal For the waits that return false on their own timeout
 * (gevent's wait(), acquire(), join()): a Timeout passed as the timeout is
 * theirs too, so its expiry is swallowed. Anything else propagates.
 */
export function ownsTimeout(timeout: TimeoutArg, error: unknown): boolean {
  return timeout instanceof Timeout && timeout.owns(error);
}

/** @internal The Timeout a get()-style call raises when its seconds pass. */
export function expired(timeout: TimeoutArg, what: string): Timeout {
  return new Timeout(typeof timeout === 'number' ? timeout : null, undefined, {
    describe: `${what} timed out${typeof timeout === 'number' ? ` after ${timeout} second${timeout === 1 ? '' : 's'}` : ''}`,
  });
}

/** Options of the calls that may block: get, put, peek. */
export interface BlockOptions {
  /** false: return or raise at once instead of waiting (default true). */
  block?: boolean;
  /** Seconds (or a Timeout) to wait at most. */
  timeout?: TimeoutArg;
}

/** Options of acquire() (gevent's and Python's `blocking`). */
export interface AcquireOptions {
  /** false: do not wait; return false if it cannot be had now (default true). */
  blocking?: boolean;
  /** Seconds (or a Timeout) to wait at most; then acquire() returns false. */
  timeout?: TimeoutArg;
}

/** @internal Validates `{ block, timeout }` (or `blocking`); returns block. */
export function validateBlockOptions(options: unknown, key: 'block' | 'blocking'): boolean {
  validateObject('options', options);
  const block = (options as Record<string, unknown>)[key] ?? true;
  validateBoolean(`options.${key}`, block);
  validateTimeoutArg('options.timeout', (options as Record<string, unknown>).timeout);
  return block;
}

/** @internal A function argument. */
export function validateBody(name: string, body: unknown): void {
  if (typeof body !== 'function') throw invalidArgType(name, 'of type function', body);
}

/**
 * @internal Runs what a body returned as an operation: drives an
 * operation, waits for a promise, or returns a plain value.
 */
export function* runResult<R extends GreenletResult>(result: R): Operation<ResultOf<R>> {
  if (isIterator(result)) return (yield* result as unknown as Operation<ResultOf<R>>) as ResultOf<R>;
  if (isThenable(result)) return (yield* until(result)) as ResultOf<R>;
  return result as ResultOf<R>;
}
