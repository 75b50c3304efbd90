import type { Loop } from './loop';
import { Watcher } from './watcher';

/**
 * Fires on every loop iteration while nothing else is due: an active idle
 * watcher keeps the loop from blocking.
 */
export class IdleWatcher extends Watcher {
  readonly kind = 'idle' as const;

  /** @internal */
  constructor(loop: Loop) {
    super(loop, loop._openNative().idleInit());
  }
}

/** Fires on every loop iteration just before the loop polls for I/O. */
export class PrepareWatcher extends Watcher {
  readonly kind = 'prepare' as const;

  /** @internal */
  constructor(loop: Loop) {
    super(loop, loop._openNative().prepareInit());
  }
}

/** Fires on every loop iteration just after the loop polled for I/O. */
export class CheckWatcher extends Watcher {
  readonly kind = 'check' as const;

  /** @internal */
  constructor(loop: Loop) {
    super(loop, loop._openNative().checkInit());
  }
}
