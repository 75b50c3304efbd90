import type { Loop } from './loop';
import { addon } from './native';
import { validateInteger } from './validate';
import { Watcher } from './watcher';

/**
 * Wakes the loop from anywhere: send() on this thread, or sendAsync(token)
 * from any thread (worker_threads included). Sends coalesce: several before
 * the loop turns fire once. Sends while the watcher is stopped are dropped.
 */
export class AsyncWatcher extends Watcher {
  readonly kind = 'async' as const;

  /** @internal */
  constructor(loop: Loop) {
    super(loop, loop._openNative().asyncInit());
  }

  send(): void {
    this._checkOpen();
    this.loop._native.asyncSend(this._id);
  }

  /**
   * A number that names this watcher in every thread of the process: pass
   * it to a worker and call sendAsync(token) there.
   */
  get token(): number {
    this._checkOpen();
    return this.loop._native.asyncToken(this._id);
  }

  /** @internal */
  override _startSyscall(): string {
    return 'eventfd';
  }
}

/**
 * Sends to the async watcher a token names, from any thread. Returns false
 * when that watcher is closed.
 */
export function sendAsync(token: number): boolean {
  // Tokens count up from 1; anything else is a mistake, not a closed watcher.
  validateInteger('token', token, 1, Number.MAX_SAFE_INTEGER);
  return addon.asyncSend(token);
}
