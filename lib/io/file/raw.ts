// The two ways a green File moves bytes:
// - FsRaw: Node's fs on the fd, run in libuv's thread pool (regular files
//   and block devices: they are always "ready", so readiness waits would
//   block the hub; gevent's FileObjectThread does the same in its pool);
// - PollRaw: non-blocking read/write on the fd, parking the greenlet on the
//   loop's edge-triggered fd watcher on EAGAIN (pipes, FIFOs, sockets,
//   terminals; gevent's FileObjectPosix).
import * as fs from 'node:fs';
import * as util from 'node:util';

import { ConcurrentObjectUseError } from '../../core/errors';
import type { Greenlet } from '../../core/greenlet';
import { getHub } from '../../core/hub';
import { SUSPEND, type Operation } from '../../core/operation';
import { untilOperation } from '../../core/until';
import { READ, WRITE } from '../../loop/constants';
import { systemError } from '../../loop/errors';
import { FD_READABLE, FD_READY_READ, FD_READY_WRITE, FD_WAIT_READ, FD_WAIT_WRITE, FD_WRITABLE, FdWatcher } from '../../loop/fd';
import { addon } from '../../loop/native';
import { cancelledError, ERRNO } from '../errors';

const sys = addon.syscalls;
const EAGAIN = -ERRNO.EAGAIN;

const fsRead = util.promisify(fs.read);
function fsWrite(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.write(fd, buffer, offset, length, position, (error, written) => (error !== null ? reject(error) : resolve(written)));
  });
}
const fsClose = util.promisify(fs.close);

/** @internal What File needs from an fd. */
export interface RawFile {
  readonly fd: number;
  readonly kind: 'fs' | 'poll';
  /** Reads up to `length` bytes into `buffer`; 0 at end of file. */
  readInto(buffer: Buffer, length: number): Operation<number>;
  /** Writes part of `data` from `offset`; returns the bytes written. */
  write(data: Buffer, offset: number): Operation<number>;
  /** Moves the position back `bytes` (read-ahead given back); false if it cannot. */
  rewind(bytes: number): boolean;
  close(): Operation<void>;
}

/** @internal fs in libuv's thread pool, with the position tracked here (pread/pwrite). */
export class FsRaw implements RawFile {
  readonly kind = 'fs' as const;
  private readonly _inflight = new Set<Promise<unknown>>();
  private _closed = false;

  /**
   * `position`: where reads and writes start (null: the kernel's position
   * of the fd, for fds shared with others, appends and unseekable files).
   * `append`: writes go to the end (the kernel's position afterwards).
   */
  constructor(
    readonly fd: number,
    private _position: number | null,
    private readonly _append: boolean,
    private readonly _closeFd: boolean,
  ) {}

  *readInto(buffer: Buffer, length: number): Operation<number> {
    const n = yield* this._run(fsRead(this.fd, buffer, 0, length, this._position).then((r) => r.bytesRead));
    if (this._position !== null) this._position += n;
    return n;
  }

  *write(data: Buffer, offset: number): Operation<number> {
    const position = this._append ? null : this._position;
    const n = yield* this._run(fsWrite(this.fd, data, offset, data.length - offset, position));
    if (this._append) this._position = null;
    else if (this._position !== null) this._position += n;
    return n;
  }

  rewind(bytes: number): boolean {
    if (this._position === null) return false;
    this._position -= bytes;
    return true;
  }

  *close(): Operation<void> {
    if (this._closed) return;
    this._closed = true;
    // An operation still running in the thread pool uses the fd: closing
    // it now could let a new file take its number under that operation.
    if (this._inflight.size > 0) yield* untilOperation(getHub(), Promise.allSettled([...this._inflight]));
    if (this._closeFd) yield* untilOperation(getHub(), fsClose(this.fd));
  }

  private *_run<T>(promise: Promise<T>): Operation<T> {
    this._inflight.add(promise);
    const forget = (): void => {
      this._inflight.delete(promise);
    };
    promise.then(forget, forget);
    return yield* untilOperation(getHub(), promise);
  }
}

/** @internal Non-blocking read/write with readiness waits on the loop. */
export class PollRaw implements RawFile {
  readonly kind = 'poll' as const;
  private _fdw: FdWatcher | null;

  /**
   * Makes `fd` non-blocking (for good: another holder of the same open
   * file sees it too) and registers it with the loop; throws EPERM for an
   * fd epoll cannot watch (a regular file, /dev/null). `closeFd`: ours to
   * close.
   */
  constructor(
    readonly fd: number,
    private readonly _closeFd: boolean,
  ) {
    this._fdw = new FdWatcher(getHub().loop, fd);
    const result = sys.setNonBlocking(fd, true);
    if (result < 0) {
      this._fdw.close();
      throw systemError(result, 'fcntl');
    }
  }

  *readInto(buffer: Buffer, length: number): Operation<number> {
    for (;;) {
      const fdw = this._open('read');
      const state = fdw.loop._fdState;
      if ((state[fdw._id] & FD_READABLE) !== 0) {
        const n = sys.read(this.fd, buffer, 0, length);
        if (n >= 0) return n;
        if (n !== EAGAIN) throw systemError(n, 'read');
        state[fdw._id] &= ~FD_READY_READ;
      }
      yield* this._wait(READ, 'read');
    }
  }

  *write(data: Buffer, offset: number): Operation<number> {
    for (;;) {
      const fdw = this._open('write');
      const state = fdw.loop._fdState;
      if ((state[fdw._id] & FD_WRITABLE) !== 0) {
        const n = sys.write(this.fd, data, offset, data.length - offset);
        if (n >= 0) {
          if (n < data.length - offset) state[fdw._id] &= ~FD_READY_WRITE;
          return n;
        }
        if (n !== EAGAIN) throw systemError(n, 'write');
        state[fdw._id] &= ~FD_READY_WRITE;
      }
      yield* this._wait(WRITE, 'write');
    }
  }

  rewind(): boolean {
    return false;
  }

  *close(): Operation<void> {
    const fdw = this._fdw;
    if (fdw === null) return;
    this._fdw = null;
    // A greenlet blocked on the fd hears EBADF, as with a socket.
    for (const waiter of [fdw._reader, fdw._writer]) {
      if (waiter !== null) (waiter as Greenlet)._throwLater(cancelledError());
    }
    fdw.close();
    if (this._closeFd) sys.close(this.fd);
  }

  private _open(syscall: string): FdWatcher {
    const fdw = this._fdw;
    if (fdw === null) throw systemError(-ERRNO.EBADF, syscall, { message: `EBADF: the file is closed, ${syscall}` });
    return fdw;
  }

  /** Parks the current greenlet until the fd is ready in `direction`. */
  private *_wait(direction: number, syscall: string): Operation<void> {
    const fdw = this._open(syscall);
    const greenlet = getHub()._currentGreenlet(`file ${syscall}`);
    const reading = direction === READ;
    const current = reading ? fdw._reader : fdw._writer;
    if (current !== null) throw new ConcurrentObjectUseError(`This file is already used by another greenlet: ${String(current)}`);
    if (reading) fdw._reader = greenlet;
    else fdw._writer = greenlet;
    const loop = fdw.loop;
    const waitBit = reading ? FD_WAIT_READ : FD_WAIT_WRITE;
    loop._fdState[fdw._id] |= waitBit;
    greenlet._waitingOn = fdw;
    loop._fdWaiting(1);
    try {
      yield SUSPEND;
    } finally {
      loop._fdWaiting(-1);
      if (reading) fdw._reader = null;
      else fdw._writer = null;
      if (!fdw.closed) loop._fdState[fdw._id] &= ~waitBit;
    }
  }
}
