// FdWatcher: an fd registered with the loop for its whole life,
// edge-triggered, for the socket layer. Readiness and waiting are bits in
// a byte shared with the addon (loop._fdState[id]): an I/O call tries the
// syscall while the READY bit is set and, on EAGAIN, clears it and sets
// WAIT; the addon wakes the waiter on the next edge. No call into the addon
// per wait.
import { READ, WRITE } from './constants';
import type { Loop } from './loop';
import { Watcher, type WatcherListener } from './watcher';

export const FD_READY_READ = 0x01;
export const FD_READY_WRITE = 0x02;
export const FD_WAIT_READ = 0x04;
export const FD_WAIT_WRITE = 0x08;
/** Sticky: the peer shut down its side; reads end at EOF. */
export const FD_EOF = 0x10;
/** Sticky: the socket failed; every call returns the error. */
export const FD_ERROR = 0x20;
/** Worth trying a read: ready, or at EOF, or failed. */
export const FD_READABLE = FD_READY_READ | FD_EOF | FD_ERROR;
/** Worth trying a write. */
export const FD_WRITABLE = FD_READY_WRITE | FD_ERROR;

export class FdWatcher extends Watcher {
  readonly kind = 'fd' as const;
  readonly fd: number;
  /** Who waits to read and to write (one of each at most). */
  _reader: WatcherListener | null = null;
  _writer: WatcherListener | null = null;

  /** @internal */
  constructor(loop: Loop, fd: number) {
    super(loop, loop._native.fdInit(fd));
    this.fd = fd;
    // Registered from now until close; liveness follows the waiters.
    this.ref = false;
    this._activate();
  }

  /** @internal The addon saw readiness this side waits for. */
  override _fire(revents: number): void {
    if ((revents & READ) !== 0 && this._reader !== null) this._reader._onWatcher(this, READ);
    if ((revents & WRITE) !== 0 && this._writer !== null) this._writer._onWatcher(this, WRITE);
  }

  /** @internal Fd watchers are never started with a callback. */
  override _startSyscall(): string {
    return 'epoll_ctl';
  }
}
