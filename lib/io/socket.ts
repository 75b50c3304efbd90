// Cooperative sockets on raw file descriptors: TCP over IPv4/IPv6, UDP, Unix
// stream and datagram sockets. Every call tries the non-blocking syscall
// first; only EAGAIN parks the greenlet, on the socket's edge-triggered fd
// watcher (lib/loop/fd.ts), until the loop reports readiness.
import * as dns from 'node:dns';
import { performance } from 'node:perf_hooks';

import { getHub } from '../core/hub';
import { ConcurrentObjectUseError } from '../core/errors';
import type { Greenlet } from '../core/greenlet';
import { SUSPEND, type Operation, type Task } from '../core/operation';
import { awaitable } from '../core/task';
import { untilOperation } from '../core/until';
import { READ, WRITE } from '../loop/constants';
import { invalidArgType, invalidArgValue, outOfRange } from '../loop/errors';
import { FD_READABLE, FD_READY_READ, FD_READY_WRITE, FD_WAIT_READ, FD_WAIT_WRITE, FD_WRITABLE, FdWatcher } from '../loop/fd';
import type { Loop } from '../loop/loop';
import { addon } from '../loop/native';
import { TimerWatcher } from '../loop/timer';
import { validateInteger } from '../loop/validate';
import { internalWatcher, type Watcher, type WatcherListener } from '../loop/watcher';
import {
  bindHost,
  familyName,
  familyNumber,
  fromNative,
  isLiteral,
  validateAddress,
  type Address,
  type SocketFamily,
} from './address';
import { cancelledError, closedError, ERRNO, SocketTimeout, socketError } from './errors';

const sys = addon.syscalls;
const C = sys.constants;
const EAGAIN = -ERRNO.EAGAIN;
const EINPROGRESS = -ERRNO.EINPROGRESS;

export type SocketType = 'stream' | 'dgram';

export interface SocketOptions {
  /** 'inet' (IPv4, the default), 'inet6' or 'unix'. */
  family?: SocketFamily;
  /** 'stream' (TCP, the default) or 'dgram' (UDP). */
  type?: SocketType;
  /** Adopt this open fd instead of making a socket (it is made non-blocking). */
  fd?: number;
  /** Seconds each blocking call may take; null (the default) waits forever. */
  timeout?: number | null;
}

/** Socket option names for setsockopt/getsockopt. */
export const constants: Readonly<Record<string, number>> = Object.freeze({ ...C });

function validateTimeout(name: string, value: unknown): asserts value is number | null {
  if (value === null) return;
  if (typeof value !== 'number') throw invalidArgType(name, 'a number of seconds or null', value);
  if (!Number.isFinite(value) || value < 0) throw outOfRange(name, 'a finite number >= 0, or null', value);
}

function toBuffer(name: string, data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === 'string') return Buffer.from(data);
  throw invalidArgType(name, 'a Buffer, Uint8Array or string', data);
}

export class Socket implements Disposable {
  /** Option names for setsockopt/getsockopt (SOL_SOCKET, SO_REUSEADDR, TCP_NODELAY...). */
  static readonly constants = constants;
  readonly family: SocketFamily;
  readonly type: SocketType;
  /** @internal */ _fd: number;
  /** @internal */ _fdw: FdWatcher | null;
  /** @internal */ _timeout: number | null = null;
  /** @internal */ readonly _stream: boolean;
  private _readTimer: WaitTimer | null = null;
  private _writeTimer: WaitTimer | null = null;

  constructor(options: SocketOptions = {}) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const family = options.family ?? 'inet';
    if (family !== 'inet' && family !== 'inet6' && family !== 'unix') {
      throw invalidArgValue('options.family', "must be 'inet', 'inet6' or 'unix'", family);
    }
    const type = options.type ?? 'stream';
    if (type !== 'stream' && type !== 'dgram') throw invalidArgValue('options.type', "must be 'stream' or 'dgram'", type);
    this.family = family;
    this.type = type;
    this._stream = type === 'stream';
    let fd: number;
    if (options.fd !== undefined) {
      validateInteger('options.fd', options.fd, 0, 0x7fffffff);
      fd = options.fd;
      const result = sys.setNonBlocking(fd, true);
      if (result < 0) throw socketError(result, 'fcntl');
    } else {
      fd = sys.socket(familyNumber(family), type === 'stream' ? C.SOCK_STREAM : C.SOCK_DGRAM, 0);
      if (fd < 0) throw socketError(fd, 'socket');
    }
    this._fd = fd;
    try {
      this._fdw = new FdWatcher(getHub().loop, fd);
      if (this._stream && family !== 'unix') sys.setsockopt(fd, C.IPPROTO_TCP, C.TCP_NODELAY, 1);
    } catch (error) {
      this._fdw = null;
      if (options.fd === undefined) sys.close(fd);
      throw error;
    }
    if (options.timeout !== undefined) this.settimeout(options.timeout);
  }

  /** Wraps an open fd (a socket another library made, or one inherited). */
  static fromFd(fd: number, options: Omit<SocketOptions, 'fd'> = {}): Socket {
    return new Socket({ ...options, fd });
  }

  /** A connected pair of Unix sockets. */
  static pair(type: SocketType = 'stream'): [Socket, Socket] {
    const [a, b] = sys.socketpair(C.AF_UNIX, type === 'stream' ? C.SOCK_STREAM : C.SOCK_DGRAM);
    return [new Socket({ family: 'unix', type, fd: a }), new Socket({ family: 'unix', type, fd: b })];
  }

  /** The file descriptor (-1 once closed). */
  fileno(): number {
    return this._fdw === null ? -1 : this._fd;
  }

  get closed(): boolean {
    return this._fdw === null;
  }

  /**
   * Seconds each blocking call (connect, accept, recv, send...) may take
   * before it raises SocketTimeout; null waits forever; 0 never waits (a
   * call that would block raises EAGAIN). sendall's limit is for the whole
   * data, as in Python 3.
   */
  settimeout(seconds: number | null): void {
    validateTimeout('seconds', seconds);
    this._timeout = seconds;
  }

  gettimeout(): number | null {
    return this._timeout;
  }

  /** setblocking(false) is settimeout(0); setblocking(true) is settimeout(null). */
  setblocking(flag: boolean): void {
    this._timeout = flag ? null : 0;
  }

  bind(address: Address): void {
    const checked = validateAddress('address', this.family, address);
    const fdw = this._open('bind');
    void fdw;
    const [host, port] = typeof checked === 'string' ? [checked, 0] : [bindHost(this.family, checked[0]), checked[1]];
    const result = sys.bind(this._fd, familyNumber(this.family), host, port);
    if (result < 0) throw socketError(result, 'bind');
  }

  listen(backlog = 128): void {
    validateInteger('backlog', backlog, 0, 0x7fffffff);
    this._open('listen');
    const result = sys.listen(this._fd, backlog);
    if (result < 0) throw socketError(result, 'listen');
  }

  /** Connects (resolving a host name first); raises on failure. */
  connect(address: Address): Task<void> {
    const checked = validateAddress('address', this.family, address);
    this._open('connect');
    return connectTask(this, checked) as Task<void>;
  }

  /** Like connect(), but returns 0 or the errno instead of raising. */
  connectEx(address: Address): Task<number> {
    const checked = validateAddress('address', this.family, address);
    this._open('connect');
    return connectExTask(this, checked);
  }

  /** Waits for a connection: [the new socket, the peer's address]. */
  accept(): Task<[Socket, Address]> {
    this._open('accept');
    return acceptTask(this);
  }

  /** Up to `size` bytes; an empty Buffer at end of stream. */
  recv(size: number): Task<Buffer> {
    validateInteger('size', size, 0, 0x7fffffff);
    this._open('recv');
    return recvTask(this, size);
  }

  /** Reads into `buffer` (up to `nbytes`); returns the count, 0 at end of stream. */
  recvInto(buffer: Uint8Array, nbytes?: number): Task<number> {
    if (!(buffer instanceof Uint8Array)) throw invalidArgType('buffer', 'a Buffer or Uint8Array', buffer);
    const length = nbytes ?? buffer.length;
    validateInteger('nbytes', length, 0, buffer.length);
    this._open('recv');
    return recvIntoTask(this, buffer, length);
  }

  /** Sends once (part of `data` may be left); returns the bytes sent. */
  send(data: Uint8Array | string): Task<number> {
    const buffer = toBuffer('data', data);
    this._open('send');
    return sendTask(this, buffer);
  }

  /** Sends all of `data`, waiting as needed; raises if the socket fails first. */
  sendall(data: Uint8Array | string): Task<void> {
    const buffer = toBuffer('data', data);
    this._open('send');
    return sendallTask(this, buffer, 0);
  }

  /** A datagram (or up to `size` bytes) and who sent it. */
  recvfrom(size: number): Task<[Buffer, Address]> {
    validateInteger('size', size, 0, 0x7fffffff);
    this._open('recvfrom');
    return recvfromTask(this, size);
  }

  /** Reads a datagram into `buffer` (up to `nbytes`): the count and who sent it. */
  recvfromInto(buffer: Uint8Array, nbytes?: number): Task<[number, Address]> {
    if (!(buffer instanceof Uint8Array)) throw invalidArgType('buffer', 'a Buffer or Uint8Array', buffer);
    const length = nbytes ?? buffer.length;
    validateInteger('nbytes', length, 0, buffer.length);
    this._open('recvfrom');
    return recvfromIntoTask(this, buffer, length);
  }

  /** Sends a datagram to `address`. */
  sendto(data: Uint8Array | string, address: Address): Task<number> {
    const buffer = toBuffer('data', data);
    const checked = validateAddress('address', this.family, address);
    this._open('sendto');
    return sendtoTask(this, buffer, checked);
  }

  /** Shuts down reading, writing or both ('read' | 'write' | 'both'). */
  shutdown(how: 'read' | 'write' | 'both' = 'both'): void {
    const value = how === 'read' ? C.SHUT_RD : how === 'write' ? C.SHUT_WR : how === 'both' ? C.SHUT_RDWR : -1;
    if (value < 0) throw invalidArgValue('how', "must be 'read', 'write' or 'both'", how);
    this._open('shutdown');
    const result = sys.shutdown(this._fd, value);
    if (result < 0) throw socketError(result, 'shutdown');
  }

  setsockopt(level: number, name: number, value: number | boolean): void {
    validateInteger('level', level, 0, 0x7fffffff);
    validateInteger('name', name, 0, 0x7fffffff);
    const number = typeof value === 'boolean' ? Number(value) : value;
    validateInteger('value', number, -0x80000000, 0x7fffffff);
    this._open('setsockopt');
    sys.setsockopt(this._fd, level, name, number);
  }

  getsockopt(level: number, name: number): number {
    validateInteger('level', level, 0, 0x7fffffff);
    validateInteger('name', name, 0, 0x7fffffff);
    this._open('getsockopt');
    return sys.getsockopt(this._fd, level, name);
  }

  getsockname(): Address {
    this._open('getsockname');
    return fromNative(sys.getsockname(this._fd));
  }

  getpeername(): Address {
    this._open('getpeername');
    return fromNative(sys.getpeername(this._fd));
  }

  /**
   * Closes the socket. Greenlets waiting on it get EBADF ("closed in
   * another greenlet"); later calls raise EBADF. Closing twice is fine.
   */
  close(): void {
    const fdw = this._fdw;
    if (fdw === null) return;
    this._fdw = null;
    for (const waiter of [fdw._reader, fdw._writer]) {
      if (waiter !== null) (waiter as Greenlet)._throwLater(cancelledError());
    }
    fdw.close();
    this._readTimer?.close();
    this._writeTimer?.close();
    sys.close(this._fd);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    return `<Socket ${this.family}/${this.type} fd=${this.fileno()}>`;
  }

  /** @internal The fd watcher of an open socket, or EBADF. */
  _open(syscall: string): FdWatcher {
    const fdw = this._fdw;
    if (fdw === null) throw closedError(syscall);
    return fdw;
  }

  /** @internal The deadline (performance.now() ms) for a call starting now; 0: none. */
  _deadline(): number {
    return this._timeout === null ? 0 : performance.now() + this._timeout * 1000;
  }

  /** @internal The timer for waits in `direction` (made on first use). */
  _timer(direction: number): WaitTimer {
    let timer = direction === READ ? this._readTimer : this._writeTimer;
    if (timer === null) {
      timer = new WaitTimer(getHub().loop);
      if (direction === READ) this._readTimer = timer;
      else this._writeTimer = timer;
    }
    return timer;
  }
}

/**
 * The timer of a socket's waits in one direction, re-armed lazily. A wait
 * whose deadline is no earlier than the armed firing leaves the timer as it
 * is, and a wait that ends leaves it armed; when it fires, it times out the
 * waiter whose deadline has come, re-arms for a later deadline, or does
 * nothing when no one waits. A server waiting on each connection under a
 * deadline that moves forward with every request (keep-alive) so starts and
 * stops no timer per wait: it fires at most once per timeout per socket.
 * Unref'd: a wait keeps the loop alive by itself (loop._fdWaiting), and an
 * armed timer with no waiter must not.
 */
class WaitTimer implements WatcherListener {
  readonly watcher: TimerWatcher;
  /** performance.now() ms at which the armed timer fires; 0 when it is not armed. */
  private _firesAt = 0;
  /** The deadline of the wait in progress. */
  private _deadline = 0;
  private _waiter: WatcherListener | null = null;

  constructor(loop: Loop) {
    this.watcher = internalWatcher(() => new TimerWatcher(loop, 0, 0));
    this.watcher.ref = false;
  }

  /** Times a wait of `waiter` until `deadline` (performance.now() ms, later than `now`). */
  wait(waiter: WatcherListener, deadline: number, now: number): void {
    this._waiter = waiter;
    this._deadline = deadline;
    const firesAt = this._firesAt;
    if (firesAt !== 0) {
      if (firesAt <= deadline) return;
      this.watcher.stop();
    }
    this._arm(deadline, now);
  }

  /** The wait ended, one way or another. */
  done(): void {
    this._waiter = null;
  }

  close(): void {
    this.watcher.close();
  }

  private _arm(deadline: number, now: number): void {
    const watcher = this.watcher;
    watcher.set((deadline - now) / 1000, 0);
    watcher._startFor(this);
    this._firesAt = deadline;
  }

  /** @internal The timer fired. */
  _onWatcher(watcher: Watcher, revents: number): void {
    this._firesAt = 0;
    const waiter = this._waiter;
    if (waiter === null) return;
    const now = performance.now();
    // The timer counts whole milliseconds: within one of the deadline is the deadline.
    if (this._deadline - now > 1) this._arm(this._deadline, now);
    else waiter._onWatcher(watcher, revents);
  }
}

/**
 * Parks the current greenlet until the socket is ready in `direction`
 * (READ or WRITE) or `deadline` passes (SocketTimeout). One reader and one
 * writer at a time: a second one is ConcurrentObjectUseError.
 */
function* waitReady(sock: Socket, direction: number, deadline: number, syscall: string, now = 0): Operation<void> {
  const fdw = beginWait(sock, direction, deadline, syscall, now);
  let wokenBy: unknown;
  try {
    wokenBy = yield SUSPEND;
  } finally {
    endWait(sock, fdw, direction, deadline);
  }
  if (timedOut(sock, direction, deadline, wokenBy)) throw new SocketTimeout();
}

/**
 * @internal waitReady() in pieces, for a caller that yields SUSPEND itself
 * (one generator less on its stack, at every switch in and out):
 *
 *   const fdw = beginWait(sock, READ, deadline, 'recv', now);
 *   let wokenBy: unknown;
 *   try { wokenBy = yield SUSPEND; } finally { endWait(sock, fdw, READ, deadline); }
 *   if (timedOut(sock, READ, deadline, wokenBy)) ...
 *
 * Raises SocketTimeout at once when `deadline` has passed.
 */
export function beginWait(sock: Socket, direction: number, deadline: number, syscall: string, now = 0): FdWatcher {
  const fdw = sock._open(syscall);
  const hub = getHub();
  // The message for the hub's refusal is built only when it is needed.
  const greenlet = hub._running ?? hub._currentGreenlet(`socket ${syscall}`);
  if (sock._timeout === 0) throw socketError(EAGAIN, syscall);
  if (deadline !== 0) {
    if (now === 0) now = performance.now();
    if (deadline <= now) throw new SocketTimeout();
  }
  const reading = direction === READ;
  if ((reading ? fdw._reader : fdw._writer) !== null) {
    throw new ConcurrentObjectUseError(`This socket is already used by another greenlet: ${String(reading ? fdw._reader : fdw._writer)}`);
  }
  if (reading) fdw._reader = greenlet;
  else fdw._writer = greenlet;
  const loop = fdw.loop;
  loop._fdState[fdw._id] |= reading ? FD_WAIT_READ : FD_WAIT_WRITE;
  if (deadline !== 0) sock._timer(direction).wait(greenlet, deadline, now);
  greenlet._waitingOn = fdw;
  loop._fdWaiting(1);
  return fdw;
}

/** @internal Ends a wait begun by beginWait(), however it ended (see there). */
export function endWait(sock: Socket, fdw: FdWatcher, direction: number, deadline: number): void {
  const loop = fdw.loop;
  loop._fdWaiting(-1);
  const reading = direction === READ;
  if (reading) fdw._reader = null;
  else fdw._writer = null;
  if (!fdw.closed) loop._fdState[fdw._id] &= ~(reading ? FD_WAIT_READ : FD_WAIT_WRITE);
  if (deadline !== 0) sock._timer(direction).done();
}

/** @internal Whether a wait begun by beginWait() was woken by its deadline. */
export function timedOut(sock: Socket, direction: number, deadline: number, wokenBy: unknown): boolean {
  return deadline !== 0 && wokenBy === sock._timer(direction).watcher;
}

/**
 * @internal One recv(2) into buffer[0, length) without waiting: the count
 * (0 at end of stream), or -1 when nothing is there (no syscall at all
 * while the socket is known not to be readable). Raises on errors.
 */
export function recvNow(sock: Socket, buffer: Uint8Array, length: number): number {
  const fdw = sock._open('recv');
  const state = fdw.loop._fdState;
  const id = fdw._id;
  if ((state[id] & FD_READABLE) === 0) return -1;
  const n = sys.recv(sock._fd, buffer, 0, length);
  if (n >= 0) {
    // A short read drained a stream socket: wait for the next edge
    // instead of paying for an EAGAIN (a datagram socket may hold more).
    if (n < length && sock._stream) state[id] &= ~FD_READY_READ;
    return n;
  }
  if (n !== EAGAIN) throw socketError(n, 'recv');
  state[id] &= ~FD_READY_READ;
  return -1;
}

/**
 * @internal Parks the current greenlet until the socket may be readable, or
 * raises SocketTimeout at `deadline` (performance.now() ms; 0: none). For
 * callers that keep their own deadlines instead of the socket's timeout;
 * one that has just read the clock passes it as `now` (a read saved).
 */
export function waitReadable(sock: Socket, deadline: number, now = 0): Operation<void> {
  return waitReady(sock, READ, deadline, 'recv', now);
}

/** @internal Like waitReadable(), for writing. */
export function waitWritable(sock: Socket, deadline: number): Operation<void> {
  return waitReady(sock, WRITE, deadline, 'send');
}

function* recvIntoOperation(sock: Socket, buffer: Uint8Array, length: number): Operation<number> {
  if (length === 0) return 0;
  const deadline = sock._deadline();
  for (;;) {
    const n = recvNow(sock, buffer, length);
    if (n >= 0) return n;
    yield* waitReady(sock, READ, deadline, 'recv');
  }
}

const recvIntoTask = awaitable(recvIntoOperation);

const recvTask = awaitable(function* recv(sock: Socket, size: number): Operation<Buffer> {
  const buffer = Buffer.allocUnsafe(size);
  const n = yield* recvIntoOperation(sock, buffer, size);
  return n === size ? buffer : buffer.subarray(0, n);
});

function* sendOperation(sock: Socket, data: Buffer): Operation<number> {
  if (data.length === 0) return 0;
  const deadline = sock._deadline();
  for (;;) {
    const fdw = sock._open('send');
    const state = fdw.loop._fdState;
    const id = fdw._id;
    if ((state[id] & FD_WRITABLE) !== 0) {
      const n = sys.send(sock._fd, data, 0, data.length);
      if (n >= 0) {
        if (n < data.length) state[id] &= ~FD_READY_WRITE;
        return n;
      }
      if (n !== EAGAIN) throw socketError(n, 'send');
      state[id] &= ~FD_READY_WRITE;
    }
    yield* waitReady(sock, WRITE, deadline, 'send');
  }
}

const sendTask = awaitable(sendOperation);

/**
 * @internal send(2) of data[offset, end) without waiting: the bytes sent
 * (maybe fewer than asked), or -1 when the socket takes none now. Raises
 * on errors.
 */
export function sendNow(sock: Socket, data: Uint8Array, offset: number, end: number = data.length): number {
  const fdw = sock._open('send');
  const state = fdw.loop._fdState;
  const id = fdw._id;
  if ((state[id] & FD_WRITABLE) === 0) return -1;
  const n = sys.send(sock._fd, data, offset, end - offset);
  if (n >= 0) {
    if (offset + n < end) state[id] &= ~FD_READY_WRITE;
    return n;
  }
  if (n !== EAGAIN) throw socketError(n, 'send');
  state[id] &= ~FD_READY_WRITE;
  return -1;
}

/** @internal sendall from `offset`: also used by writers that own a socket. */
export function* sendallOperation(sock: Socket, data: Buffer, offset: number): Operation<void> {
  const deadline = sock._deadline();
  while (offset < data.length) {
    const n = sendNow(sock, data, offset);
    if (n >= 0) offset += n;
    else yield* waitReady(sock, WRITE, deadline, 'send');
  }
}

const sendallTask = awaitable(sendallOperation);

function* acceptOperation(sock: Socket): Operation<[Socket, Address]> {
  const deadline = sock._deadline();
  for (;;) {
    const fdw = sock._open('accept');
    const state = fdw.loop._fdState;
    const id = fdw._id;
    if ((state[id] & FD_READABLE) !== 0) {
      const result = sys.accept(sock._fd);
      if (typeof result !== 'number') {
        const [fd, family, host, port] = result;
        let client: Socket;
        try {
          client = new Socket({ family: familyName(family), type: sock.type, fd });
        } catch (error) {
          sys.close(fd);
          throw error;
        }
        return [client, fromNative([family, host, port])];
      }
      if (result !== EAGAIN) throw socketError(result, 'accept');
      state[id] &= ~FD_READY_READ;
    }
    yield* waitReady(sock, READ, deadline, 'accept');
  }
}

const acceptTask = awaitable(acceptOperation);


/**
 * @internal Sends every byte of `buffers` with as few sendmsg(2) calls as
 * the socket allows (no copy into one buffer). Consumes the array.
 */
export function* sendallvOperation(sock: Socket, buffers: Buffer[]): Operation<void> {
  const deadline = sock._deadline();
  let first = 0;
  while (first < buffers.length) {
    const fdw = sock._open('send');
    const state = fdw.loop._fdState;
    const id = fdw._id;
    if ((state[id] & FD_WRITABLE) !== 0) {
      const n = sys.sendv(sock._fd, first === 0 ? buffers : buffers.slice(first));
      if (n >= 0) {
        let sent = n;
        while (first < buffers.length && sent >= buffers[first].length) sent -= buffers[first++].length;
        if (sent > 0) buffers[first] = buffers[first].subarray(sent);
        if (first < buffers.length) state[id] &= ~FD_READY_WRITE;
        continue;
      }
      if (n !== EAGAIN) throw socketError(n, 'send');
      state[id] &= ~FD_READY_WRITE;
    }
    yield* waitReady(sock, WRITE, deadline, 'send');
  }
}
/** @internal One accept attempt without waiting: the new socket, null on EAGAIN, or raises. */
export function tryAccept(sock: Socket): [Socket, Address] | null {
  const fdw = sock._open('accept');
  const state = fdw.loop._fdState;
  if ((state[fdw._id] & FD_READABLE) === 0) return null;
  const result = sys.accept(sock._fd);
  if (typeof result === 'number') {
    if (result !== EAGAIN) throw socketError(result, 'accept');
    state[fdw._id] &= ~FD_READY_READ;
    return null;
  }
  const [fd, family, host, port] = result;
  try {
    return [new Socket({ family: familyName(family), type: sock.type, fd }), fromNative([family, host, port])];
  } catch (error) {
    sys.close(fd);
    throw error;
  }
}

/** @internal Waits until accept() may succeed (or the socket's timeout). */
export function waitAcceptable(sock: Socket): Operation<void> {
  return waitReady(sock, READ, sock._deadline(), 'accept');
}

function* resolve(sock: Socket, address: Address): Operation<[string, number] | string> {
  if (typeof address === 'string') return address;
  const [host, port] = address;
  if (isLiteral(sock.family, host)) return [host, port];
  const lookup = yield* untilOperation(
    getHub(),
    dns.promises.lookup(host === '' ? 'localhost' : host, { family: sock.family === 'inet6' ? 6 : 4 }),
  );
  return [lookup.address, port];
}

function* connectOperation(sock: Socket, address: Address): Operation<number> {
  const deadline = sock._deadline();
  const target = yield* resolve(sock, address);
  const [host, port] = typeof target === 'string' ? [target, 0] : target;
  const fdw = sock._open('connect');
  const result = sys.connect(sock._fd, familyNumber(sock.family), host, port);
  if (result === 0) return 0;
  if (result !== EINPROGRESS && result !== EAGAIN) return result;
  fdw.loop._fdState[fdw._id] &= ~FD_READY_WRITE;
  yield* waitReady(sock, WRITE, deadline, 'connect');
  const error = sys.getsockopt(sock._fd, C.SOL_SOCKET, C.SO_ERROR);
  return error === 0 ? 0 : -error;
}

const connectTask = awaitable(function* connect(sock: Socket, address: Address): Operation<void> {
  const result = yield* connectOperation(sock, address);
  if (result !== 0) throw socketError(result, 'connect');
});

const connectExTask = awaitable(function* connectEx(sock: Socket, address: Address): Operation<number> {
  return -(yield* connectOperation(sock, address));
});

/** @internal recvfrom(2) into `buffer`, waiting while nothing is there. */
export function* recvfromIntoOperation(sock: Socket, buffer: Uint8Array, length: number): Operation<[number, Address]> {
  const deadline = sock._deadline();
  for (;;) {
    const fdw = sock._open('recvfrom');
    const state = fdw.loop._fdState;
    const id = fdw._id;
    if ((state[id] & FD_READABLE) !== 0) {
      const result = sys.recvfrom(sock._fd, buffer, 0, length);
      if (typeof result !== 'number') {
        const [n, family, host, port] = result;
        return [n, fromNative([family, host, port])];
      }
      if (result !== EAGAIN) throw socketError(result, 'recvfrom');
      state[id] &= ~FD_READY_READ;
    }
    yield* waitReady(sock, READ, deadline, 'recvfrom');
  }
}

const recvfromIntoTask = awaitable(recvfromIntoOperation);

const recvfromTask = awaitable(function* recvfrom(sock: Socket, size: number): Operation<[Buffer, Address]> {
  const buffer = Buffer.allocUnsafe(size);
  const [n, address] = yield* recvfromIntoOperation(sock, buffer, size);
  return [n === size ? buffer : buffer.subarray(0, n), address];
});

const sendtoTask = awaitable(function* sendto(sock: Socket, data: Buffer, address: Address): Operation<number> {
  const deadline = sock._deadline();
  const target = yield* resolve(sock, address);
  const [host, port] = typeof target === 'string' ? [target, 0] : target;
  for (;;) {
    const fdw = sock._open('sendto');
    const state = fdw.loop._fdState;
    const id = fdw._id;
    if ((state[id] & FD_WRITABLE) !== 0) {
      const n = sys.sendto(sock._fd, data, 0, data.length, familyNumber(sock.family), host, port);
      if (n >= 0) return n;
      if (n !== EAGAIN) throw socketError(n, 'sendto');
      state[id] &= ~FD_READY_WRITE;
    }
    yield* waitReady(sock, WRITE, deadline, 'sendto');
  }
});
