// Semaphore, BoundedSemaphore, DummySemaphore (gevent.lock). A counter of
// units; acquire() takes one, waiting in FIFO order while none is free;
// release() gives one back. Blocking acquirers are served strictly in the
// order they came: one that arrives while others wait queues behind them
// even if a unit was just released (no barging), so the lock is fair
// (gevent #1487). A non-blocking acquire() takes a free unit if any.
import { validateInteger, validateObject } from '../loop/validate';
import type { Greenlet, GreenletResult, ResultOf } from '../core/greenlet';
import type { TimeoutArg } from '../core/linkable';
import { SUSPEND, type Operation, type Suspend, type Task } from '../core/operation';
import { awaitable } from '../core/task';
import { Timeout, validateTimeoutArg } from '../core/timeout';
import { OverReleaseError } from './errors';
import { Notifier } from './notifier';
import {
  armTimer,
  disarm,
  DONE_TRUE,
  Leaf,
  ownsTimeout,
  PARKED,
  Ready,
  RESULT_FALSE,
  RESULT_TRUE,
  runResult,
  validateBlockOptions,
  validateBody,
  type AcquireOptions,
  type Armed,
} from './park';

/** Options of hold(). */
export interface HoldOptions {
  /** Seconds (or a Timeout) to wait for the lock at most; then Timeout is raised. */
  timeout?: TimeoutArg;
}

/** Anything hold() can scope: acquired before the body, released after it. */
export interface Holdable {
  acquire(options?: AcquireOptions): Task<boolean>;
  release(): unknown;
}

export class Semaphore extends Notifier implements Holdable {
  /** @internal Free units. */
  _counter: number;
  /** @internal Greenlets parked in a blocking acquire(): a newcomer queues behind them. */
  _acquirers = 0;

  constructor(value = 1) {
    super();
    validateInteger('value', value, 0, Number.MAX_SAFE_INTEGER);
    this._counter = value;
  }

  /** Free units. */
  get counter(): number {
    return this._counter;
  }

  /** No unit is free: acquire() would block. */
  locked(): boolean {
    return this._counter <= 0;
  }

  /** A unit is free (what wait(), iwait() and rawlink() wait for). */
  ready(): boolean {
    return this._counter > 0;
  }

  /**
   * Takes a unit; waits for one (FIFO) while none is free. Returns true,
   * or false without blocking (`blocking: false`) or when `timeout` passes
   * (a Timeout given as `timeout` counts as its own). An outer Timeout or a
   * kill propagates and leaves nothing behind.
   */
  acquire(options?: AcquireOptions): Task<boolean> {
    let blocking = true;
    let timeout: TimeoutArg;
    if (options !== undefined) {
      blocking = validateBlockOptions(options, 'blocking');
      timeout = options.timeout;
    }
    return new Acquire(this, blocking, timeout);
  }

  /** Gives a unit back and returns the new counter; waiters resume through the hub's queue. */
  release(): number {
    this._counter++;
    this._scheduleNotify();
    return this._counter;
  }

  /**
   * Waits until a unit is free, without taking it; returns the counter
   * (0 when `timeout` passed first).
   */
  wait(timeout?: TimeoutArg): Task<number> {
    if (timeout !== undefined) validateTimeoutArg('timeout', timeout);
    if (this._counter > 0) return new Ready(this._counter);
    return waitTask(this, timeout);
  }

  /**
   * Runs `body` holding a unit: acquire() before, release() in `finally`,
   * so a body that throws or a greenlet killed inside it always gives the
   * unit back. `body` may be a generator function (run as an operation),
   * return a promise, or return a value. With `timeout`, a wait for the
   * unit that lasts longer raises Timeout and the body does not run.
   */
  hold<R extends GreenletResult>(body: () => R, options?: HoldOptions): Task<ResultOf<R>> {
    return holdOn(this, body, options);
  }

  /** @internal */
  _describeWait(): string {
    return `a ${this.constructor.name} (counter ${this._counter}, ${this._acquirers} acquiring)`;
  }

  override toString(): string {
    return `<${this.constructor.name} counter=${this._counter} waiters=${this.linkcount()}>`;
  }
}

/** A Semaphore whose release() raises OverReleaseError beyond its initial value. */
export class BoundedSemaphore extends Semaphore {
  /** The initial value: the most units there can be. */
  readonly bound: number;

  constructor(value = 1) {
    super(value);
    this.bound = value;
  }

  override release(): number {
    if (this._counter >= this.bound) throw new OverReleaseError();
    return super.release();
  }
}

/**
 * A semaphore that never blocks (gevent's DummySemaphore): what an
 * unbounded Pool uses. acquire() returns true, wait() returns 1.
 */
export class DummySemaphore extends Notifier implements Holdable {
  ready(): boolean {
    return true;
  }

  locked(): boolean {
    return false;
  }

  get counter(): number {
    return 1;
  }

  acquire(options?: AcquireOptions): Task<boolean> {
    if (options !== undefined) validateBlockOptions(options, 'blocking');
    return DONE_TRUE;
  }

  release(): number {
    return 1;
  }

  wait(timeout?: TimeoutArg): Task<number> {
    if (timeout !== undefined) validateTimeoutArg('timeout', timeout);
    return new Ready(1);
  }

  hold<R extends GreenletResult>(body: () => R, options?: HoldOptions): Task<ResultOf<R>> {
    return holdOn(this, body, options);
  }
}

/**
 * @internal acquire() as a hand-written leaf (see Leaf): it takes a free
 * unit when run, or parks in the FIFO until a notification pass reaches it
 * with a unit free. Nothing happens until it is run.
 */
export class Acquire extends Leaf<boolean> {
  private _greenlet: Greenlet | null = null;
  private _armed: Armed = null;

  constructor(
    private readonly _sem: Semaphore,
    private readonly _blocking: boolean,
    private readonly _timeout: TimeoutArg,
  ) {
    super();
  }

  next(value?: unknown): IteratorResult<Suspend, boolean> {
    const sem = this._sem;
    let greenlet = this._greenlet;
    if (greenlet === null) {
      // A free unit is ours unless earlier acquirers wait for it (FIFO); a
      // non-blocking call takes any free unit.
      if (sem._counter > sem._acquirers || (!this._blocking && sem._counter > 0)) {
        sem._counter--;
        return RESULT_TRUE;
      }
      if (!this._blocking) return RESULT_FALSE;
      greenlet = sem.hub._currentGreenlet('Semaphore.acquire()');
      this._armed = armTimer(sem.hub, greenlet, this._timeout);
      this._greenlet = greenlet;
      sem._acquirers++;
    } else if (value !== sem) {
      // Our timer.
      this._finish();
      return RESULT_FALSE;
    } else if (sem._counter > 0) {
      sem._counter--;
      this._finish();
      return RESULT_TRUE;
    }
    // A unit may be free with earlier acquirers still to be served:
    // _addLink then queues a notification, which reaches us after them.
    sem._addLink(greenlet);
    greenlet._waitingOn = sem;
    return PARKED;
  }

  throw(error: unknown): IteratorResult<Suspend, boolean> {
    this._finish();
    if (ownsTimeout(this._timeout, error)) return RESULT_FALSE;
    throw error;
  }

  return(value?: unknown): IteratorResult<Suspend, boolean> {
    this._finish();
    return { done: true, value: value as boolean };
  }

  private _finish(): void {
    const greenlet = this._greenlet;
    if (greenlet === null) return;
    this._greenlet = null;
    this._sem._acquirers--;
    this._sem._removeLink(greenlet);
    disarm(this._armed);
    this._armed = null;
  }
}

const waitTask = awaitable(function* wait(sem: Semaphore, timeout: TimeoutArg): Operation<number> {
  const greenlet = sem.hub._currentGreenlet('Semaphore.wait()');
  const armed = armTimer(sem.hub, greenlet, timeout);
  sem._addLink(greenlet);
  greenlet._waitingOn = sem;
  try {
    yield SUSPEND;
  } catch (error) {
    if (!ownsTimeout(timeout, error)) throw error;
  } finally {
    sem._removeLink(greenlet);
    disarm(armed);
  }
  return sem._counter;
});

/** @internal hold() for anything with acquire() and release(). */
export function holdOn<R extends GreenletResult>(lock: Holdable, body: () => R, options?: HoldOptions): Task<ResultOf<R>> {
  validateBody('body', body);
  let timeout: TimeoutArg;
  if (options !== undefined) {
    validateObject('options', options);
    validateTimeoutArg('options.timeout', options.timeout);
    timeout = options.timeout;
  }
  return holdTask(lock, body, timeout) as Task<ResultOf<R>>;
}

const holdTask = awaitable(function* hold(lock: Holdable, body: () => GreenletResult, timeout: TimeoutArg): Operation<unknown> {
  // The wait for the lock runs under a Timeout, which raises itself (or
  // the error it carries) as get() does; the body does not.
  let started: Timeout | null = null;
  if (typeof timeout === 'number') {
    const describe = `${lock.constructor.name}.hold() timed out after ${timeout} seconds`;
    started = new Timeout(timeout, undefined, { describe }).start();
  }
  else if (timeout instanceof Timeout && !timeout.pending) started = timeout.start();
  try {
    yield* lock.acquire();
  } finally {
    if (started !== null) {
      if (typeof timeout === 'number') started.close();
      else started.cancel();
    }
  }
  try {
    return yield* runResult(body());
  } finally {
    lock.release();
  }
});
