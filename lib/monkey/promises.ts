// The promises patch: Promise.prototype[Symbol.iterator], so that a greenlet
// can `yield*` any promise (`const rows = yield* db.query(sql)`) and
// promise-based libraries work from greenlets unchanged. The iterator is
// until()'s wait itself: no extra generator level per wait.
import { BlockingSwitchOutError } from '../core/errors';
import { getHub } from '../core/hub';
import type { Suspend } from '../core/operation';
import { untilOperation } from '../core/until';

// What was there before (normally nothing), restored exactly by unpatch.
let saved: PropertyDescriptor | undefined | null = null;

function promiseIterator<T>(this: PromiseLike<T>): Iterator<Suspend, Awaited<T>, unknown> {
  const hub = getHub();
  if (hub._running === null) {
    // Also what spreading or Array.from() of a promise gets outside greenlets.
    throw new BlockingSwitchOutError(
      'A promise is iterable only to be yield*-ed inside a greenlet (greenhub monkey patch "promises"); ' +
        'use await or then() elsewhere',
    );
  }
  return untilOperation(hub, this)[Symbol.iterator]() as Iterator<Suspend, Awaited<T>, unknown>;
}

/** @internal */
export function isPromisesPatched(): boolean {
  return saved !== null;
}

/** @internal Installs the iterator; false if it was installed already. */
export function patchPromises(): boolean {
  if (saved !== null) return false;
  saved = Object.getOwnPropertyDescriptor(Promise.prototype, Symbol.iterator);
  // Not enumerable, as built-in iterators are: for...in and Object.keys()
  // of a promise see nothing new.
  Object.defineProperty(Promise.prototype, Symbol.iterator, {
    value: promiseIterator,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  return true;
}

/** @internal Restores what was there; false if the patch was not on. */
export function unpatchPromises(): boolean {
  if (saved === null) return false;
  if (saved === undefined) delete (Promise.prototype as unknown as Record<symbol, unknown>)[Symbol.iterator];
  else Object.defineProperty(Promise.prototype, Symbol.iterator, saved);
  saved = null;
  return true;
}
