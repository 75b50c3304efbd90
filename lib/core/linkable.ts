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
  /**
   * Where the target sits in a link queue (-1: in none). Only greenlets
   * carry it: one greenlet waits on one object at a time, so one number
   * is enough to unlink a waiter (a timeout, a kill) without a search.
   */
  _linkTicket?: number;
}

type Link = LinkTarget | ((source: never) => unknown);

/** @internal Linkable's bit of _flags: a notification is queued. */
const NOTIFY_QUEUED = 1;

// A queue shorter than this is never compacted: moving a few links buys nothing.
const COMPACT_MIN = 32;

/**
 * @internal The links of an object once it has more than one: an array
 * read from `head` in FIFO order. A removed link leaves a hole (null) so
 * that the others keep their index, which is their ticket: removing by
 * ticket costs no search. A Set did the same job at ~10x the cost per
 * link (hashing on add, a rehash-prone delete per notification).
 */
class LinkQueue {
  items: (Link | null)[] = [];
  /** Everything before it was consumed. */
  head = 0;
  /** Live links (not holes). */
  count = 0;

  push(link: Link): number {
    // The consumed front is dropped here rather than while a pass takes
    // links: a pass that empties the queue then moves nothing.
    if (this.head >= COMPACT_MIN && this.head * 2 >= this.items.length) this._compact();
    const ticket = this.items.length;
    this.items.push(link);
    this.count++;
    if (typeof link === 'object' && link._linkTicket !== undefined) link._linkTicket = ticket;
    return ticket;
  }

  /** Removes `link`, found by `ticket` if it is right, else by a search. */
  remove(link: Link, ticket: number): boolean {
    const items = this.items;
    let i = ticket;
    if (i < this.head || i >= items.length || items[i] !== link) {
      i = items.indexOf(link, this.head);
      if (i < 0) return false;
    }
    items[i] = null;
    this.count--;
    if (typeof link === 'object' && link._linkTicket !== undefined) link._linkTicket = -1;
    if (i === this.head) this._skipHoles();
    else if (items.length - this.head - this.count > Math.max(COMPACT_MIN, this.count)) this._compact();
    return true;
  }

  /** Takes the first link, or null when none is left. */
  shift(): Link | null {
    const items = this.items;
    const link = items[this.head];
    if (link === null || link === undefined) return null;
    items[this.head++] = null;
    this.count--;
    if (typeof link === 'object' && link._linkTicket !== undefined) link._linkTicket = -1;
    this._skipHoles();
    return link;
  }

  /** The link added last, if it is still there. */
  last(): Link | null {
    return this.items.length > this.head ? this.items[this.items.length - 1] : null;
  }

  live(): Link[] {
    const links: Link[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const link = this.items[i];
      if (link !== null) links.push(link);
    }
    return links;
  }

  private _skipHoles(): void {
    const items = this.items;
    let head = this.head;
    while (head < items.length && items[head] === null) head++;
    this.head = head;
    if (this.count === 0) {
      // Drained: start over at index 0 (no ticket is outstanding).
      items.length = 0;
      this.head = 0;
    }
  }

  // Moves the live links to the front, in order, and gives the greenlets
  // among them their new tickets. A ticket held elsewhere (joinAll's) goes
  // stale and its removal falls back to a search.
  private _compact(): void {
    const items = this.items;
    let n = 0;
    for (let i = this.head; i < items.length; i++) {
      const link = items[i];
      if (link === null) continue;
      if (typeof link === 'object' && link._linkTicket !== undefined) link._linkTicket = n;
      items[n++] = link;
    }
    items.length = n;
    this.head = 0;
  }
}

export abstract class Linkable implements Runnable {
  // The links, FIFO: none, one in _link (the common case: one joiner, one
  // waiter, nothing to allocate), or all of them in _links.
  private _link: Link | null = null;
  private _links: LinkQueue | null = null;
  /**
   * @internal Bits: NOTIFY_QUEUED here; subclasses keep their own flags in
   * the bits above (one field for all, since a greenlet is allocated by
   * the hundred thousand).
   */
  _flags = 0;
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
   * runs in the hub: it must not block, and its errors are reported. A
   * callback already linked is not added twice.
   */
  rawlink(callback: (source: this) => unknown): void {
    if (typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
    // A search, but rawlink is not what thousands of waiters call.
    if (this._link === callback || (this._links !== null && this._links.items.indexOf(callback, this._links.head) >= 0)) return;
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
    return this._links !== null ? this._links.count : this._link !== null ? 1 : 0;
  }

  /**
   * @internal Adds a link (after the others); a ready object notifies on
   * the next callback batch. Returns the link's ticket for _removeLink, or
   * -1 when it needs none.
   */
  _addLink(link: Link): number {
    const ticket = this._insertLink(link);
    if (this.ready()) this._scheduleNotify();
    return ticket;
  }

  /** @internal Adds a link without looking at readiness (see _addLink). */
  _insertLink(link: Link): number {
    let queue = this._links;
    if (queue === null) {
      const first = this._link;
      if (first === null) {
        this._link = link;
        return -1;
      }
      queue = this._links = new LinkQueue();
      this._link = null;
      queue.push(first);
    }
    return queue.push(link);
  }

  /** @internal Removes a link; `ticket` (from _addLink) spares a search. */
  _removeLink(link: Link, ticket = -1): boolean {
    const queue = this._links;
    if (queue === null) {
      if (this._link !== link) return false;
      this._link = null;
      return true;
    }
    if (typeof link === 'object' && link._linkTicket !== undefined) {
      // A greenlet knows its place; -1: no queue holds it.
      if (link._linkTicket < 0) return false;
      ticket = link._linkTicket;
    }
    return queue.remove(link, ticket);
  }

  /** @internal Whether `link` was the last one added and is still linked. */
  _isLastLink(link: Link): boolean {
    return this._links !== null ? this._links.last() === link : this._link === link;
  }

  private _linkList(): Link[] {
    return this._links !== null ? this._links.live() : this._link !== null ? [this._link] : [];
  }

  /** @internal Queues a notification of the links (once until it runs). */
  _scheduleNotify(): void {
    if ((this._flags & NOTIFY_QUEUED) !== 0 || (this._link === null && (this._links === null || this._links.count === 0))) return;
    this._flags |= NOTIFY_QUEUED;
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
    this._flags &= ~NOTIFY_QUEUED;
    const single = this._link;
    if (single !== null) {
      if (!this._keepNotifying()) return;
      this._link = null;
      this._fire(single);
      // A link the callback added comes next.
      if (this._link !== null || this._links !== null) this._notifyLinks();
      return;
    }
    const queue = this._links;
    if (queue === null) return;
    // Links added while notifying are visited too, after the ones already
    // waiting (FIFO); links removed meanwhile are skipped.
    while (queue.count > 0 && this._keepNotifying()) {
      this._fire(queue.shift() as Link);
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
