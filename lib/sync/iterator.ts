// Iterating something whose next item may have to be waited for (a
// queue, a channel, Pool.imap()): greenhub's iterator shape. JS's for-of
// cannot block, so inside a greenlet each step is an operation:
//
//   for (let r = yield* it.next(); !r.done; r = yield* it.next()) use(r.value);
//
// and from async code the same object works with `for await`.
import type { Operation, Task } from '../core/operation';
import { awaitable, run } from '../core/task';
import { ShutDown } from './errors';

/** An iterator whose next() may block: `yield* it.next()` in a greenlet, `await` outside. */
export interface GreenIterator<T> extends AsyncIterable<T> {
  next(): Task<IteratorResult<T, undefined>>;
  /** Stops the iteration early and frees what it holds. */
  close(): void;
}

/** Something that makes GreenIterators: a queue, a channel. */
export interface GreenIterable<T> {
  iter(): GreenIterator<T>;
}

/** @internal The end of an iteration. */
export const ITERATION_DONE: IteratorResult<never, undefined> = Object.freeze({ done: true, value: undefined });

/** @internal An async iterator stepping `step()` in a greenlet each time; return() closes. */
export function asyncIteratorOf<T>(
  step: () => Operation<IteratorResult<T, undefined>>,
  close: () => void,
): AsyncIterator<T, undefined> {
  return {
    next: () => run(step),
    return: (): Promise<IteratorResult<T, undefined>> => {
      close();
      return Promise.resolve(ITERATION_DONE);
    },
  };
}

/** @internal Gets items from a queue or channel until it is shut down (ShutDown ends the iteration). */
export class GetIterator<T> implements GreenIterator<T> {
  private _closed = false;

  constructor(private readonly _source: { get(): Operation<T> }) {}

  next(): Task<IteratorResult<T, undefined>> {
    return getNextTask(this as GetIterator<unknown>) as Task<IteratorResult<T, undefined>>;
  }

  close(): void {
    this._closed = true;
  }

  /** @internal */
  *_step(): Operation<IteratorResult<T, undefined>> {
    if (this._closed) return ITERATION_DONE;
    try {
      return { done: false, value: yield* this._source.get() };
    } catch (error) {
      if (!(error instanceof ShutDown)) throw error;
      this._closed = true;
      return ITERATION_DONE;
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return asyncIteratorOf(
      () => this._step(),
      () => this.close(),
    );
  }
}

const getNextTask = awaitable(function* next(it: GetIterator<unknown>): Operation<IteratorResult<unknown, undefined>> {
  return yield* it._step();
});
