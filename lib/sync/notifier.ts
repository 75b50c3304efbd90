// What every sync primitive builds on: core's Linkable (the one FIFO of
// links, notified through the hub's callback queue), with each
// notification pass bounded to the links present when it starts.
//
// Why the bound: core's Linkable visits links added during a pass in that
// same pass. For a Semaphore or a queue that is a livelock: two greenlets
// doing `acquire(); release()` in a loop re-link behind each other and the
// pass never returns to the hub, so timers and I/O starve. gevent stops
// each pass at the last link that was there when it began and schedules
// another pass for the rest; so does this class. A later pass is one more
// turn of the hub's FIFO queue, which the switch interval bounds.
import { Linkable } from '../core/linkable';

/** @internal */
export abstract class Notifier extends Linkable {
  // Links this pass may still fire (those present when it started).
  private _budget = 0;
  // A pass is queued (mirrors core's flag, which is private).
  private _queued = false;
  // A pass is running.
  private _passing = false;

  /** @internal A notification is queued or running. */
  get _notifying(): boolean {
    return this._queued || this._passing;
  }

  /** @internal */
  override _scheduleNotify(): void {
    if (this._queued || this.linkcount() === 0) return;
    this._queued = true;
    super._scheduleNotify();
  }

  /** @internal From the callback queue: one bounded pass. */
  override _runQueued(): void {
    this._queued = false;
    this._budget = this.linkcount();
    this._passing = true;
    try {
      this._notifyLinks();
    } finally {
      this._passing = false;
      this._budget = 0;
    }
    // Links that came during the pass get the next one, if still due.
    if (this._notifyAgain()) this._scheduleNotify();
  }

  /** @internal Fire the next link: one of this pass's, while ready. */
  override _keepNotifying(): boolean {
    return this._budgetLeft() && this.ready();
  }

  /** @internal Takes one link from this pass's budget; false when none is left. */
  _budgetLeft(): boolean {
    return this._budget-- > 0;
  }

  /** @internal Whether links left after a pass deserve another. */
  _notifyAgain(): boolean {
    return this.ready();
  }
}
