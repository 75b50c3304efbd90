// The hub's exceptions, with gevent's meanings. JS has no BaseException:
// every class here is an Error, so `catch (e)` sees them all; code that
// must not swallow a kill or a timeout checks `e instanceof GreenletExit`
// or `timeout.owns(e)` and rethrows.

/** Raised inside a greenlet to end it (kill's default); counts as success. */
export class GreenletExit extends Error {
  constructor(message = 'GreenletExit') {
    super(message);
    this.name = 'GreenletExit';
  }
}

/** A greenlet waited on something nothing can ever wake. */
export class LoopExit extends Error {
  /** What each blocked greenlet was waiting on when the hub gave up. */
  readonly blocked: readonly string[];
  constructor(message: string, blocked: readonly string[] = []) {
    super(message);
    this.name = 'LoopExit';
    this.blocked = blocked;
  }
}

/** A waiting greenlet was resumed by something other than what it waits on. */
export class InvalidSwitchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSwitchError';
  }
}

/** Two greenlets tried to wait on the same object (a socket, a watcher) at once. */
export class ConcurrentObjectUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConcurrentObjectUseError';
  }
}

/** A blocking operation ran outside a greenlet (in a loop callback or plain JS). */
export class BlockingSwitchOutError extends Error {
  constructor(message = 'Impossible to call blocking function in the event loop callback') {
    super(message);
    this.name = 'BlockingSwitchOutError';
  }
}
