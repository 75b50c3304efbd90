// Waiting on many objects: wait, iwait, joinAll, killAll.
import { invalidArgType } from '../loop/errors';
import { TimerWatcher } from '../loop/timer';
import { internalWatcher } from '../loop/watcher';
import { validateBoolean, validateInteger, validateObject } from '../loop/validate';
import type { Watcher, WatcherListener } from '../loop/watcher';
import { Greenlet, type KillException } from './greenlet';
import { getHub, type Hub } from './hub';
import { Linkable, type LinkTarget } from './linkable';
import { SUSPEND, type Operation, type Task } from './operation';
import { awaitable, completed, run } from './task';
import { Timeout, validateTimeoutArg } from './timeout';

/** Anything wait()/iwait() can wait on: greenhub's primitives, or an object with rawlink(). */
export type Waitable = Linkable | { rawlink(callback: (source: never) => unknown): unknown; unlink?(callback: unknown): unknown };

export interface WaitOptions {
  /** Seconds to wait at most (null: no limit). */
  timeout?: number | null;
  /** Return after this many objects are ready. */
  count?: number | null;
}

function validateWaitOptions(options: unknown): asserts options is WaitOptions {
  validateObject('options', options);
  const { timeout, count } = options as WaitOptions;
  if ((timeout as unknown) instanceof Timeout) throw invalidArgType('options.timeout', 'a number of seconds or null', timeout);
  validateTimeoutArg('options.timeout', timeout);
  if (count !== null && count !== undefined) validateInteger('options.count', count, 0, Number.MAX_SAFE_INTEGER);
}

function validateObjects<T>(name: string, objects: unknown): T[] {
  if (objects === null || typeof objects !== 'object' || typeof (objects as Iterable<T>)[Symbol.iterator] !== 'function') {
    throw invalidArgType(name, 'an iterable of waitable objects', objects);
  }
  const list = Array.isArray(objects) ? (objects.slice() as T[]) : [...(objects as Iterable<T>)];
  for (let i = 0; i < list.length; i++) {
    const object: unknown = list[i];
    if (object instanceof Linkable) continue;
    if (object !== null && typeof object === 'object' && typeof (object as { rawlink?: unknown }).rawlink === 'function') continue;
    throw invalidArgType(`${name}[${i}]`, 'a Greenlet, Event, AsyncResult, Semaphore or other object with rawlink()', object);
  }
  return list;
}

/** validateObjects for greenlets only: one pass over them when all are greenlets. */
function validateGreenlets<T>(name: string, objects: unknown): Greenlet<T>[] {
  if (Array.isArray(objects)) {
    let i = 0;
    while (i < objects.length && objects[i] instanceof Greenlet) i++;
    if (i === objects.length) return objects.slice() as Greenlet<T>[];
  }
  // Not all greenlets (or not an array): the general checks, in their order, name the culprit.
  const list = validateObjects<Greenlet<T>>(name, objects);
  for (let i = 0; i < list.length; i++) {
    if (!(list[i] instanceof Greenlet)) throw invalidArgType(`${name}[${i}]`, 'a Greenlet', list[i]);
  }
  return list;
}

/**
 * Collects objects in the order they become ready, for one greenlet to
 * consume. It is the link on every object, and the timer's listener.
 */
class Collector<T> implements LinkTarget, WatcherListener {
  /** The ready objects, in order, in ready[0 .. readyCount). */
  readonly ready: T[];
  readyCount = 0;
  waiter: Greenlet | null = null;
  timedOut = false;
  /** Wake the waiter once this many are ready (or a failure, with raiseError). */
  wakeAt = 1;
  raiseError = false;
  /** How many distinct objects it waits on. */
  readonly size: number;
  // The objects it linked to: the caller's list, kept (repeats included) rather than copied.
  private readonly _linked: T[];
  // The tickets of our links in queues (see Linkable._addLink), by index in
  // _linked; made for the first link that has one.
  private _tickets: number[] | null = null;
  private _timer: TimerWatcher | null = null;
  private _rawlinkCallback: ((source: T) => void) | null = null;

  /** Links to every object of `objects`, which it keeps: the caller hands the list over. */
  constructor(
    private readonly _hub: Hub,
    objects: T[],
  ) {
    this._linked = objects;
    let size = 0;
    let foreign: Set<T> | null = null;
    for (let i = 0; i < objects.length; i++) {
      const object = objects[i];
      if ((object as unknown) instanceof Linkable) {
        const linkable = object as unknown as Linkable;
        // A repeat: nothing links to it between our two visits, so our link is its last.
        if (linkable._isLastLink(this)) continue;
        const ticket = linkable._addLink(this);
        if (ticket >= 0) (this._tickets ??= new Array<number>(objects.length).fill(-1))[i] = ticket;
      } else {
        foreign ??= new Set();
        if (foreign.has(object)) continue;
        foreign.add(object);
        this._rawlinkCallback ??= (source: T): void => this._fireLink(source as unknown as Linkable);
        (object as { rawlink(cb: unknown): unknown }).rawlink(this._rawlinkCallback);
      }
      size++;
    }
    this.size = size;
    // Room for all at once: no copying as it fills.
    this.ready = new Array<T>(size);
  }

  startTimer(seconds: number): void {
    // Not internal: an IWait the user drops unclosed still frees its timer.
    this._timer = new TimerWatcher(this._hub.loop, seconds, 0);
    this._timer._startFor(this);
  }

  _fireLink(source: Linkable): void {
    this.ready[this.readyCount++] = source as unknown as T;
    if (
      this.readyCount >= this.wakeAt ||
      (this.raiseError && source instanceof Greenlet && !source.successful())
    ) {
      this._wakeWaiter();
    }
  }

  _onWatcher(_watcher: Watcher, _revents: number): void {
    this.timedOut = true;
    this._wakeWaiter();
  }

  _describeWait(): string {
    return `${this.size - this.readyCount} of ${this.size} objects (wait/joinAll/iwait)`;
  }

  /** Parks the current greenlet until something is ready or the time is up. */
  *next(): Operation<void> {
    const greenlet = this._hub._currentGreenlet('waiting on several objects');
    this.waiter = greenlet;
    greenlet._waitingOn = this;
    try {
      yield SUSPEND;
    } finally {
      this.waiter = null;
    }
  }

  close(): void {
    const linked = this._linked;
    const tickets = this._tickets;
    // Every object fired, and each dropped our link as it did (only a
    // foreign one might keep it): nothing to visit again.
    const allFired = this._rawlinkCallback === null && this.readyCount >= this.size;
    for (let i = allFired ? linked.length : 0; i < linked.length; i++) {
      const object: unknown = linked[i];
      if (object instanceof Linkable) object._removeLink(this, tickets !== null ? tickets[i] : -1);
      else (object as { unlink?(cb: unknown): unknown }).unlink?.(this._rawlinkCallback);
    }
    linked.length = 0;
    this._tickets = null;
    this._timer?.close();
    this._timer = null;
  }

  private _wakeWaiter(): void {
    const waiter = this.waiter;
    if (waiter !== null && waiter._waitingOn === this) waiter._resume(false, this);
  }
}

const waitObjectsTask = awaitable(function* waitObjects<T>(
  objects: T[],
  timeout: number | null,
  count: number | null,
  raiseError: boolean,
): Operation<T[]> {
  const hub = getHub();
  const collector = new Collector(hub, objects);
  const limit = Math.min(count ?? collector.size, collector.size);
  collector.wakeAt = limit;
  collector.raiseError = raiseError;
  try {
    if (timeout !== null && collector.readyCount < limit) collector.startTimer(timeout);
    let checked = 0;
    while (collector.readyCount < limit && !collector.timedOut) {
      yield* collector.next();
      if (raiseError) {
        for (; checked < collector.readyCount; checked++) {
          const done = collector.ready[checked];
          if (done instanceof Greenlet && !done.successful()) throw done.exception;
        }
      }
    }
    const ready = collector.ready;
    // Exactly full (all of them, none more): the array itself is the result.
    if (collector.readyCount === limit && ready.length === limit) return ready;
    return ready.slice(0, Math.min(limit, collector.readyCount));
  } finally {
    collector.close();
  }
});

const hubJoinTask = awaitable(function* hubJoin(timeout: number | null): Operation<boolean> {
  const hub = getHub();
  const greenlet = hub._currentGreenlet('wait()');
  let timer: TimerWatcher | null = null;
  if (timeout !== null) {
    // Not ref'd: waiting for the hub to run out of work is not work.
    timer = internalWatcher(() => new TimerWatcher(hub.loop, timeout, 0));
    timer.ref = false;
    timer._startFor(greenlet);
  }
  hub._joiners.add(greenlet);
  greenlet._joining = true;
  greenlet._waitingOn = { _describeWait: () => 'the hub to run out of work (wait())' };
  hub.loop._wakeUp();
  try {
    const woke: unknown = yield SUSPEND;
    return woke === true;
  } finally {
    hub._joiners.delete(greenlet);
    greenlet._joining = false;
    timer?.close();
  }
});

/**
 * Waits until the objects are ready (or `count` of them, or `timeout`
 * passes) and returns the ready ones in the order they became ready.
 * Without objects: waits until the hub has nothing left to do (no ref'd
 * watcher, queued callback or pending promise) and returns true, or false
 * on timeout.
 */
export function wait(): Task<boolean>;
export function wait(objects: null | undefined, options?: WaitOptions): Task<boolean>;
export function wait<T extends Waitable>(objects: Iterable<T>, options?: WaitOptions): Task<T[]>;
export function wait<T extends Waitable>(objects?: Iterable<T> | null, options: WaitOptions = {}): Task<T[] | boolean> {
  validateWaitOptions(options);
  if (objects === null || objects === undefined) return hubJoinTask(options.timeout ?? null);
  const list = validateObjects<T>('objects', objects);
  return waitObjectsTask(list, options.timeout ?? null, options.count ?? null, false);
}

export interface JoinAllOptions extends WaitOptions {
  /** Raise the first failure, in completion order, without waiting for the rest. */
  raiseError?: boolean;
}

/**
 * Waits for the greenlets to finish; returns the finished ones in
 * completion order (fewer on timeout or with `count`).
 */
export function joinAll<T>(greenlets: Iterable<Greenlet<T>>, options: JoinAllOptions = {}): Task<Greenlet<T>[]> {
  validateWaitOptions(options);
  const raiseError = options.raiseError ?? false;
  validateBoolean('options.raiseError', raiseError);
  const list = validateGreenlets<T>('greenlets', greenlets);
  return waitObjectsTask(list, options.timeout ?? null, options.count ?? null, raiseError);
}

export interface KillAllOptions {
  /** What to raise in each greenlet (GreenletExit by default). */
  exception?: KillException;
  /** Wait for all to die when the returned task runs (default true). */
  block?: boolean;
  /** With block: raise Timeout if some are still alive after this many seconds. */
  timeout?: number | null;
}

const killAllWaitTask = awaitable(function* killAllWait(greenlets: Greenlet[], timeout: number | null): Operation<void> {
  const alive = greenlets.filter((g) => !g.dead);
  if (alive.length === 0) return;
  const distinct = new Set(alive).size;
  // waitObjects keeps `alive` (and empties it when done).
  const done = yield* waitObjectsTask(alive, timeout, null, false);
  if (done.length < distinct) throw new Timeout(timeout);
});

/**
 * Kills the greenlets at once (those not started never run); the returned
 * task waits until all are dead and raises Timeout if `timeout` passes
 * first.
 */
export function killAll(greenlets: Iterable<Greenlet>, options: KillAllOptions = {}): Task<void> {
  validateObject('options', options as unknown);
  const list = validateObjects<Greenlet>('greenlets', greenlets);
  list.forEach((g, i) => {
    if (!(g instanceof Greenlet)) throw invalidArgType(`greenlets[${i}]`, 'a Greenlet', g);
  });
  const { block = true, timeout } = options;
  validateBoolean('options.block', block);
  if ((timeout as unknown) instanceof Timeout) throw invalidArgType('options.timeout', 'a number of seconds or null', timeout);
  validateTimeoutArg('options.timeout', timeout);
  for (const greenlet of list) greenlet.kill(options.exception ?? undefined, { block: false });
  if (!block) return completed(undefined);
  return killAllWaitTask(list, timeout ?? null);
}

/**
 * Yields the objects as they become ready. `yield* it.next()` inside a
 * greenlet, or `for await (const x of iwait(...))` from async code. Ends
 * after `count` objects, when all were yielded, or silently at `timeout`.
 * close() (or leaving a `for await` early) unlinks the rest.
 */
export class IWait<T extends Waitable> implements AsyncIterable<T>, Disposable {
  private readonly _collector: Collector<T>;
  private readonly _limit: number;
  private _taken = 0;
  private _timerStarted = false;
  private _closed = false;

  /** @internal */
  constructor(
    objects: T[],
    private readonly _timeout: number | null,
    count: number | null,
  ) {
    this._collector = new Collector(getHub(), objects);
    this._limit = Math.min(count ?? this._collector.size, this._collector.size);
  }

  /** The next ready object, or done. */
  next(): Task<IteratorResult<T, undefined>> {
    return iwaitNextTask(this) as Task<IteratorResult<T, undefined>>;
  }

  /** @internal */
  *_next(): Operation<IteratorResult<T, undefined>> {
    const collector = this._collector;
    if (!this._closed && this._taken < this._limit) {
      if (this._timeout !== null && !this._timerStarted) {
        this._timerStarted = true;
        collector.startTimer(this._timeout);
      }
      collector.wakeAt = this._taken + 1;
      while (collector.readyCount <= this._taken && !collector.timedOut) yield* collector.next();
      if (collector.readyCount > this._taken) return { done: false, value: collector.ready[this._taken++] };
    }
    this.close();
    return { done: true, value: undefined };
  }

  close(): void {
    if (this._closed) return;
    this._closed = true;
    this._collector.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return {
      next: () => run(() => this._next()),
      return: (): Promise<IteratorResult<T, undefined>> => {
        this.close();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }
}

const iwaitNextTask = awaitable(function* iwaitNext<T extends Waitable>(it: IWait<T>): Operation<IteratorResult<T, undefined>> {
  return yield* it._next();
});

export function iwait<T extends Waitable>(objects: Iterable<T>, options: WaitOptions = {}): IWait<T> {
  validateWaitOptions(options);
  const list = validateObjects<T>('objects', objects);
  return new IWait(list, options.timeout ?? null, options.count ?? null);
}
