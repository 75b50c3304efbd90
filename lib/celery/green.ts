// The Celery layer's I/O is promise-based (ioredis); greenlets wait on it
// with until(). `later` makes such a wait an operation that starts the
// promise only when it is run (yield* or await), so an operation that is
// made and dropped never leaves a rejected promise behind.
import type { Operation, Task } from '../core/operation';
import { awaitable } from '../core/task';
import { until } from '../core/until';

const laterTask = awaitable(function* later(make: () => PromiseLike<unknown>): Operation<unknown> {
  return yield* until(make());
});

/** An operation (also awaitable) that calls `make()` when run and waits for its promise. */
export function later<T>(make: () => PromiseLike<T>): Task<T> {
  return laterTask(make) as Task<T>;
}
