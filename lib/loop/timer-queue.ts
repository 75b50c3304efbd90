// The loop's queue of hub-internal timed waits (sleep, Timeout): entries
// in JS behind ONE native timer armed at the earliest deadline. A native
// timer per wait costs three calls into the addon (init, start, close:
// ~290 ns) and a watcher object; an entry here costs a refresh and a read
// of the loop's clock (two small calls), an object and a list append.
//
// Entries live in FIFO lists whose order is their (deadline, start order),
// and a binary heap orders the lists by their first entry. A list holds the
// entries of one deadline on uv (whole milliseconds: many waits share one,
// and firing a list is a walk down it, whatever mix of delays started its
// entries) and the entries of one delay on ev (deadlines are doubles there,
// rarely shared; entries started with one delay have non-decreasing
// deadlines since the clock is monotonic, as in Node's timer lists).
// Starting and cancelling are O(1) but for a list's first entry; cancelled
// entries are unlinked at once: nothing stays behind to compact.
import type { Loop } from './loop';
import { TimerWatcher } from './timer';
import { internalWatcher, type Watcher, type WatcherListener } from './watcher';

// The addon's limit for a uv timer (native/uv/timer.cc).
const MAX_MS = 9e15;

/**
 * @internal One timed wait in a loop's TimerQueue. Subclasses say what
 * expiring does; the fields belong to the queue.
 */
export abstract class QueuedTimer {
  /** @internal When it is due, in the queue's clock units. */
  _due = 0;
  /** @internal Start order: equal deadlines expire first-started first. */
  _seq = 0;
  /** @internal Whether it keeps the process (and the hub) alive. */
  _ref = true;
  /** @internal The list it is queued in; null when not queued. */
  _list: TimerList | null = null;
  /** @internal */
  _prev: QueuedTimer | null = null;
  /** @internal */
  _next: QueuedTimer | null = null;

  /** Started, and neither expired nor cancelled. */
  get queued(): boolean {
    return this._list !== null;
  }

  /** Takes the timer out of its queue; a no-op when it is not queued. */
  cancel(): void {
    const list = this._list;
    if (list !== null) list.queue._remove(this);
  }

  /**
   * @internal Its time came: runs in the loop's timer phase, once. An error
   * it throws goes to the loop's error handler.
   */
  abstract _expire(): void;
}

/** @internal Entries of one deadline (uv) or one delay (ev), in (deadline, start) order. */
export class TimerList {
  /** The first entry's deadline and sequence: the heap's key. */
  due = 0;
  seq = 0;
  /** Its slot in the queue's heap. */
  index = -1;
  head: QueuedTimer | null = null;
  tail: QueuedTimer | null = null;

  constructor(
    readonly queue: TimerQueue,
    readonly key: number,
  ) {}
}

function before(a: TimerList, b: TimerList): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

/**
 * @internal A loop's timed waits (loop._timerQueue). Deadlines are computed
 * as the addon computes a TimerWatcher's, so that a sleep and a
 * loop.timer() started together with the same delay are due together: the
 * loop's clock refreshed at the start (a wait never fires early after long
 * synchronous JS), plus the delay — whole milliseconds rounded up on uv,
 * seconds on ev.
 */
export class TimerQueue implements WatcherListener {
  private readonly _loop: Loop;
  // uv counts whole milliseconds; ev counts seconds.
  private readonly _ms: boolean;
  // Made on first use; armed while entries wait (and maybe after, lazily).
  private _timer: TimerWatcher | null = null;
  // The deadline the native timer is armed for; Infinity when it is not.
  private _armedDue = Infinity;
  private readonly _lists = new Map<number, TimerList>();
  private readonly _heap: TimerList[] = [];
  private _nextSeq = 0;
  private _size = 0;
  private _refs = 0;
  private _closed = false;

  constructor(loop: Loop) {
    this._loop = loop;
    this._ms = loop.backend === 'uv';
  }

  /** Entries queued. */
  get size(): number {
    return this._size;
  }

  /** Entries queued that keep the process alive. */
  get refs(): number {
    return this._refs;
  }

  /** @internal The native timer behind the queue (null until first used); for tests. */
  get _watcher(): TimerWatcher | null {
    return this._timer;
  }

  /**
   * Queues `timer` to expire `seconds` (finite, >= 0) from now; a queued
   * timer is moved. `ref` false: it neither keeps the process alive nor
   * counts as a waker for LoopExit. ClosedError once the loop is closed.
   */
  add(timer: QueuedTimer, seconds: number, ref: boolean): void {
    const native = this._loop._openNative();
    if (timer._list !== null) this._remove(timer);
    native.updateNow();
    let now = native.now();
    let delay: number;
    if (this._ms) {
      // As native/uv/timer.cc: ceil(seconds * 1000), the same double math.
      now = Math.round(now * 1000);
      delay = seconds <= 0 ? 0 : Math.min(Math.ceil(seconds * 1000), MAX_MS);
    } else {
      delay = seconds;
    }
    const due = now + delay;
    timer._due = due;
    timer._seq = this._nextSeq++;
    timer._ref = ref;
    // Appending keeps either kind of list in (deadline, start) order.
    const key = this._ms ? due : delay;
    let list = this._lists.get(key);
    if (list === undefined) {
      list = new TimerList(this, key);
      this._lists.set(key, list);
    }
    timer._list = list;
    const tail = list.tail;
    if (tail === null) {
      list.head = list.tail = timer;
      list.due = due;
      list.seq = timer._seq;
      this._push(list);
    } else {
      tail._next = timer;
      timer._prev = tail;
      list.tail = timer;
    }
    this._size++;
    if (ref) {
      // Counted as a watcher of its own would be: dump() and the LoopExit
      // check see one ref'd waker per ref'd sleep or Timeout.
      this._loop._refActive++;
      if (this._refs++ === 0) this._holdProcess(true);
    }
    // Only an earlier deadline moves the native timer: a later one is served
    // by the wake-up already armed, which re-arms.
    if (due < this._armedDue) this._arm(due, now);
  }

  /** @internal Unlinks a queued entry (QueuedTimer.cancel, or a move). */
  _remove(timer: QueuedTimer): void {
    const list = timer._list as TimerList;
    const prev = timer._prev;
    const next = timer._next;
    timer._list = timer._prev = timer._next = null;
    if (next !== null) next._prev = prev;
    else list.tail = prev;
    if (prev !== null) {
      prev._next = next;
    } else if (next === null) {
      list.head = null;
      this._dropList(list);
    } else {
      list.head = next;
      list.due = next._due;
      list.seq = next._seq;
      this._siftDown(list.index);
    }
    this._size--;
    if (timer._ref) this._unref();
    // The native timer stays armed: its wake-up finds nothing due and
    // re-arms (or stays idle), which costs less than moving it per cancel.
  }

  /** @internal The native timer fired: expire what is due. */
  _onWatcher(watcher: Watcher, _revents: number): void {
    // A one-shot timer is inactive once it fired; active, it was re-armed
    // after this event and stays armed.
    if (!watcher._isActive) this._armedDue = Infinity;
    const loop = this._loop;
    // The loop's cached time: the one it ran its timers at.
    const cached = loop._native.now();
    const now = this._ms ? Math.round(cached * 1000) : cached;
    // Every due entry expires in this one pass, as the events of the native
    // timers it replaces were all delivered in one batch: the switch
    // interval bounds drains of the ready queue, not event delivery.
    // Entries started by what expires here wait for the next turn, as a
    // native timer started from a timer callback does.
    const limit = this._nextSeq;
    const heap = this._heap;
    while (heap.length > 0) {
      const list = heap[0];
      if (list.due > now || list.seq >= limit) break;
      const timer = list.head as QueuedTimer;
      const next = timer._next;
      timer._list = timer._next = null;
      if (next === null) {
        list.head = list.tail = null;
        this._dropList(list);
      } else {
        next._prev = null;
        list.head = next;
        list.due = next._due;
        list.seq = next._seq;
        this._siftDown(0);
      }
      this._size--;
      if (timer._ref) this._unref();
      try {
        timer._expire();
      } catch (error) {
        loop._reportError(error, timer);
      }
      if (this._closed) return;
    }
    if (heap.length > 0 && heap[0].due < this._armedDue) {
      const native = loop._native;
      native.updateNow();
      const fresh = native.now();
      this._arm(heap[0].due, this._ms ? Math.round(fresh * 1000) : fresh);
    }
  }

  /** @internal The loop closes: forget every entry (none will expire). */
  _close(): void {
    if (this._closed) return;
    this._closed = true;
    for (const list of this._heap) {
      for (let timer = list.head; timer !== null; ) {
        const next = timer._next;
        timer._list = timer._prev = timer._next = null;
        timer = next;
      }
    }
    this._heap.length = 0;
    this._lists.clear();
    this._size = this._refs = 0;
    this._timer?.close();
    this._timer = null;
  }

  private _backing(): TimerWatcher {
    let timer = this._timer;
    if (timer === null) {
      timer = internalWatcher(() => new TimerWatcher(this._loop, 0, 0));
      // The entries are the wakers loop._refActive counts; the timer itself
      // never is (unref'd on the JS side). Its native side holds the process
      // while a ref'd entry waits: see _holdProcess.
      timer.ref = false;
      this._timer = timer;
    }
    return timer;
  }

  private _holdProcess(on: boolean): void {
    this._loop._native.setRef(this._backing()._id, on);
  }

  private _unref(): void {
    const loop = this._loop;
    if (--this._refs === 0) this._holdProcess(false);
    if (--loop._refActive === 0) loop._noRefsLeft();
  }

  // Arms the native timer for `due`; `now` is the freshly read clock.
  private _arm(due: number, now: number): void {
    const timer = this._backing();
    const ticks = due - now;
    // On uv the addon rounds seconds * 1000 up, and k / 1000 * 1000 can come
    // out a hair above k (7 / 1000 * 1000 = 7.000000000000001): half a
    // millisecond less makes it round to exactly k.
    const after = ticks <= 0 ? 0 : this._ms ? (ticks - 0.5) / 1000 : ticks;
    if (timer._isActive) timer.stop();
    timer.set(after, 0);
    timer._startFor(this);
    this._armedDue = due;
  }

  private _dropList(list: TimerList): void {
    this._lists.delete(list.key);
    const heap = this._heap;
    const i = list.index;
    list.index = -1;
    const last = heap.pop() as TimerList;
    if (last === list) return;
    heap[i] = last;
    last.index = i;
    if (i > 0 && before(last, heap[(i - 1) >> 1])) this._siftUp(i);
    else this._siftDown(i);
  }

  private _push(list: TimerList): void {
    const i = this._heap.length;
    this._heap.push(list);
    list.index = i;
    this._siftUp(i);
  }

  private _siftUp(i: number): void {
    const heap = this._heap;
    const list = heap[i];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = heap[parent];
      if (!before(list, above)) break;
      heap[i] = above;
      above.index = i;
      i = parent;
    }
    heap[i] = list;
    list.index = i;
  }

  private _siftDown(i: number): void {
    const heap = this._heap;
    const size = heap.length;
    const list = heap[i];
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && before(heap[child + 1], heap[child])) child++;
      const below = heap[child];
      if (!before(below, list)) break;
      heap[i] = below;
      below.index = i;
      i = child;
    }
    heap[i] = list;
    list.index = i;
  }
}
