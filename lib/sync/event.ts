// Event: a flag greenlets wait on (gevent.event.Event). set() wakes every
// waiter through the hub's queue, in the order they waited; each gets true
// even if the flag was cleared again before it ran.
import type { Greenlet } from '../core/greenlet';
import type { TimeoutArg } from '../core/linkable';
import type { Suspend, Task } from '../core/operation';
import { validateTimeoutArg } from '../core/timeout';
import { Notifier } from './notifier';
import { armTimer, disarm, DONE_TRUE, Leaf, ownsTimeout, PARKED, RESULT_FALSE, RESULT_TRUE, type Armed } from './park';

export class Event extends Notifier {
  private _flag = false;
  // The leaf every wait() without a timeout shares (made on the first).
  private _waitLeaf: EventWaitAny | null = null;

  /** Whether the flag is set. */
  isSet(): boolean {
    return this._flag;
  }

  /** Same as isSet(): waiting would return at once. */
  ready(): boolean {
    return this._flag;
  }

  /**
   * Sets the flag. The waiters are not run here: they resume from the
   * hub's queue at the next switch, in the order they started waiting.
   */
  set(): void {
    this._flag = true;
    this._scheduleNotify();
  }

  /** Resets the flag; waiters already woken by set() still get true. */
  clear(): void {
    this._flag = false;
  }

  /**
   * Waits until the flag is set; returns true, or false when `timeout`
   * (seconds, or a Timeout of its own) passes first. An outer Timeout
   * propagates. On a set event it returns true at once, except while a
   * set() is still waking earlier waiters: then it waits its turn behind
   * them (gevent #1520), within the same turn of the hub.
   */
  wait(timeout?: TimeoutArg): Task<boolean> {
    if (timeout !== undefined) validateTimeoutArg('timeout', timeout);
    if (this._flag && !this._notifying) return DONE_TRUE;
    if (timeout === undefined || timeout === null) return (this._waitLeaf ??= new EventWaitAny(this));
    return new EventWait(this, timeout);
  }

  /**
   * @internal Everyone linked when a pass starts is notified, set or not:
   * they were there when the flag was set.
   */
  override _keepNotifying(): boolean {
    return this._budgetLeft();
  }

  /** @internal */
  _describeWait(): string {
    return 'an Event';
  }

  override toString(): string {
    return `<Event ${this._flag ? 'set' : 'clear'}, ${this.linkcount()} waiting>`;
  }
}

/**
 * Event.wait() with no timeout, when it has to park: one leaf per event,
 * shared by all its waiters, since a fan-out parks thousands of greenlets
 * on one event at once. It keeps no state: the greenlet is the running one,
 * and the hub resumes a waiter with the event itself as the value.
 */
class EventWaitAny extends Leaf<boolean> {
  constructor(private readonly _event: Event) {
    super();
  }

  next(value?: unknown): IteratorResult<Suspend, boolean> {
    const event = this._event;
    // Notified: the pass unlinked us before waking us.
    if (value === event) return RESULT_TRUE;
    const greenlet = event.hub._currentGreenlet('Event.wait()');
    if (event._removeLink(greenlet)) {
      // Still linked: driven again by hand (not by the hub), as EventWait
      // answers that: not notified.
      return RESULT_FALSE;
    }
    event._addLink(greenlet);
    greenlet._waitingOn = event;
    return PARKED;
  }

  throw(error: unknown): IteratorResult<Suspend, boolean> {
    this._unlinkRunning();
    throw error;
  }

  return(value?: unknown): IteratorResult<Suspend, boolean> {
    this._unlinkRunning();
    return { done: true, value: value as boolean };
  }

  private _unlinkRunning(): void {
    const greenlet = this._event.hub._running;
    if (greenlet !== null) this._event._removeLink(greenlet);
  }
}

/**
 * Event.wait(timeout) when it has to park: a hand-written leaf (see Leaf),
 * holding the greenlet and its timer.
 */
class EventWait extends Leaf<boolean> {
  private _greenlet: Greenlet | null = null;
  private _armed: Armed = null;

  constructor(
    private readonly _event: Event,
    private readonly _timeout: TimeoutArg,
  ) {
    super();
  }

  next(value?: unknown): IteratorResult<Suspend, boolean> {
    const event = this._event;
    if (this._greenlet === null) {
      const greenlet = event.hub._currentGreenlet('Event.wait()');
      this._armed = armTimer(event.hub, greenlet, this._timeout);
      event._addLink(greenlet);
      greenlet._waitingOn = event;
      this._greenlet = greenlet;
      return PARKED;
    }
    // Notified: the pass unlinked us before waking us. Else our timer.
    const notified = value === event;
    this._finish(!notified);
    return notified ? RESULT_TRUE : RESULT_FALSE;
  }

  throw(error: unknown): IteratorResult<Suspend, boolean> {
    this._finish(true);
    if (ownsTimeout(this._timeout, error)) return RESULT_FALSE;
    throw error;
  }

  return(value?: unknown): IteratorResult<Suspend, boolean> {
    this._finish(true);
    return { done: true, value: value as boolean };
  }

  private _finish(unlink: boolean): void {
    if (unlink && this._greenlet !== null) this._event._removeLink(this._greenlet);
    this._greenlet = null;
    if (this._armed !== null) {
      disarm(this._armed);
      this._armed = null;
    }
  }
}
