// The queues (gevent.queue, named as in gevent 25.4+ and Python):
// SimpleQueue (FIFO), Queue (FIFO with taskDone()/join(); JoinableQueue is
// the same class), LifoQueue, PriorityQueue (priority-queue.ts).
//
// Waiting getters and putters are greenlets linked on two notifiers (the
// shared Linkable mechanism): "an item is there" and "a slot is free".
// A put() that fills the queue for a waiting getter does not run it: the
// getter resumes from the hub's queue, takes the item itself, and the
// notification goes on to the next getter while items remain (gevent's
// model; ready greenlets then run in batches, which is what makes a
// bounded producer/consumer cheap). Blocking callers are served FIFO: one
// that arrives while others wait queues behind them. The *Nowait() calls
// never wait and take or put whatever they can.
import { invalidArgType } from '../loop/errors';
import { validateBoolean, validateInteger, validateObject } from '../loop/validate';
import type { TimeoutArg } from '../core/linkable';
import type { Greenlet } from '../core/greenlet';
import { SUSPEND, type Operation, type Suspend, type Task } from '../core/operation';
import { awaitable } from '../core/task';
import { validateTimeoutArg } from '../core/timeout';
import { Empty, Full, OverReleaseError, ShutDown } from './errors';
import { GetIterator, type GreenIterable, type GreenIterator } from './iterator';
import { Notifier } from './notifier';
import {
  armTimer,
  disarm,
  DONE_TRUE,
  Leaf,
  ownsTimeout,
  PARKED,
  RESULT_VOID,
  validateBlockOptions,
  type Armed,
  type BlockOptions,
} from './park';

export interface QueueOptions<T> {
  /** Initial items, put in order (they may exceed maxsize). */
  items?: Iterable<T>;
}

/** @internal Getters wait here: ready while an item is there (or after shutdown). */
class ItemAvailable extends Notifier {
  constructor(private readonly _queue: SimpleQueue<never>) {
    super();
  }

  ready(): boolean {
    return this._queue._size() > 0 || this._queue._shutdown;
  }

  _describeWait(): string {
    return `an item of ${this._queue._describe()} (get/peek)`;
  }
}

/** @internal Putters wait here: ready while a slot is free (or after shutdown). */
class SlotAvailable extends Notifier {
  constructor(private readonly _queue: SimpleQueue<never>) {
    super();
  }

  ready(): boolean {
    return this._queue._size() < this._queue._max || this._queue._shutdown;
  }

  _describeWait(): string {
    return `a free slot of ${this._queue._describe()} (put)`;
  }
}

function validateMaxsize(maxsize: unknown): number {
  if (maxsize === null || maxsize === undefined) return Infinity;
  validateInteger('maxsize', maxsize, 0, Number.MAX_SAFE_INTEGER);
  // As in Python's queue: 0 means unbounded (a rendezvous is a Channel).
  return maxsize === 0 ? Infinity : maxsize;
}

function validateItems<T>(options: QueueOptions<T> | undefined): Iterable<T> | undefined {
  if (options === undefined) return undefined;
  validateObject('options', options);
  const items: unknown = options.items;
  if (items === undefined || items === null) return undefined;
  if (typeof (items as Iterable<T>)[Symbol.iterator] !== 'function') throw invalidArgType('options.items', 'an iterable', items);
  return items as Iterable<T>;
}

/** A FIFO queue of at most `maxsize` items (null, undefined or 0: unbounded). */
export class SimpleQueue<T = unknown> implements GreenIterable<T>, AsyncIterable<T> {
  /** @internal */
  readonly _getters: Notifier;
  /** @internal */
  readonly _putters: Notifier;
  /** @internal The bound; Infinity when unbounded. */
  _max: number;
  /** @internal */
  _shutdown = false;
  // The FIFO storage: a ring buffer whose length is a power of two.
  private _ring: (T | undefined)[] = new Array<T | undefined>(16);
  private _head = 0;
  private _count = 0;

  constructor(maxsize?: number | null, options?: QueueOptions<T>) {
    this._max = validateMaxsize(maxsize);
    const items = validateItems(options);
    this._getters = new ItemAvailable(this as unknown as SimpleQueue<never>);
    this._putters = new SlotAvailable(this as unknown as SimpleQueue<never>);
    // Subclasses set up their storage in _init(): their own constructors
    // (and field initializers) run only after this one.
    this._init(options ?? {});
    if (items !== undefined) for (const item of items) this._put(item);
  }

  /** The bound, or null when unbounded. Settable; raising it lets waiting putters in. */
  get maxsize(): number | null {
    return this._max === Infinity ? null : this._max;
  }

  set maxsize(value: number | null) {
    this._max = validateMaxsize(value);
    this._putters._scheduleNotify();
  }

  /** How many items are queued. */
  qsize(): number {
    return this._size();
  }

  get length(): number {
    return this._size();
  }

  empty(): boolean {
    return this._size() === 0;
  }

  /** At its bound: put() would block. */
  full(): boolean {
    return this._size() >= this._max;
  }

  /** Whether shutdown() was called. */
  get isShutdown(): boolean {
    return this._shutdown;
  }

  /**
   * Puts `item`, waiting (FIFO) while the queue is full. Raises Full
   * without blocking (`block: false`) or when `timeout` seconds pass (a
   * Timeout given as `timeout` raises itself); ShutDown after shutdown().
   */
  put(item: T, options?: BlockOptions): Task<void> {
    let block = true;
    let timeout: TimeoutArg;
    if (options !== undefined) {
      block = validateBlockOptions(options, 'block');
      timeout = options.timeout;
    }
    return new QueuePut(this as SimpleQueue<unknown>, item, block, timeout);
  }

  /** Puts without waiting: raises Full if there is no free slot, ShutDown after shutdown(). */
  putNowait(item: T): void {
    if (this._shutdown) throw new ShutDown();
    if (this._size() >= this._max) throw new Full();
    this._add(item);
  }

  /**
   * Removes and returns the next item, waiting (FIFO) while there is none.
   * Raises Empty without blocking or when `timeout` passes (a Timeout
   * given as `timeout` raises itself); ShutDown once shut down and empty
   * (at once after shutdown({ immediate: true })).
   */
  get(options?: BlockOptions): Task<T> {
    let block = true;
    let timeout: TimeoutArg;
    if (options !== undefined) {
      block = validateBlockOptions(options, 'block');
      timeout = options.timeout;
    }
    return new QueueGet<T>(this, block, timeout, false);
  }

  /** Removes and returns the next item without waiting; raises Empty (or ShutDown) if there is none. */
  getNowait(): T {
    if (this._size() > 0) return this._take();
    throw this._shutdown ? new ShutDown() : new Empty();
  }

  /** Like get(), but leaves the item in the queue. */
  peek(options?: BlockOptions): Task<T> {
    let block = true;
    let timeout: TimeoutArg;
    if (options !== undefined) {
      block = validateBlockOptions(options, 'block');
      timeout = options.timeout;
    }
    return new QueueGet<T>(this, block, timeout, true);
  }

  /** The next item, left in the queue; raises Empty (or ShutDown) if there is none. */
  peekNowait(): T {
    if (this._size() > 0) return this._peek();
    throw this._shutdown ? new ShutDown() : new Empty();
  }

  /**
   * Shuts the queue down (Python 3.13): put() raises ShutDown from now on;
   * get() returns what is left, then raises ShutDown. With `immediate`,
   * the items are dropped and get() raises at once. Every waiting getter
   * and putter is woken to see it.
   */
  shutdown(immediate = false): void {
    validateBoolean('immediate', immediate);
    this._shutdown = true;
    if (immediate) this._drop(this._size());
    this._getters._scheduleNotify();
    this._putters._scheduleNotify();
  }

  /**
   * An iterator that gets items one by one, waiting for each; it ends
   * when the queue is shut down and empty. `yield* it.next()` in a
   * greenlet, or `for await (const item of queue)` from async code.
   */
  iter(): GreenIterator<T> {
    return new GetIterator(this);
  }

  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return this.iter()[Symbol.asyncIterator]() as AsyncIterator<T, undefined>;
  }

  /** A queue of the same kind and bound holding the same items (the waiters stay here). */
  copy(): SimpleQueue<T> {
    const Kind = this.constructor as new (maxsize: number | null, options: QueueOptions<T>) => SimpleQueue<T>;
    return new Kind(this.maxsize, { items: this._toArray() });
  }

  toString(): string {
    return `<${this._describe()} getters=${this._getters.linkcount()} putters=${this._putters.linkcount()}>`;
  }

  // --- the storage: subclasses override these ---

  /**
   * @internal Sets up the storage, from the base constructor (before the
   * subclass's own fields exist: declare storage fields with `declare`).
   */
  _init(options: QueueOptions<T>): void {
    void options;
  }

  /** @internal How many items are stored. */
  _size(): number {
    return this._count;
  }

  /** @internal Stores an item. */
  _put(item: T): void {
    if (this._count === this._ring.length) this._grow();
    this._ring[(this._head + this._count) & (this._ring.length - 1)] = item;
    this._count++;
  }

  /** @internal Removes the next item (there is one). */
  _get(): T {
    const ring = this._ring;
    const item = ring[this._head] as T;
    ring[this._head] = undefined;
    this._head = (this._head + 1) & (ring.length - 1);
    this._count--;
    return item;
  }

  /** @internal The next item (there is one). */
  _peek(): T {
    return this._ring[this._head] as T;
  }

  /** @internal The items in an order that putting them again rebuilds the queue (copy()). */
  _toArray(): T[] {
    const out = new Array<T>(this._count);
    for (let i = 0; i < this._count; i++) out[i] = this._ring[(this._head + i) & (this._ring.length - 1)] as T;
    return out;
  }

  // --- shared by the operations ---

  /** @internal Stores an item and tells a waiting getter. */
  _add(item: T): void {
    this._put(item);
    this._getters._scheduleNotify();
  }

  /** @internal Removes the next item and tells a waiting putter. */
  _take(): T {
    const item = this._get();
    this._putters._scheduleNotify();
    return item;
  }

  /** @internal Drops `count` items (shutdown(immediate)). */
  _drop(count: number): void {
    for (let i = 0; i < count; i++) this._get();
  }

  /** @internal */
  _describe(): string {
    const bound = this._max === Infinity ? '∞' : String(this._max);
    return `${this.constructor.name}(${this._size()}/${bound}${this._shutdown ? ', shut down' : ''})`;
  }

  private _grow(): void {
    const items = this._toArray();
    this._ring = new Array<T | undefined>(this._ring.length * 2);
    for (let i = 0; i < items.length; i++) this._ring[i] = items[i];
    this._head = 0;
  }
}

/** A FIFO queue that also counts unfinished tasks: taskDone() and join() (gevent's Queue, Python's queue.Queue). */
export class Queue<T = unknown> extends SimpleQueue<T> {
  /** @internal join() waits here: ready when every task is done. */
  readonly _allDone: Notifier;
  private _unfinished = 0;

  constructor(maxsize?: number | null, options?: QueueOptions<T>) {
    super(maxsize, options);
    // Initial items are unfinished tasks, as if put.
    this._unfinished = this._size();
    const queue = this;
    this._allDone = new (class AllTasksDone extends Notifier {
      ready(): boolean {
        return queue._unfinished === 0;
      }

      _describeWait(): string {
        return `the ${queue._unfinished} unfinished task(s) of ${queue._describe()} (join)`;
      }
    })();
  }

  /** Items put and not yet marked done with taskDone(). */
  get unfinishedTasks(): number {
    return this._unfinished;
  }

  /**
   * Marks one item got from the queue as processed. Raises
   * OverReleaseError when called more times than items were put.
   */
  taskDone(): void {
    if (this._unfinished <= 0) throw new OverReleaseError('taskDone() called too many times');
    if (--this._unfinished === 0) this._allDone._scheduleNotify();
  }

  /**
   * Waits until every item put has been marked done; returns true, or
   * false when `timeout` passes first. Returns at once when none is
   * unfinished.
   */
  join(timeout?: TimeoutArg): Task<boolean> {
    if (timeout !== undefined) validateTimeoutArg('timeout', timeout);
    if (this._unfinished === 0) return DONE_TRUE;
    return joinTask(this as Queue<unknown>, timeout);
  }

  /** @internal */
  override _add(item: T): void {
    this._unfinished++;
    super._add(item);
  }

  /** @internal Dropped items count as done (Python 3.13's shutdown(immediate)). */
  override _drop(count: number): void {
    super._drop(count);
    this._unfinished = Math.max(0, this._unfinished - count);
    if (this._unfinished === 0) this._allDone._scheduleNotify();
  }
}

/** gevent's JoinableQueue: the same class as Queue (as in gevent 25.4+). */
export const JoinableQueue = Queue;
export type JoinableQueue<T = unknown> = Queue<T>;

/** A stack: get() returns the item put last. */
export class LifoQueue<T = unknown> extends Queue<T> {
  private declare _stack: T[];

  override _init(options: QueueOptions<T>): void {
    super._init(options);
    this._stack = [];
  }

  override _size(): number {
    return this._stack.length;
  }

  override _put(item: T): void {
    this._stack.push(item);
  }

  override _get(): T {
    return (this._stack as T[]).pop() as T;
  }

  override _peek(): T {
    const stack = this._stack as T[];
    return stack[stack.length - 1];
  }

  override _toArray(): T[] {
    return [...this._stack];
  }
}

// --- the blocking operations ---

/**
 * get() and peek() as a hand-written leaf (see Leaf): the queue's hot
 * path. When run it takes the next item if there is one for it (none of
 * the getters already waiting is owed it), else parks in the FIFO; a
 * pass of the notification resumes it, and it takes the item itself. It
 * is its own iterator result when done: one allocation per call.
 */
class QueueGet<T> extends Leaf<T> implements IteratorReturnResult<T> {
  done = true as const;
  value: T = undefined as T;
  private _greenlet: Greenlet | null = null;
  private _armed: Armed = null;

  constructor(
    private readonly _queue: SimpleQueue<T>,
    private readonly _block: boolean,
    private readonly _timeout: TimeoutArg,
    private readonly _peek: boolean,
  ) {
    super();
  }

  next(woke?: unknown): IteratorResult<Suspend, T> {
    const queue = this._queue;
    const getters = queue._getters;
    let greenlet = this._greenlet;
    if (greenlet === null) {
      if (queue._size() > 0 && (!this._block || getters.linkcount() === 0)) return this._done();
      if (queue._shutdown && queue._size() === 0) throw new ShutDown();
      if (!this._block) throw new Empty();
      greenlet = getters.hub._currentGreenlet(this._peek ? 'Queue.peek()' : 'Queue.get()');
      this._armed = armTimer(getters.hub, greenlet, this._timeout);
      this._greenlet = greenlet;
    } else if (woke !== getters) {
      // Our timer.
      this._finish();
      throw new Empty();
    } else if (queue._size() > 0) {
      this._finish();
      return this._done();
    } else if (queue._shutdown) {
      this._finish();
      throw new ShutDown();
    }
    // Behind earlier getters: if an item is there, _addLink queues the
    // notification that reaches us after them.
    getters._addLink(greenlet);
    greenlet._waitingOn = getters;
    return PARKED;
  }

  throw(error: unknown): IteratorResult<Suspend, T> {
    this._finish();
    throw error;
  }

  return(value?: unknown): IteratorResult<Suspend, T> {
    this._finish();
    return { done: true, value: value as T };
  }

  private _done(): this {
    this.value = this._peek ? this._queue._peek() : this._queue._take();
    return this;
  }

  private _finish(): void {
    const greenlet = this._greenlet;
    if (greenlet === null) return;
    this._greenlet = null;
    this._queue._getters._removeLink(greenlet);
    disarm(this._armed);
    this._armed = null;
  }
}

/** put() as a hand-written leaf: like QueueGet, for a free slot. */
class QueuePut extends Leaf<void> {
  private _greenlet: Greenlet | null = null;
  private _armed: Armed = null;

  constructor(
    private readonly _queue: SimpleQueue<unknown>,
    private readonly _item: unknown,
    private readonly _block: boolean,
    private readonly _timeout: TimeoutArg,
  ) {
    super();
  }

  next(woke?: unknown): IteratorResult<Suspend, void> {
    const queue = this._queue;
    const putters = queue._putters;
    let greenlet = this._greenlet;
    if (greenlet === null) {
      if (queue._shutdown) throw new ShutDown();
      if (queue._size() < queue._max && (!this._block || putters.linkcount() === 0)) {
        queue._add(this._item);
        return RESULT_VOID;
      }
      if (!this._block) throw new Full();
      greenlet = putters.hub._currentGreenlet('Queue.put()');
      this._armed = armTimer(putters.hub, greenlet, this._timeout);
      this._greenlet = greenlet;
    } else if (woke !== putters) {
      this._finish();
      throw new Full();
    } else if (queue._shutdown) {
      this._finish();
      throw new ShutDown();
    } else if (queue._size() < queue._max) {
      this._finish();
      queue._add(this._item);
      return RESULT_VOID;
    }
    putters._addLink(greenlet);
    greenlet._waitingOn = putters;
    return PARKED;
  }

  throw(error: unknown): IteratorResult<Suspend, void> {
    this._finish();
    throw error;
  }

  return(): IteratorResult<Suspend, void> {
    this._finish();
    return RESULT_VOID;
  }

  private _finish(): void {
    const greenlet = this._greenlet;
    if (greenlet === null) return;
    this._greenlet = null;
    this._queue._putters._removeLink(greenlet);
    disarm(this._armed);
    this._armed = null;
  }
}

const joinTask = awaitable(function* join(queue: Queue<unknown>, timeout: TimeoutArg): Operation<boolean> {
  const allDone = queue._allDone;
  const greenlet = allDone.hub._currentGreenlet('Queue.join()');
  const armed = armTimer(allDone.hub, greenlet, timeout);
  allDone._addLink(greenlet);
  greenlet._waitingOn = allDone;
  try {
    return (yield SUSPEND) === allDone;
  } catch (error) {
    if (ownsTimeout(timeout, error)) return false;
    throw error;
  } finally {
    allDone._removeLink(greenlet);
    disarm(armed);
  }
});
