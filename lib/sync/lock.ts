// Lock and RLock. Lock is a Semaphore of one unit whose release() on an
// unlocked lock is an error (threading.Lock). RLock is owned by the
// greenlet that acquired it, which may acquire it again (reentrant, one
// release per acquire); only the owner may release it.
import { getHub, type Hub } from '../core/hub';
import type { Greenlet, GreenletResult, ResultOf } from '../core/greenlet';
import type { TimeoutArg } from '../core/linkable';
import type { Operation, Task } from '../core/operation';
import { awaitable } from '../core/task';
import { NotHeldError } from './errors';
import { validateBlockOptions, type AcquireOptions } from './park';
import { Acquire, holdOn, Semaphore, type Holdable, type HoldOptions } from './semaphore';

export class Lock extends Semaphore {
  constructor() {
    super(1);
  }

  /** Unlocks; raises NotHeldError if the lock is not locked. Any greenlet may release it. */
  override release(): number {
    if (this._counter >= 1) throw new NotHeldError('cannot release un-acquired lock');
    return super.release();
  }
}

/** Who holds an RLock: a greenlet, or the hub for code outside greenlets. */
export type LockOwner = Greenlet | Hub;

function current(): LockOwner {
  const hub = getHub();
  return hub._running ?? hub;
}

export class RLock implements Holdable {
  /** @internal The one unit the owner holds. */
  readonly _block = new Semaphore(1);
  private _owner: LockOwner | null = null;
  /** @internal Acquisitions by the owner not yet released. */
  _count = 0;

  /** The greenlet holding the lock (the hub outside greenlets), or null. */
  get owner(): LockOwner | null {
    return this._owner;
  }

  /** Held by someone. */
  locked(): boolean {
    return this._owner !== null;
  }

  /** Held by the current greenlet (Python's `_is_owned()`). */
  isOwned(): boolean {
    return this._owner !== null && this._owner === current();
  }

  /**
   * Acquires the lock: at once (counting) if the current greenlet holds it
   * already, else like Semaphore.acquire() (FIFO, false without blocking
   * or on timeout).
   */
  acquire(options?: AcquireOptions): Task<boolean> {
    let blocking = true;
    let timeout: TimeoutArg;
    if (options !== undefined) {
      blocking = validateBlockOptions(options, 'blocking');
      timeout = options.timeout;
    }
    // The owner is who called acquire(): from async code that is the hub,
    // not the greenlet `await` runs the wait in.
    return rlockAcquireTask(this, blocking, timeout, current());
  }

  /** Releases one level; the last one unlocks. Raises NotHeldError unless the current greenlet holds it. */
  release(): void {
    if (this._owner === null || this._owner !== current()) {
      throw new NotHeldError('cannot release un-acquired lock: the current greenlet does not hold this RLock');
    }
    if (--this._count === 0) {
      this._owner = null;
      this._block.release();
    }
  }

  /** Runs `body` holding the lock, released in `finally` (see Semaphore.hold()). */
  hold<R extends GreenletResult>(body: () => R, options?: HoldOptions): Task<ResultOf<R>> {
    return holdOn(this, body, options);
  }

  /** @internal */
  _take(owner: LockOwner): void {
    this._owner = owner;
    this._count = 1;
  }

  toString(): string {
    return `<RLock ${this._owner === null ? 'unlocked' : `held ${this._count}x by ${String(this._owner)}`}>`;
  }
}

const rlockAcquireTask = awaitable(function* acquire(
  lock: RLock,
  blocking: boolean,
  timeout: TimeoutArg,
  me: LockOwner,
): Operation<boolean> {
  if (lock.owner === me) {
    lock._count++;
    return true;
  }
  if (!(yield* new Acquire(lock._block, blocking, timeout))) return false;
  lock._take(me);
  return true;
});
