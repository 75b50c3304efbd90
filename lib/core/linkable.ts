// The one waiting mechanism every primitive shares (gevent's
// AbstractLinkable): a FIFO of links, notified through the hub's callback
// queue, with greenlets parked on it as waiters. Greenlet, Event,
// AsyncResult, Semaphore and the queues all build on it.
import type { Runnable } from '../loop/callback';
import { TimerWatcher } from '../loop/timer';
import { invalidArgType } from '../loop/errors';
import { getHub, type Hub } from './hub';
import { SUSPEND, type Operation } from './operation';
import type { Timeout } from './timeout';

/** @internal What a link is: a callback, or an object greenhub notifies (a waiting greenlet). */
export interface LinkTarget {
  _fireLink(source: Linkable): void;
  /** The user callback this target stands for, so unlink(callback) finds it. */
  readonly _callback?: unknown;
}

type Link = LinkTarget | ((source: never) => unknown);

export abstract class Linkable {
  /** @internal */ _links: Set<Link> | null = null;
  private _notifier: Runnable | null = null;
  private _notifyQueued = false;
  private _hubRef: Hub | null = null;

  /** The hub this object belongs to: the one of the thread that made it. */
  get hub(): Hub {
    return (this._hubRef ??= getHub());
  }

  /** Whether waiting on this object would return at once. */
  abstract ready(): boolean;

  /**
   * Calls `callback(this)` from the hub when this object becomes ready (at
   * once on the next callback batch if it is ready already). The callback
   * runs in the hub: it must not block, and its errors are reported.
   */
  rawlink(callback: (source: this) => unknown): void {
    if (typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
    this._addLink(callback as Link);
  }

  /** Removes a link added with rawlink() (or link() on a greenlet). */
  unlink(callback: unknown): void {
    const links = this._links;
    if (links === null || callback === null || callback === undefined) return;
    if (links.delete(callback as Link)) return;
    for (const link of links) {
      if (typeof link === 'object' && link._callback === callback) {
        links.delete(link);
        return;
      }
    }
  }

  /** How many links are waiting for this object. */
  linkcount(): number {
    return this._links?.size ?? 0;
  }

  /** @internal */
  _addLink(link: Link): void {
    (this._links ??= new Set()).add(link);
    if (this.ready()) this._scheduleNotify();
  }

  /** @internal Queues a notification of the links (once until it runs). */
  _scheduleNotify(): void {
    if (this._notifyQueued || this._links === null || this._links.size === 0) return;
    this._notifyQueued = true;
    this._notifier ??= { _runQueued: () => this._notifyLinks() };
    this.hub.loop._schedule(this._notifier);
  }

  /**
   * @internal Whether to go on notifying: by default while ready; Event
   * notifies everyone who waited when it was set, Semaphore only while a
   * unit is left.
   */
  _keepNotifying(): boolean {
    return this.ready();
  }

  private _notifyLinks(): void {
    this._notifyQueued = false;
    const links = this._links;
    if (links === null) return;
    // Links added while notifying are visited too (Set iteration sees
    // them), after the ones already waiting: FIFO.
    for (const link of links) {
      if (!this._keepNotifying()) break;
      links.delete(link);
      try {
        if (typeof link === 'function') (link as (source: this) => unknown)(this);
        else link._fireLink(this);
      } catch (error) {
        this.hub.handleError(this, error);
      }
    }
  }
}

/** A timeout argument: seconds, a Timeout to start, or none. */
export type TimeoutArg = number | Timeout | null | undefined;

/**
 * @internal Parks the current greenlet on `source` until a notification
 * (true) or until `timeout` seconds pass (false). A Timeout instance as
 * `timeout` is started and raises itself. An outer Timeout or a kill
 * propagates; the waiter never stays linked.
 */
export function* waitOn(source: Linkable, timeout: TimeoutArg, what: string): Operation<boolean> {
  const hub = source.hub;
  const greenlet = hub._currentGreenlet(what);
  let timer: TimerWatcher | null = null;
  let startedTimeout: Timeout | null = null;
  if (typeof timeout === 'number') {
    timer = new TimerWatcher(hub.loop, timeout, 0);
    timer._startFor(greenlet);
  } else if (timeout !== null && timeout !== undefined && !timeout.pending) {
    startedTimeout = timeout.start();
  }
  const links = (source._links ??= new Set());
  links.add(greenlet);
  if (source.ready()) source._scheduleNotify();
  greenlet._waitingOn = source;
  try {
    const wokenBy: unknown = yield SUSPEND;
    return wokenBy === source;
  } finally {
    links.delete(greenlet);
    if (timer !== null) timer.close();
    if (startedTimeout !== null) startedTimeout.cancel();
  }
}
