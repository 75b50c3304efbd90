// DatagramServer: reads datagrams from a UDP (or Unix datagram) socket and
// runs a handler for each, as the spawn policy says (gevent's
// DatagramServer). Replies go through server.sendto(), serialized by a lock
// so that greenlets answering at once never interleave their sends.
import type { GreenletResult } from '../core/greenlet';
import { getHub } from '../core/hub';
import type { Operation, Task } from '../core/operation';
import { sleep } from '../core/sleep';
import { awaitable } from '../core/task';
import { invalidArgType, invalidArgValue } from '../loop/errors';
import { validateBoolean, validateFunction, validateInteger, validateObject } from '../loop/validate';
import { Lock } from '../sync/lock';
import { validateAddress, type Address } from './address';
import { BaseServer, bindServerSocket, familyOf, type ServerOptions } from './server';
import { recvfromIntoOperation, Socket } from './socket';

export interface DatagramServerOptions extends ServerOptions {
  /** SO_REUSEPORT: several processes read from one port (only with an address). */
  reusePort?: boolean;
  /** The largest datagram read whole; longer ones are truncated (default 65536). */
  maxDatagram?: number;
  /** Datagrams read per wake-up before other greenlets get a turn (default 100). */
  maxBatch?: number;
}

/** Runs for each datagram with its bytes and its sender; `this` is the server. */
export type DatagramHandler = (this: DatagramServer, data: Buffer, address: Address) => GreenletResult;

const FATAL_READ_ERRORS = new Set(['EBADF', 'ENOTSOCK', 'EINVAL']);
const RESOURCE_READ_ERRORS = new Set(['ENOBUFS', 'ENOMEM']);
const BACKOFF = 0.01;

export class DatagramServer extends BaseServer {
  private _socket: Socket | null = null;
  private readonly _bindTo: Address | null;
  private readonly _reusePort: boolean;
  private readonly _maxBatch: number;
  private readonly _scratch: Buffer;
  /** @internal */ readonly _handle: DatagramHandler;
  private readonly _writeLock = new Lock();

  constructor(listener: Address | Socket, handle: DatagramHandler, options: DatagramServerOptions = {}) {
    validateObject('options', options as unknown);
    super(options);
    validateFunction('handle', handle);
    this._handle = handle;
    this._reusePort = options.reusePort ?? false;
    validateBoolean('options.reusePort', this._reusePort);
    const maxDatagram = options.maxDatagram ?? 65536;
    validateInteger('options.maxDatagram', maxDatagram, 1, 0x7fffffff);
    this._maxBatch = options.maxBatch ?? 100;
    validateInteger('options.maxBatch', this._maxBatch, 1, 0x7fffffff);
    if (listener instanceof Socket) {
      if (listener.type !== 'dgram') throw invalidArgValue('listener', "must be a 'dgram' socket", listener.type);
      if (options.reusePort !== undefined) {
        throw invalidArgType('options.reusePort', 'undefined with a socket listener (the socket is bound already)', options.reusePort);
      }
      this._socket = listener;
      this._bindTo = null;
    } else {
      if (typeof listener !== 'string' && !(Array.isArray(listener) && typeof listener[0] === 'string')) {
        throw invalidArgType('listener', 'a [host, port] array, a Unix socket path or a Socket', listener);
      }
      this._bindTo = validateAddress('listener', familyOf(listener), listener);
    }
    // One buffer for every read: each datagram is copied out at its size.
    this._scratch = Buffer.allocUnsafe(maxDatagram);
  }

  /** The server's socket (null before start() when made from an address). */
  get socket(): Socket | null {
    return this._socket;
  }

  /** The address it is bound to (the real port once bound to port 0). */
  get address(): Address {
    if (this._socket !== null && !this._socket.closed) return this._socket.getsockname();
    if (this._bindTo === null) throw Object.assign(new Error('the server has no address'), { code: 'ERR_SERVER_CLOSED' });
    return this._bindTo;
  }

  /**
   * Sends `data` to `address` from the server's socket, one sender at a
   * time; resolves to the bytes sent.
   */
  sendto(data: Uint8Array | string, address: Address): Task<number> {
    const socket = this._socket;
    if (socket === null || socket.closed) {
      throw Object.assign(new Error('the server has no open socket (start it first)'), { code: 'ERR_SERVER_CLOSED' });
    }
    // Validates data and address now, as Socket.sendto does.
    const send = socket.sendto(data, address);
    return sendtoTask(this._writeLock, send);
  }

  protected _open(): void {
    if (this._socket !== null) return;
    this._socket = bindServerSocket(this._bindTo as Address, 'dgram', this._reusePort, null);
  }

  protected _close(): void {
    this._socket?.close();
  }

  protected *_serve(): Operation<void> {
    const socket = this._socket as Socket;
    const scratch = this._scratch;
    const hub = getHub();
    for (;;) {
      for (let read = 0; read < this._maxBatch; read++) {
        const policy = this._spawn;
        // A full pool stops the reading, as gevent's does: datagrams wait
        // in the socket's buffer (and past it, the kernel drops them).
        if (policy !== null && policy !== 'default' && policy.full()) yield* policy.waitAvailable();
        let n: number;
        let sender: Address;
        try {
          [n, sender] = yield* recvfromIntoOperation(socket, scratch, scratch.length);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? '';
          if (FATAL_READ_ERRORS.has(code) || socket.closed) return;
          // Such as ECONNREFUSED on a connected socket: the next read goes on.
          hub.handleError(this, error);
          if (RESOURCE_READ_ERRORS.has(code)) yield* sleep(BACKOFF);
          continue;
        }
        yield* this._dispatch(callHandler as (...args: never[]) => GreenletResult, this, Buffer.from(scratch.subarray(0, n)), sender);
      }
      // A steady stream of datagrams must not starve the other greenlets.
      yield* sleep(0);
    }
  }

  override toString(): string {
    return `<DatagramServer ${JSON.stringify(this._socket && !this._socket.closed ? this.address : this._bindTo)}>`;
  }
}

function callHandler(server: DatagramServer, data: Buffer, address: Address): GreenletResult {
  return server._handle.call(server, data, address);
}

const sendtoTask = awaitable(function* sendto(lock: Lock, send: Task<number>): Operation<number> {
  yield* lock.acquire();
  try {
    return yield* send;
  } finally {
    lock.release();
  }
});
