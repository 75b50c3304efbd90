// The exceptions of the sync primitives, with gevent's (and Python's queue
// and threading modules') meanings. Each carries a `code` like Node's own
// errors, so callers can test it without importing the class.

/** get() on an empty queue without blocking, or when its timeout passed. */
export class Empty extends Error {
  readonly code = 'ERR_QUEUE_EMPTY';
  constructor(message = 'the queue is empty') {
    super(message);
    this.name = 'Empty';
  }
}

/** put() on a full queue without blocking, or when its timeout passed. */
export class Full extends Error {
  readonly code: string = 'ERR_QUEUE_FULL';
  constructor(message = 'the queue is full') {
    super(message);
    this.name = 'Full';
  }
}

/** put() after shutdown(), or get() on a shut-down queue with nothing left. */
export class ShutDown extends Error {
  readonly code = 'ERR_QUEUE_SHUT_DOWN';
  constructor(message = 'the queue is shut down') {
    super(message);
    this.name = 'ShutDown';
  }
}

/** Pool.add() without blocking on a full pool, or when its timeout passed (a Full). */
export class PoolFull extends Full {
  override readonly code = 'ERR_POOL_FULL';
  constructor(message = 'the pool is full') {
    super(message);
    this.name = 'PoolFull';
  }
}

/**
 * Releasing a Lock that is not locked, or an RLock the current greenlet
 * does not hold (Python's RuntimeError for these).
 */
export class NotHeldError extends Error {
  readonly code = 'ERR_LOCK_NOT_HELD';
  constructor(message = 'cannot release un-acquired lock') {
    super(message);
    this.name = 'NotHeldError';
  }
}

/**
 * More releases than acquisitions: BoundedSemaphore.release() beyond its
 * initial value, Queue.taskDone() with no unfinished task (Python's
 * ValueError for these).
 */
export class OverReleaseError extends Error {
  readonly code = 'ERR_OVER_RELEASE';
  constructor(message = 'Semaphore released too many times') {
    super(message);
    this.name = 'OverReleaseError';
  }
}
