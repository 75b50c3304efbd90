// One HTTP connection's state: the socket, the request parser fed from a
// receive buffer, deadlines, and output corked while pipelined requests
// wait (one write for several responses).
import { performance } from 'node:perf_hooks';

import type { Operation } from '../../core/operation';
import { SocketTimeout } from '../errors';
import { sendallOperation, sendallvOperation, type Socket } from '../socket';
import { HttpParseError } from './errors';
import type { RequestParser } from './parser';
import type { RequestHead } from './request-head';

/** Limits a connection works under, in seconds (0: none). */
export interface ConnectionTimeouts {
  headersTimeout: number;
  keepAliveTimeout: number;
  requestTimeout: number;
}

/** The request ran out of time: the server answers 408 (if it still can) and closes. */
export class RequestTimeout extends Error {
  constructor(what: string) {
    super(`${what} timed out`);
    this.name = 'RequestTimeout';
  }
}

const RECEIVE_BUFFER = 65536;
const CORK_LIMIT = 65536;
/** Body pieces smaller than this are copied out of the receive buffer. */
const COPY_BELOW = 16384;

export class HttpConnection {
  readonly socket: Socket;
  readonly parser: RequestParser;
  /** The server is stopping: finish the request in flight, then close. */
  closing = false;
  /** Waiting for the next request (the server may close it when stopping). */
  idle = false;
  private readonly _timeouts: ConnectionTimeouts;
  private _buffer = Buffer.allocUnsafe(RECEIVE_BUFFER);
  /** A body piece handed out is a view of _buffer: do not receive into it again. */
  private _bufferGiven = false;
  private _requestStart = 0;
  private _pending: Buffer[] = [];
  private _pendingBytes = 0;

  constructor(socket: Socket, parser: RequestParser, timeouts: ConnectionTimeouts) {
    this.socket = socket;
    this.parser = parser;
    this._timeouts = timeouts;
  }

  /**
   * The next request's head; null when the client closed (or idled past
   * keepAliveTimeout) between requests. Raises HttpParseError for a bad
   * request and RequestTimeout for a slow one.
   */
  *readHead(): Operation<RequestHead | null> {
    const parser = this.parser;
    let head = parser.readHead();
    if (head !== null) {
      this._requestStart = performance.now();
      return head;
    }
    this.idle = parser.state === 'idle';
    try {
      while (head === null) {
        const idle = parser.state === 'idle';
        if (idle && this.closing) return null;
        if (!idle && this._requestStart === 0) this._requestStart = performance.now();
        const limit = idle ? this._timeouts.keepAliveTimeout : this._headDeadline();
        const n = yield* this._receive(limit, idle ? null : 'headers');
        if (n === 0) {
          if (idle) return null;
          parser.finish(); // throws: the connection ended inside a head
          return null;
        }
        if (idle) {
          this.idle = false;
          this._requestStart = performance.now();
        }
        parser.feed(this._buffer.subarray(0, n));
        head = parser.readHead();
      }
    } catch (error) {
      if (error instanceof SocketTimeout && this.idle) return null;
      throw error;
    } finally {
      this.idle = false;
    }
    return head;
  }

  /**
   * The next piece of the body, or null at its end. A small piece is a copy
   * (the receive buffer is reused); a large one is the received bytes
   * themselves, and the next receive goes into a new buffer.
   */
  *readBody(): Operation<Buffer | null> {
    const parser = this.parser;
    for (;;) {
      const piece = parser.readBody();
      if (piece !== null) {
        if (piece.length < COPY_BELOW) return Buffer.from(piece);
        this._bufferGiven = true;
        return piece;
      }
      if (parser.bodyComplete) return null;
      const n = yield* this._receive(this._requestDeadline(), 'request');
      if (n === 0) parser.finish(); // throws: the body was cut short
      parser.feed(this._buffer.subarray(0, n));
    }
  }

  /**
   * Reads and drops what the handler left of the body; false when the
   * connection should rather close (too much to wait for, or a body that
   * turns out malformed after the response went out).
   */
  *drainBody(): Operation<boolean> {
    const parser = this.parser;
    let budget = 1 << 20;
    try {
      while (!parser.discardBody()) {
        if (budget <= 0) return false;
        const n = yield* this._receive(this._requestDeadline(), 'request');
        if (n === 0) return false;
        budget -= n;
        parser.feed(this._buffer.subarray(0, n));
      }
    } catch (error) {
      if (error instanceof HttpParseError || error instanceof RequestTimeout) return false;
      throw error;
    }
    return true;
  }

  /** Queues or sends response bytes; corks while pipelined requests are buffered. */
  *write(data: Buffer, flush: boolean): Operation<void> {
    if (flush && this._pending.length === 0 && this.parser.buffered === 0) {
      yield* sendallOperation(this.socket, data, 0);
      return;
    }
    this._pending.push(data);
    this._pendingBytes += data.length;
    if ((flush && this.parser.buffered === 0) || this._pendingBytes >= CORK_LIMIT) yield* this.flush();
  }

  /** Sends everything corked, in one sendmsg(2) where the socket takes it. */
  *flush(): Operation<void> {
    const pending = this._pending;
    if (pending.length === 0) return;
    this._pending = [];
    this._pendingBytes = 0;
    if (pending.length === 1) yield* sendallOperation(this.socket, pending[0], 0);
    else yield* sendallvOperation(this.socket, pending);
  }

  /** A response finished: the next request's clock starts with its first byte. */
  requestDone(): void {
    this._requestStart = 0;
  }

  private _headDeadline(): number {
    const { headersTimeout, requestTimeout } = this._timeouts;
    const limit = Math.min(headersTimeout || Infinity, requestTimeout || Infinity);
    return limit === Infinity ? 0 : Math.max(0.001, limit - (performance.now() - this._requestStart) / 1000);
  }

  private _requestDeadline(): number {
    const limit = this._timeouts.requestTimeout;
    if (limit === 0) return 0;
    return Math.max(0.001, limit - (performance.now() - this._requestStart) / 1000);
  }

  /** One recv under a time limit in seconds (0: none). */
  private *_receive(seconds: number, what: string | null): Operation<number> {
    if (this._bufferGiven) {
      this._buffer = Buffer.allocUnsafe(RECEIVE_BUFFER);
      this._bufferGiven = false;
    }
    const socket = this.socket;
    socket.settimeout(seconds > 0 ? seconds : null);
    try {
      return yield* socket.recvInto(this._buffer);
    } catch (error) {
      if (error instanceof SocketTimeout && what !== null) throw new RequestTimeout(what);
      throw error;
    }
  }
}

export { HttpParseError };
