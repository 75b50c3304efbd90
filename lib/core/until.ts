// until(promise): a greenlet waits for any Promise (or thenable).
import type { Hub } from './hub';
import { getHub } from './hub';
import { isThenable, SUSPEND, type Operation, type Suspend, type Task } from './operation';
import { awaitable } from './task';

class PromiseWait {
  settled = false;
  ok = false;
  result: unknown = undefined;
  counted = true;

  _describeWait(): string {
    return 'a promise (until())';
  }
}

function* untilGenerator<T>(hub: Hub, promise: PromiseLike<T> | T): Generator<Suspend, T, unknown> {
  if (!isThenable(promise)) return promise;
  const greenlet = hub._currentGreenlet('until()');
  const wait = new PromiseWait();
  hub._pendingPromises++;
  const settle = (ok: boolean, result: unknown): void => {
    if (wait.settled) return;
    wait.settled = true;
    wait.ok = ok;
    wait.result = result;
    if (wait.counted) {
      wait.counted = false;
      hub._pendingPromises--;
    }
    // Resume through the hub's queue, in FIFO order with everything else.
    hub.loop._schedule({ _runQueued: () => greenlet._wake(wait, undefined) });
  };
  promise.then(
    (value) => settle(true, value),
    (error: unknown) => settle(false, error),
  );
  greenlet._waitingOn = wait;
  try {
    yield SUSPEND;
    // Only the hub resumes a waiting greenlet, and only once it settled;
    // anything else drove this iterator by hand (spread, Array.from).
    if (!wait.settled) {
      throw Object.assign(
        new TypeError('a promise wait was resumed before the promise settled: only yield* it inside a greenlet'),
        { code: 'ERR_INVALID_STATE' },
      );
    }
  } finally {
    if (wait.counted) {
      // Abandoned (killed, timed out) before the promise settled.
      wait.counted = false;
      hub._pendingPromises--;
    }
  }
  if (wait.ok) return wait.result as T;
  throw wait.result;
}

/** @internal until() for a given hub, as an operation. */
export function untilOperation<T>(hub: Hub, promise: PromiseLike<T> | T): Operation<T> {
  return untilGenerator(hub, promise);
}

const untilTask = awaitable(function* until(promise: unknown): Operation<unknown> {
  return yield* untilOperation(getHub(), promise);
});

/**
 * Waits inside a greenlet for a Promise (or any thenable) and returns its
 * value or raises its rejection. A non-thenable value is returned as is.
 */
export function until<T>(promise: PromiseLike<T> | T): Task<Awaited<T>> {
  return untilTask(promise) as Task<Awaited<T>>;
}
