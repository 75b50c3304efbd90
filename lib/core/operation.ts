// Operations: what greenlets `yield*`. An operation is any iterable whose
// only yielded value is the hub's switch token (SUSPEND) and whose return
// value is the result; the yield type is branded, so `yield op` (instead of
// `yield* op`) does not type-check.

declare const suspendBrand: unique symbol;

/** The opaque token a blocked greenlet yields to the hub. */
export interface Suspend {
  readonly [suspendBrand]: true;
}

/** @internal The one instance of the token. */
export const SUSPEND = Object.freeze({
  toString(): string {
    return '[greenhub switch token]';
  },
}) as unknown as Suspend;

/** A blocking step: `const result = yield* op` inside a greenlet. */
export interface Operation<T> extends Iterable<Suspend, T, unknown> {}

/** An operation that plain async code can also `await`. */
export interface Task<T> extends Operation<T>, PromiseLike<T> {}

/** A generator function body of a greenlet or operation. */
export type OperationFunction<A extends unknown[], T> = (...args: A) => Operation<T>;

/** Whether `value` is an iterator a greenlet can drive. */
export function isIterator(value: unknown): value is Iterator<unknown, unknown, unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { next?: unknown }).next === 'function' &&
    typeof (value as { throw?: unknown }).throw === 'function'
  );
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
