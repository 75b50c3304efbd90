// sleep, yieldNow and idle: a greenlet giving way.
import { CheckWatcher, IdleWatcher } from '../loop/phase';
import { TimerWatcher } from '../loop/timer';
import { internalWatcher } from '../loop/watcher';
import { invalidArgType, outOfRange } from '../loop/errors';
import { validateBoolean, validateInteger, validateObject } from '../loop/validate';
import { READY } from './greenlet';
import { getHub } from './hub';
import { SUSPEND, type Operation, type Task } from './operation';
import { awaitable } from './task';

export interface SleepOptions {
  /** false: this sleep does not keep the process (or wait()) alive. */
  ref?: boolean;
}

const sleepTask = awaitable(function* sleep(seconds: number, ref: boolean): Operation<void> {
  const hub = getHub();
  const greenlet = hub._currentGreenlet('sleep()');
  if (seconds === 0) {
    // Back of the ready queue: runs again in this same drain of the queue,
    // after everything already waiting (gevent's sleep(0)).
    greenlet._waitingOn = READY;
    hub.loop._schedule(greenlet);
    yield SUSPEND;
    return;
  }
  const timer = internalWatcher(() => new TimerWatcher(hub.loop, seconds, 0));
  if (!ref) timer.ref = false;
  timer._startFor(greenlet);
  greenlet._waitingOn = timer;
  try {
    yield SUSPEND;
  } finally {
    timer.close();
  }
});

/**
 * Blocks the current greenlet for `seconds`. sleep(0) lets every other
 * ready greenlet run first but does not wait for timers or I/O (they run
 * when the hub's switch interval is used up); use yieldNow() for that.
 */
export function sleep(seconds = 0, options: SleepOptions = {}): Task<void> {
  if (typeof seconds !== 'number') throw invalidArgType('seconds', 'of type number', seconds);
  if (!Number.isFinite(seconds) || seconds < 0) throw outOfRange('seconds', 'a finite number >= 0', seconds);
  validateObject('options', options);
  const ref = options.ref ?? true;
  validateBoolean('options.ref', ref);
  return sleepTask(seconds, ref);
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
