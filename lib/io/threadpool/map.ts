// The iterators of imap() and imapUnordered(): values as their tasks
// finish, in item order or in completion order.
import type { Operation, Task } from '../../core/operation';
import { awaitable, run } from '../../core/task';
import { iwait, type IWait } from '../../core/wait';
import type { ThreadResult } from './result';

export class ThreadMapIterator<T> implements AsyncIterable<T>, Disposable {
  private readonly _results: ThreadResult<T>[];
  private readonly _ordered: boolean;
  private _next = 0;
  private _unordered: IWait<ThreadResult<T>> | null = null;
  private _closed = false;

  /** @internal Made by ThreadPool.imap() and imapUnordered(). */
  constructor(results: ThreadResult<T>[], ordered: boolean) {
    this._results = results;
    this._ordered = ordered;
  }

  /**
   * The next value (`yield* it.next()` in a greenlet); a task's error is
   * raised when its turn comes, and ends the iteration.
   */
  next(): Task<IteratorResult<T, undefined>> {
    return nextTask(this) as Task<IteratorResult<T, undefined>>;
  }

  /** Stops iterating (the tasks themselves still run). */
  close(): void {
    this._closed = true;
    this._unordered?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return {
      next: () => run(() => this._step()),
      return: (): Promise<IteratorResult<T, undefined>> => {
        this.close();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  /** @internal */
  *_step(): Operation<IteratorResult<T, undefined>> {
    if (this._closed || this._next >= this._results.length) {
      this.close();
      return { done: true, value: undefined };
    }
    let result: ThreadResult<T>;
    if (this._ordered) {
      result = this._results[this._next];
    } else {
      this._unordered ??= iwait(this._results);
      const step = yield* this._unordered.next();
      if (step.done === true) {
        this.close();
        return { done: true, value: undefined };
      }
      result = step.value;
    }
    this._next++;
    try {
      return { done: false, value: yield* result.get() };
    } catch (error) {
      this.close();
      throw error;
    }
  }
}

const nextTask = awaitable(function* next<T>(it: ThreadMapIterator<T>): Operation<IteratorResult<T, undefined>> {
  return yield* it._step();
});
