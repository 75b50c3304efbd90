// PriorityQueue: get() returns the smallest item first (a binary heap, as
// gevent's heapq-based one). The order is a comparator's: by default
// numbers, strings and bigints by `<`, and arrays element by element like
// Python's tuples, so `put([priority, task])` works as in gevent.
import { invalidArgType } from '../loop/errors';
import { Queue, type QueueOptions } from './queue';

/** Negative when `a` comes first, positive when `b` does, 0 when equal. */
export type Comparator<T> = (a: T, b: T) => number;

export interface PriorityQueueOptions<T> extends QueueOptions<T> {
  /** The order (default: defaultCompare). */
  compare?: Comparator<T>;
}

/** Python's ordering for the values it can compare: `<` for primitives, tuples (arrays) lexicographically. */
export function defaultCompare(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = defaultCompare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if ((a as number) < (b as number)) return -1;
  if ((a as number) > (b as number)) return 1;
  return 0;
}

export class PriorityQueue<T = unknown> extends Queue<T> {
  private declare _heap: T[];
  private declare _compare: Comparator<T>;

  constructor(maxsize?: number | null, options?: PriorityQueueOptions<T>) {
    super(maxsize, options);
  }

  /** @internal */
  override _init(options: PriorityQueueOptions<T>): void {
    super._init(options);
    const compare = options.compare ?? defaultCompare;
    if (typeof compare !== 'function') throw invalidArgType('options.compare', 'of type function', compare);
    this._compare = compare;
    this._heap = [];
  }

  override copy(): PriorityQueue<T> {
    return new PriorityQueue(this.maxsize, { items: this._toArray(), compare: this._compare });
  }

  /** @internal */
  override _size(): number {
    return this._heap.length;
  }

  /** @internal Sift up. */
  override _put(item: T): void {
    const heap = this._heap;
    const compare = this._compare;
    let i = heap.length;
    heap.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compare(item, heap[parent]) >= 0) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = item;
  }

  /** @internal Pop the root, sift the last item down. */
  override _get(): T {
    const heap = this._heap;
    const top = heap[0];
    const last = heap.pop() as T;
    const n = heap.length;
    if (n > 0) {
      const compare = this._compare;
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && compare(heap[child + 1], heap[child]) < 0) child++;
        if (compare(heap[child], last) >= 0) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }

  /** @internal */
  override _peek(): T {
    return this._heap[0];
  }

  /** @internal */
  override _toArray(): T[] {
    return [...this._heap];
  }
}
