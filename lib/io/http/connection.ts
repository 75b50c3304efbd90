// One HTTP connection's state: the socket, the request parser fed from a
// receive buffer, deadlines, and output corked while pipelined requests
// wait (one write for several responses).
//
// Per request on a keep-alive connection this costs one recv(2), one
// send(2) and one wait for the next request; the code around them avoids
// generators where nothing blocks (write() and flush() return a finished
// operation when the socket took everything) and waits on the socket
// directly (waitReadable) under deadlines it keeps itself (absolute, in
// performance.now() ms), so no timer is started or stopped per request: the
// socket's wait timer is re-armed only when a deadline comes earlier (see
// WaitTimer in ../socket.ts).
import { performance } from 'node:perf_hooks';

import { SUSPEND, type Operation } from '../../core/operation';
import { completed } from '../../core/task';
import { READ } from '../../loop/constants';
import { SocketTimeout } from '../errors';
import { beginWait, endWait, recvNow, sendallOperation, sendallvOperation, sendNow, timedOut, waitReadable, type Socket } from '../socket';
import { HttpParseError } from './errors';
import type { RequestParser } from './parser';
import type { RequestHead } from './request-head';
import type { HeadStart } from './response';

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

/** An operation with nothing left to do: `yield*` of it costs one call. */
const DONE: Operation<void> = completed(undefined);

/** Buffer's native encoders (untyped in @types/node): the bytes written. */
type RawBuffer = Buffer & { latin1Write(text: string, offset: number): number; utf8Write(text: string, offset: number): number };

const SCRATCH_SIZE = 16384;
/**
 * Where a response is encoded when it can go out at once: shared by all
 * connections, as nothing can run between encoding and sending it. Saves
 * a Buffer per response.
 */
const SCRATCH = Buffer.allocUnsafe(SCRATCH_SIZE) as RawBuffer;

/** Seconds to milliseconds; 0 (no limit) stays 0. */
function ms(seconds: number): number {
  return seconds === 0 ? 0 : seconds * 1000;
}

export class HttpConnection {
  readonly socket: Socket;
  readonly parser: RequestParser;
  /** The server is stopping: finish the request in flight, then close. */
  closing = false;
  /** Waiting for the next request (the server may close it when stopping). */
  idle = false;
  /** keepAliveTimeout in ms (0: none). */
  private readonly _idleLimit: number;
  /** The head's limit in ms: the smaller of headersTimeout and requestTimeout (0: none). */
  private readonly _headLimit: number;
  /** requestTimeout in ms (0: none). */
  private readonly _requestLimit: number;
  private _buffer = Buffer.allocUnsafe(RECEIVE_BUFFER);
  /** A body piece handed out is a view of _buffer: do not receive into it again. */
  private _bufferGiven = false;
  /** performance.now() when the request's first byte came; 0 between requests. */
  private _requestStart = 0;
  private _pending: Buffer[] = [];
  private _pendingBytes = 0;

  constructor(socket: Socket, parser: RequestParser, timeouts: ConnectionTimeouts) {
    this.socket = socket;
    this.parser = parser;
    const { headersTimeout, keepAliveTimeout, requestTimeout } = timeouts;
    this._idleLimit = ms(keepAliveTimeout);
    this._requestLimit = ms(requestTimeout);
    const head = Math.min(headersTimeout || Infinity, requestTimeout || Infinity);
    this._headLimit = head === Infinity ? 0 : head * 1000;
    // The socket's own timeout bounds response writes only (receives keep
    // their deadlines here): a client that stops reading cannot hold the
    // connection longer than a request head may take.
    socket.settimeout(head === Infinity ? null : head);
  }

  /**
   * The next request's head; null when the client closed (or idled past
   * keepAliveTimeout) between requests. Raises HttpParseError for a bad
   * request and RequestTimeout for a slow one.
   */
  *readHead(): Operation<RequestHead | null> {
    const parser = this.parser;
    let head = parser.readHead();
    if (head !== null) return this._started(head);
    const socket = this.socket;
    for (;;) {
      const idle = parser.state === 'idle';
      if (idle && this.closing) return null;
      if (this._bufferGiven) this._newBuffer();
      const n = recvNow(socket, this._buffer, RECEIVE_BUFFER);
      if (n < 0) {
        const now = performance.now();
        let deadline: number;
        if (idle) {
          deadline = this._idleLimit === 0 ? 0 : now + this._idleLimit;
        } else {
          // Part of a head is in: its clock runs from here at the latest.
          if (this._requestStart === 0) this._requestStart = now;
          deadline = this._headLimit === 0 ? 0 : this._requestStart + this._headLimit;
        }
        if (deadline !== 0 && deadline <= now) {
          if (idle) return null;
          throw new RequestTimeout('headers');
        }
        // The socket wait, with this generator yielding SUSPEND itself: the
        // greenlet's stack at the wait is one generator shorter.
        const fdw = beginWait(socket, READ, deadline, 'recv', now);
        this.idle = idle;
        let wokenBy: unknown;
        try {
          wokenBy = yield SUSPEND;
        } finally {
          endWait(socket, fdw, READ, deadline);
          this.idle = false;
        }
        if (timedOut(socket, READ, deadline, wokenBy)) {
          if (idle) return null;
          throw new RequestTimeout('headers');
        }
        continue;
      }
      if (n === 0) {
        if (idle) return null;
        parser.finish(); // throws: the connection ended inside a head
        return null;
      }
      parser.feed(this._buffer, n);
      head = parser.readHead();
      if (head !== null) return this._started(head);
    }
  }

  /**
   * A head is complete. The request's clock (requestTimeout) starts now if
   * no wait inside the head started it: a head read whole was sent at
   * about this instant. Only a request with a body needs it, so one
   * without costs no clock read.
   */
  private _started(head: RequestHead): RequestHead {
    if (this._requestStart === 0 && head.framing !== 'none') this._requestStart = performance.now();
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
      const n = yield* this._receive();
      if (n === 0) parser.finish(); // throws: the body was cut short
      parser.feed(this._buffer, n);
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
        const n = yield* this._receive();
        if (n === 0) return false;
        budget -= n;
        parser.feed(this._buffer, n);
      }
    } catch (error) {
      if (error instanceof HttpParseError || error instanceof RequestTimeout) return false;
      throw error;
    }
    return true;
  }

  /**
   * Queues or sends response bytes; corks while pipelined requests are
   * buffered. Done at once (no generator) when the socket takes it all.
   */
  write(data: Buffer, flush: boolean): Operation<void> {
    if (flush && this._pending.length === 0 && this.parser.buffered === 0) return this._send(data);
    this._pending.push(data);
    this._pendingBytes += data.length;
    if ((flush && this.parser.buffered === 0) || this._pendingBytes >= CORK_LIMIT) return this.flush();
    return DONE;
  }

  /**
   * Sends (or corks) a response head with its body in one write: `start`
   * (latin1: bytes to copy when it repeats), `end` (plain ASCII), and
   * `body`: a string (UTF-8, `bodyBytes` long), bytes, or null.
   */
  writeResponse(start: HeadStart, end: string, body: string | Buffer | null, bodyBytes: number): Operation<void> {
    const total = start.text.length + end.length + bodyBytes;
    const now = total <= SCRATCH_SIZE && this._pending.length === 0 && this.parser.buffered === 0;
    const out = now ? SCRATCH : (Buffer.allocUnsafe(total) as RawBuffer);
    const bytes = start.bytes;
    let at: number;
    if (bytes !== null) {
      out.set(bytes, 0);
      at = bytes.length;
    } else {
      at = out.latin1Write(start.text, 0);
    }
    if (typeof body === 'string') {
      // `end` is ASCII, the same in UTF-8: one encode for both.
      out.utf8Write(end + body, at);
    } else {
      at += out.latin1Write(end, at);
      if (body !== null) out.set(body, at);
    }
    if (!now) return this.write(out, true);
    const sent = sendNow(this.socket, out, 0, total);
    if (sent === total) return DONE;
    // Part of it is left: it needs a buffer of its own to wait in.
    return sendallOperation(this.socket, Buffer.from(out.subarray(sent < 0 ? 0 : sent, total)), 0);
  }

  /** Sends everything corked, in one sendmsg(2) where the socket takes it. */
  flush(): Operation<void> {
    const pending = this._pending;
    if (pending.length === 0) return DONE;
    this._pending = [];
    this._pendingBytes = 0;
    if (pending.length === 1) return this._send(pending[0]);
    return sendallvOperation(this.socket, pending);
  }

  /** Sends `data` now, as far as the socket takes it; the rest in an operation that waits. */
  private _send(data: Buffer): Operation<void> {
    const sent = sendNow(this.socket, data, 0);
    return sent === data.length ? DONE : sendallOperation(this.socket, data, sent < 0 ? 0 : sent);
  }

  /** A response finished: the next request's clock starts with its first byte. */
  requestDone(): void {
    this._requestStart = 0;
  }

  /** The receive buffer was handed out (a body piece): receive into a new one. */
  private _newBuffer(): void {
    this._buffer = Buffer.allocUnsafe(RECEIVE_BUFFER);
    this._bufferGiven = false;
  }

  /** One recv of body bytes, under requestTimeout. */
  private *_receive(): Operation<number> {
    if (this._bufferGiven) this._newBuffer();
    const socket = this.socket;
    for (;;) {
      const n = recvNow(socket, this._buffer, RECEIVE_BUFFER);
      if (n >= 0) return n;
      const limit = this._requestLimit;
      if (this._requestStart === 0) this._requestStart = performance.now();
      try {
        yield* waitReadable(socket, limit === 0 ? 0 : this._requestStart + limit);
      } catch (error) {
        if (error instanceof SocketTimeout) throw new RequestTimeout('request');
        throw error;
      }
    }
  }
}

export { HttpParseError };
