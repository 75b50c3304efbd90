import { outOfRange, systemError } from './errors';
import type { Loop } from './loop';
import { addon } from './native';
import { validateFunction, validateNumber, validateSeconds } from './validate';
import { Watcher } from './watcher';

/** Answers the next wall-clock time (seconds since the epoch) after `now`. */
export type Reschedule = (watcher: PeriodicWatcher, now: number) => number;

/** Wall-clock time in seconds since the epoch (what periodic schedules use). */
export function wallClock(): number {
  return addon.wallClock();
}

/**
 * The schedule arithmetic, exposed for tests: the first time after `now` on
 * offset + k * interval, or `offset` itself when interval is 0.
 */
export function nextPeriodicTime(offset: number, interval: number, now: number): number {
  validateFiniteNumber('offset', offset);
  validateSeconds('interval', interval);
  validateFiniteNumber('now', now);
  return addon.periodicNext(offset, interval, now);
}

function validateFiniteNumber(name: string, value: unknown): asserts value is number {
  validateNumber(name, value);
  if (!Number.isFinite(value)) throw outOfRange(name, 'a finite number', value);
}

/**
 * A wall-clock schedule (libev's ev_periodic):
 * - interval > 0: fires at offset + k * interval of real time (offset 0,
 *   interval 3600: on every full hour);
 * - interval 0: fires once at the absolute time `offset`, then stops;
 * - with `reschedule`: fires at whatever time it answers, asked before each
 *   firing.
 * When the system clock jumps, the schedule follows the new time (Linux:
 * timerfd with TFD_TIMER_CANCEL_ON_SET); a relative timer would not.
 */
export class PeriodicWatcher extends Watcher {
  readonly kind = 'periodic' as const;
  private _offset: number;
  private _interval: number;
  private _reschedule: Reschedule | undefined;

  /** @internal */
  constructor(loop: Loop, offset: number, interval: number, reschedule: Reschedule | undefined) {
    validateFiniteNumber('offset', offset);
    validateSeconds('interval', interval);
    if (reschedule !== undefined) validateFunction('reschedule', reschedule);
    super(loop, loop._openNative().periodicInit(offset, interval, reschedule !== undefined));
    this._offset = offset;
    this._interval = interval;
    this._reschedule = reschedule;
  }

  get offset(): number {
    return this._offset;
  }

  get interval(): number {
    return this._interval;
  }

  get reschedule(): Reschedule | undefined {
    return this._reschedule;
  }

  /** The wall-clock time of the next firing (0 before the first start). */
  get at(): number {
    this._checkOpen();
    return this.loop._native.periodicAt(this._id);
  }

  /** Changes the schedule of an inactive watcher. */
  set(offset: number, interval = 0, reschedule?: Reschedule): void {
    validateFiniteNumber('offset', offset);
    validateSeconds('interval', interval);
    if (reschedule !== undefined) validateFunction('reschedule', reschedule);
    this._checkOpen();
    this.loop._native.periodicSet(this._id, offset, interval, reschedule !== undefined);
    this._offset = offset;
    this._interval = interval;
    this._reschedule = reschedule;
  }

  /** @internal */
  override _activate(): void {
    if (this._reschedule !== undefined) this._askNextTime();
    super._activate();
  }

  /** @internal */
  override _fire(revents: number): void {
    if (this._reschedule !== undefined && this._isActive) {
      try {
        this._askNextTime();
      } catch (error) {
        this.stop();
        this.loop._reportError(error, this);
        return;
      }
    }
    super._fire(revents);
  }

  private _askNextTime(): void {
    const at = (this._reschedule as Reschedule)(this, wallClock());
    validateFiniteNumber('the time reschedule returned', at);
    const result = this.loop._native.periodicSetAt(this._id, at);
    if (result !== 0) throw systemError(result, 'timerfd_settime');
  }

  /** @internal */
  override _startSyscall(): string {
    return 'timerfd_settime';
  }
}
