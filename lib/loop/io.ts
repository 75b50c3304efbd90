import { eventsToString, READ, WRITE } from './constants';
import { outOfRange } from './errors';
import type { Loop } from './loop';
import { validateInteger } from './validate';
import { Watcher } from './watcher';

function validateEvents(events: unknown): asserts events is number {
  validateInteger('events', events, 0, 0x7fffffff);
  if (events === 0 || (events & ~(READ | WRITE)) !== 0) throw outOfRange('events', 'READ, WRITE or READ | WRITE', events);
}

/**
 * Readiness of any file descriptor, level-triggered: while the fd is ready
 * and the watcher active, it fires on every loop iteration. Several watchers
 * may watch one fd. The fd must stay open while the watcher is active; an fd
 * that turns out closed stops the watcher with the ERROR bit set.
 */
export class IoWatcher extends Watcher {
  readonly kind = 'io' as const;
  private _fd: number;
  private _events: number;

  /** @internal */
  constructor(loop: Loop, fd: number, events: number) {
    validateInteger('fd', fd, 0, 0x7fffffff);
    validateEvents(events);
    super(loop, loop._openNative().ioInit(fd, events));
    this._fd = fd;
    this._events = events;
  }

  get fd(): number {
    return this._fd;
  }

  set fd(fd: number) {
    this.set(fd, this._events);
  }

  get events(): number {
    return this._events;
  }

  set events(events: number) {
    this.set(this._fd, events);
  }

  /** 'READ', 'WRITE' or 'READ|WRITE'. */
  get eventsString(): string {
    return eventsToString(this._events);
  }

  /** Changes the fd and events of an inactive watcher. */
  set(fd: number, events: number): void {
    validateInteger('fd', fd, 0, 0x7fffffff);
    validateEvents(events);
    this._checkOpen();
    this.loop._native.ioSet(this._id, fd, events);
    this._fd = fd;
    this._events = events;
  }

  /** @internal */
  override _startSyscall(): string {
    return 'fcntl';
  }

  /** @internal */
  override _onCallbackError(): void {
    if (this._isActive) this.stop();
  }
}
