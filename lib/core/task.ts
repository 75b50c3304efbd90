// Making operations awaitable from plain async code, and running a
// greenlet to a Promise.
import { Greenlet, type GreenletBody, type GreenletResult, type ResultOf } from './greenlet';
import type { Operation, Suspend, Task } from './operation';

/**
 * Makes the generators `genFn` returns thenable: awaiting one runs it in a
 * new greenlet (one that hears LoopExit, as gevent's main greenlet does).
 * Costs nothing when the generator is `yield*`-ed instead.
 */
export function awaitable<A extends unknown[], T>(
  genFn: (...args: A) => Generator<Suspend, T, unknown> | Operation<T>,
): (...args: A) => Task<T> {
  const prototype = (genFn as unknown as { prototype: { then?: unknown } }).prototype;
  prototype.then = function then(
    this: Operation<T>,
    onfulfilled?: ((value: T) => unknown) | null,
    onrejected?: ((reason: unknown) => unknown) | null,
  ): Promise<unknown> {
    return awaitOperation(this, onfulfilled, onrejected);
  };
  return genFn as unknown as (...args: A) => Task<T>;
}

/**
 * A task that is already done: its own iterator (`yield*` costs one call,
 * no allocation but the result), resolving at once when awaited.
 */
class Completed<T> implements Task<T>, Iterator<Suspend, T, unknown> {
  constructor(private readonly _value: T) {}

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<Suspend, T> {
    return { done: true, value: this._value };
  }

  // With return() and throw() it is a whole iterator, so a greenlet body
  // returning one is driven (to its value) like any operation.
  return(value?: T): IteratorResult<Suspend, T> {
    return { done: true, value: value as T };
  }

  throw(error?: unknown): IteratorResult<Suspend, T> {
    throw error;
  }

  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): PromiseLike<R1 | R2> {
    return Promise.resolve(this._value).then(onfulfilled, onrejected);
  }
}

/** A task that is already done: yields nothing, resolves at once. */
export function completed<T>(value: T): Task<T> {
  return new Completed(value);
}

/**
 * `then()` of an operation awaited from async code: runs it in a new
 * greenlet. Every awaitable operation, generator or hand-written, uses it.
 */
export function awaitOperation<T, R1 = T, R2 = never>(
  operation: Operation<T>,
  onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
  onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
): Promise<R1 | R2> {
  return run(() => operation).then(onfulfilled, onrejected) as Promise<R1 | R2>;
}

/**
 * Runs `fn(...args)` in a new greenlet and resolves with its result (or
 * rejects with its error). The bridge from async code into greenlets: if
 * the greenlet waits on something nothing can wake, it gets LoopExit.
 */
export function run<A extends unknown[], R extends GreenletResult>(fn: GreenletBody<A, R>, ...args: A): Promise<ResultOf<R>> {
  const greenlet = new Greenlet<ResultOf<R>>(fn as () => ResultOf<R>, ...args);
  greenlet._awaited = true;
  greenlet.hub._awaited.add(greenlet);
  greenlet.start();
  return greenlet.then();
}
