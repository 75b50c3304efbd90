// sleep, yieldNow and idle: a greenlet giving way.
import { CheckWatcher, IdleWatcher } from '../loop/phase';
import { TimerWatcher } from '../loop/timer';
import { QueuedTimer } from '../loop/timer-queue';
import { internalWatcher } from '../loop/watcher';
import { invalidArgType, outOfRange } from '../loop/errors';
import { validateBoolean, validateInteger, validateObject } from '../loop/validate';
import { READY, type Greenlet } from './greenlet';
import { getHub } from './hub';
import { SUSPEND, type Operation, type Suspend, type Task } from './operation';
import { awaitable, awaitOperation } from './task';

export interface SleepOptions {
  /** false: this sleep does not keep the process (or wait()) alive. */
  ref?: boolean;
}

// What a sleep's iterator answers: shared, since `yield*` only reads them.
const SUSPENDED: IteratorResult<Suspend, void> = Object.freeze({ done: false, value: SUSPEND });
const DONE: IteratorResult<Suspend, void> = Object.freeze({ done: true, value: undefined });

const enum SleepState {
  Fresh,
  Waiting,
  Done,
}

/**
 * sleep(0): its own iterator (no generator, no level of `yield*` per
 * resume), and two fields where a sleep with a timer needs ten.
 */
class Yield implements Task<void>, Iterator<Suspend, void, unknown> {
  private _started = false;

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<Suspend, void> {
    if (this._started) return DONE;
    this._started = true;
    const hub = getHub();
    const greenlet = hub._currentGreenlet('sleep()');
    // Back of the ready queue: runs again in this same drain of the queue,
    // after everything already waiting (gevent's sleep(0)).
    greenlet._waitingOn = READY;
    hub.loop._schedule(greenlet);
    return SUSPENDED;
  }

  throw(error?: unknown): IteratorResult<Suspend, void> {
    this._started = true;
    throw error;
  }

  return(value?: unknown): IteratorResult<Suspend, void> {
    this._started = true;
    return { done: true, value: value as undefined };
  }

  then<R1 = void, R2 = never>(
    onfulfilled?: ((value: void) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return awaitOperation(this, onfulfilled, onrejected);
  }
}

/**
 * sleep(seconds > 0): the operation (its own iterator, as `yield*` drives
 * it) and the greenlet's entry in the loop's timer queue, which is also
 * what the greenlet waits on (dump() and LoopExit describe it). One object
 * per sleep, where a generator would add its own and a level of `yield*`
 * to every resume.
 */
class Sleep extends QueuedTimer implements Task<void>, Iterator<Suspend, void, unknown> {
  private _state = SleepState.Fresh;
  private _greenlet: Greenlet | null = null;

  constructor(
    private readonly _seconds: number,
    ref: boolean,
  ) {
    super();
    this._ref = ref;
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<Suspend, void> {
    if (this._state !== SleepState.Fresh) {
      // Resumed: the time came (or a wake-up we did not arm: leave no entry).
      this._finish();
      return DONE;
    }
    this._state = SleepState.Waiting;
    const hub = getHub();
    const greenlet = hub._currentGreenlet('sleep()');
    this._greenlet = greenlet;
    hub.loop._timerQueue.add(this, this._seconds, this._ref);
    greenlet._waitingOn = this;
    return SUSPENDED;
  }

  // A kill or a Timeout thrown in while it sleeps: the entry goes now.
  throw(error?: unknown): IteratorResult<Suspend, void> {
    this._finish();
    throw error;
  }

  return(value?: unknown): IteratorResult<Suspend, void> {
    this._finish();
    return { done: true, value: value as undefined };
  }

  then<R1 = void, R2 = never>(
    onfulfilled?: ((value: void) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return awaitOperation(this, onfulfilled, onrejected);
  }

  /** @internal The queue's call: wake the sleeper. */
  _expire(): void {
    const greenlet = this._greenlet as Greenlet;
    if (greenlet._waitingOn === this) greenlet._resume(false, undefined);
  }

  /** @internal */
  _describeWait(): string {
    // "a timer watcher": the queue's, and what dump() said before the queue.
    return `a timer watcher (sleep(${this._seconds}))`;
  }

  private _finish(): void {
    this._state = SleepState.Done;
    this._greenlet = null;
    this.cancel();
  }
}

/**
 * Blocks the current greenlet for `seconds`. sleep(0) lets every other
 * ready greenlet run first but does not wait for timers or I/O (they run
 * when the hub's switch interval is used up); use yieldNow() for that.
 */
export function sleep(seconds = 0, options?: SleepOptions): Task<void> {
  if (typeof seconds !== 'number') throw invalidArgType('seconds', 'of type number', seconds);
  if (!Number.isFinite(seconds) || seconds < 0) throw outOfRange('seconds', 'a finite number >= 0', seconds);
  let ref = true;
  // No default `{}`: one allocation less per sleep.
  if (options !== undefined) {
    validateObject('options', options);
    const given: unknown = options.ref ?? true;
    validateBoolean('options.ref', given);
    ref = given;
  }
  return seconds === 0 ? new Yield() : new Sleep(seconds, ref);
}

const noop = (): void => {};

const yieldNowTask = awaitable(function* yieldNow(): Operation<void> {
  const hub = getHub();
  const loop = hub.loop;
  const greenlet = hub._currentGreenlet('yieldNow()');
  // First until the loop has polled for I/O: a check watcher fires after
  // the next poll. The idle watcher keeps that poll from blocking; a wake-up
  // request alone can be used up by a flush that comes before the poll.
  const check = internalWatcher(() => new CheckWatcher(loop));
  const keepPolling = internalWatcher(() => new IdleWatcher(loop));
  let timer: TimerWatcher | null = null;
  try {
    keepPolling.start(noop);
    check._startFor(greenlet);
    greenlet._waitingOn = check;
    yield SUSPEND;
    keepPolling.close();
    check.close();
    // Then until every timer due by now has run: timers fire in deadline
    // order, so a 0 s timer armed at the refreshed time comes after them.
    loop.updateNow();
    timer = internalWatcher(() => new TimerWatcher(loop, 0, 0));
    timer._startFor(greenlet);
    greenlet._waitingOn = timer;
    yield SUSPEND;
  } finally {
    keepPolling.close();
    check.close();
    timer?.close();
  }
});

/**
 * Gives way until the loop has polled for I/O once and run every timer
 * that is due, then resumes: unlike sleep(0), due timers and ready I/O
 * always get their turn before this greenlet runs again.
 */
export function yieldNow(): Task<void> {
  return yieldNowTask();
}

const idleTask = awaitable(function* idle(priority: number): Operation<void> {
  const hub = getHub();
  const greenlet = hub._currentGreenlet('idle()');
  const watcher = internalWatcher(() => new IdleWatcher(hub.loop));
  if (priority !== 0) watcher.priority = priority;
  watcher._startFor(greenlet);
  greenlet._waitingOn = watcher;
  try {
    yield SUSPEND;
  } finally {
    watcher.close();
  }
});

/** Blocks until the loop is idle: every ready greenlet has run. */
export function idle(priority = 0): Task<void> {
  validateInteger('priority', priority, -2, 2);
  return idleTask(priority);
}
