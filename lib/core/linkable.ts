// The one waiting mechanism every primitive shares (gevent's
// AbstractLinkable): a FIFO of links, notified through the hub's callback
// queue, with greenlets parked on it as waiters. Greenlet, Event,
// AsyncResult, Semaphore and the queues all build on it.
import type { Runnable } from '../loop/callback';
import { TimerWatcher } from '../loop/timer';
import { internalWatcher } from '../loop/watcher';
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

export abstract class Linkable implements Runnable {
  // The links, FIFO: none, one in _link (the common case: one joiner, one
  // waiter, no Set to allocate), or all of them in _moreLinks.
  private _link: Link | null = null;
  private _moreLinks: Set<Link> | null = null;
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
    if (callback === null || callback === undefined) return;
    if (this._removeLink(callback as Link)) return;
    for (const link of this._linkList()) {
      if (typeof link === 'object' && link._callback === callback) {
        this._removeLink(link);
        return;
      }
    }
  }

  /** How many links are waiting for this object. */
  linkcount(): number {
    return this._moreLinks !== null ? this._moreLinks.size : this._link !== null ? 1 : 0;
  }

  /** @internal Adds a link; a ready object notifies on the next callback batch. */
  _addLink(link: Link): void {
    this._insertLink(link);
    if (this.ready()) this._scheduleNotify();
  }

  /** @internal Adds a link without looking at readiness. */
  _insertLink(link: Link): void {
    if (this._moreLinks !== null) {
      this._moreLinks.add(link);
    } else if (this._link === null) {
      this._link = link;
    } else if (this._link !== link) {
      this._moreLinks = new Set([this._link, link]);
      this._link = null;
    }
  }

  /** @internal */
  _removeLink(link: Link): boolean {
    if (this._moreLinks !== null) return this._moreLinks.delete(link);
    if (this._link !== link) return false;
    this._link = null;
    return true;
  }

  /** @internal */
  _hasLink(link: Link): boolean {
    return this._moreLinks !== null ? this._moreLinks.has(link) : this._link === link;
  }

  private _linkList(): Link[] {
    return this._moreLinks !== null ? [...this._moreLinks] : this._link !== null ? [this._link] : [];
  }

  /** @internal Queues a notification of the links (once until it runs). */
  _scheduleNotify(): void {
    if (this._notifyQueued || (this._link === null && (this._moreLinks === null || this._moreLinks.size === 0))) return;
    this._notifyQueued = true;
    this.hub.loop._schedule(this);
  }

  /** @internal From the callback queue: the notification. */
  _runQueued(): void {
    this._notifyLinks();
  }

  /**
   * @internal Whether to go on notifying: by default while ready; Event
   * notifies everyone who waited when it was set, Semaphore only while a
   * unit is left.
   */
  _keepNotifying(): boolean {
    return this.ready();
  }

  /** @internal Notifies the links in order; each is removed before it is called. */
  _notifyLinks(): void {
    this._notifyQueued = false;
    const single = this._link;
    if (single !== null) {
      if (!this._keepNotifying()) return;
      this._link = null;
      this._fire(single);
      // A link the callback added comes next.
      if (this._link !== null || this._moreLinks !== null) this._notifyLinks();
      return;
    }
    const links = this._moreLinks;
    if (links === null) return;
    // Links added while notifying are visited too (Set iteration sees
    // them), after the ones already waiting: FIFO.
    for (const link of links) {
      if (!this._keepNotifying()) break;
      links.delete(link);
      this._fire(link);
    }
  }

  private _fire(link: Link): void {
    try {
      if (typeof link === 'function') (link as (source: this) => unknown)(this);
      else link._fireLink(this);
    } catch (error) {
      this.hub.handleError(this, error);
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
    timer = internalWatcher(() => new TimerWatcher(hub.loop, timeout, 0));
    timer._startFor(greenlet);
  } else if (timeout !== null && timeout !== undefined && !timeout.pending) {
    startedTimeout = timeout.start();
  }
  source._addLink(greenlet);
  greenlet._waitingOn = source;
  try {
    const wokenBy: unknown = yield SUSPEND;
    return wokenBy === source;
  } catch (error) {
    // A Timeout passed as the wait's own limit ends the wait (gevent's
    // join(timeout=Timeout(...)) returns); any other one goes on up.
    if (error === timeout) return false;
    throw error;
  } finally {
    source._removeLink(greenlet);
    if (timer !== null) timer.close();
    if (startedTimeout !== null) startedTimeout.cancel();
  }
}
