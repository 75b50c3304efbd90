import { invalidArgType, systemError } from './errors';
import type { Loop } from './loop';
import { validateSeconds } from './validate';
import { Watcher, type Delivered } from './watcher';

/**
 * Fires `after` seconds from the loop's cached time (see loop.updateNow()),
 * then every `repeat` seconds while repeat > 0. A one-shot timer stops
 * itself when it fires. Resolution: 1 ms on the uv backend.
 */
export class TimerWatcher extends Watcher {
  readonly kind = 'timer' as const;
  private _after: number;
  private _repeat: number;

  /** @internal */
  constructor(loop: Loop, after: number, repeat: number) {
    validateSeconds('after', after);
    validateSeconds('repeat', repeat);
    super(loop, loop._openNative().timerInit(after, repeat));
    this._after = after;
    this._repeat = repeat;
  }

  get after(): number {
    return this._after;
  }

  get repeat(): number {
    return this._repeat;
  }

  /** Changes the timing of an inactive timer. */
  set(after: number, repeat = 0): void {
    validateSeconds('after', after);
    validateSeconds('repeat', repeat);
    this._checkOpen();
    this.loop._native.timerSet(this._id, after, repeat);
    this._after = after;
    this._repeat = repeat;
  }

  /**
   * libev's ev_timer_again: a repeating timer restarts with `repeat` as its
   * timeout, starting if needed (a callback is then required); a
   * non-repeating timer stops. Clears a pending event.
   */
  again<T extends unknown[]>(callback?: (...args: Delivered<T>) => unknown, ...args: T): void {
    this._checkOpen();
    if (callback !== undefined) {
      this._setCallback(callback as (...args: unknown[]) => unknown, args);
    } else if (!this._isActive && this.callback === null && this._listener === null) {
      throw invalidArgType('callback', 'of type function (the timer is not active)', callback);
    }
    if (this._repeat === 0) {
      if (this._isActive) {
        this.loop._native.stop(this._id);
        this._deactivate();
      }
      return;
    }
    const result = this.loop._native.timerAgain(this._id);
    if (result !== 0) throw systemError(result, 'uv_timer_start');
    this.loop._forgetPending(this);
    if (!this._isActive) this._markActive();
  }

  /** Seconds until the timer fires; 0 when inactive. */
  get remaining(): number {
    this._checkOpen();
    return this._isActive ? this.loop._native.timerRemaining(this._id) : 0;
  }
}
