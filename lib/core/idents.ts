// Small per-hub numbers for greenlets (gevent's minimal_ident): a number
// freed by a dead greenlet is reused, the smallest first, as gevent's
// IdentRegistry does with its heap, so that idents stay small and stable.

/** @internal */
export class IdentRegistry {
  private _next = 1;
  // A binary min-heap of the freed numbers.
  private readonly _free: number[] = [];

  alloc(): number {
    const heap = this._free;
    if (heap.length === 0) return this._next++;
    const smallest = heap[0];
    const last = heap.pop() as number;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && heap[right] < heap[left] ? right : left;
        if (heap[child] >= last) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    return smallest;
  }

  free(ident: number): void {
    const heap = this._free;
    let i = heap.length;
    heap.push(ident);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent] <= ident) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = ident;
  }
}
