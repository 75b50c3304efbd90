// The response a handler writes: status and headers, then the body whole
// (end) or in pieces (write, chunked when the length is unknown).
import type { Operation, Task } from '../../core/operation';
import { awaitable } from '../../core/task';
import { invalidArgType } from '../../loop/errors';
import type { HttpConnection } from './connection';
import type { Request } from './incoming';
import {
  checkHeaderValue,
  encodeChunk,
  headEnd,
  headStart,
  type HeadStart,
  LAST_CHUNK,
  responseFraming,
  validateHeaderName,
  validateStatus,
  type HeaderValue,
  type ResponseFraming,
} from './response';

function toBody(name: string, data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw invalidArgType(name, 'a string, Buffer or Uint8Array', data);
}

/** Whether a (valid, so ASCII) field name equals `name` ignoring case, as toLowerCase() compares. */
function sameName(stored: string, name: string): boolean {
  if (stored === name) return true;
  const n = name.length;
  for (let i = 0; i < n; i++) {
    let a = stored.charCodeAt(i);
    let b = name.charCodeAt(i);
    if (a === b) continue;
    // A non-ASCII character may lower-case to an ASCII one (U+212A to "k").
    if (b > 0x7f) return stored.toLowerCase() === name.toLowerCase();
    if (a >= 0x41 && a <= 0x5a) a |= 0x20;
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    if (a !== b) return false;
  }
  return true;
}

export class Response {
  /** The status code to send (before the head goes out). */
  status = 200;
  /** A reason phrase other than the standard one. */
  statusMessage: string | undefined = undefined;
  /** @internal */ readonly _request: Request;
  /** @internal */ readonly _connection: HttpConnection;
  /**
   * The fields set, validated: name (as given), value, name, value...;
   * no two names equal ignoring case. A short array beats a Map for the
   * handful of fields a response has, and is made only when one is set.
   */
  private _fields: (string | HeaderValue)[] | null = null;
  private _framing: ResponseFraming | null = null;
  /** @internal The head _frame() made: its start (status line, fields, Date)... */
  _headStart: HeadStart | null = null;
  /** @internal ...and its end (framing fields, empty line; plain ASCII). */
  _headEnd = '';
  private _finished = false;
  /** @internal The server wants the connection closed after this response. */
  _close = false;

  /** @internal */
  constructor(connection: HttpConnection, request: Request) {
    this._connection = connection;
    this._request = request;
  }

  /** Whether the status line and headers were sent. */
  get headersSent(): boolean {
    return this._framing !== null;
  }

  /** Whether end() completed. */
  get finished(): boolean {
    return this._finished;
  }

  /** Sets a header (replacing one of the same name, whatever its case). */
  setHeader(name: string, value: HeaderValue): this {
    validateHeaderName(name);
    checkHeaderValue(name, value);
    this._checkNotSent('set a header');
    const fields = this._fields;
    if (fields === null) {
      this._fields = [name, value];
      return this;
    }
    const at = this._find(name);
    if (at === -1) {
      fields.push(name, value);
    } else {
      fields[at] = name;
      fields[at + 1] = value;
    }
    return this;
  }

  getHeader(name: string): HeaderValue | undefined {
    const at = this._find(String(name));
    return at === -1 ? undefined : (this._fields as HeaderValue[])[at + 1];
  }

  hasHeader(name: string): boolean {
    return this._find(String(name)) !== -1;
  }

  removeHeader(name: string): void {
    this._checkNotSent('remove a header');
    const at = this._find(String(name));
    if (at !== -1) (this._fields as HeaderValue[]).splice(at, 2);
  }

  /** Sets the status (and headers) at once; they go out with the first write. */
  writeHead(status: number, headers: Record<string, HeaderValue> = {}): this {
    validateStatus(status);
    this._checkNotSent('write the head');
    this.status = status;
    for (const [name, value] of Object.entries(headers)) this.setHeader(name, value);
    return this;
  }

  /**
   * Sends a piece of the body (the head first, if not sent: chunked unless
   * a Content-Length was set). Waits until the socket took it: a slow
   * client slows the handler down instead of filling memory.
   */
  write(chunk: string | Uint8Array): Task<void> {
    const data = toBody('chunk', chunk);
    if (this._finished) throw Object.assign(new Error('write after end'), { code: 'ERR_STREAM_WRITE_AFTER_END' });
    return writeTask(this, data);
  }

  /** Finishes the response, with `body` as the last (or only) piece. */
  end(body?: string | Uint8Array): Task<void> {
    // A string is encoded on the way out (into the connection's output),
    // not into a Buffer of its own first.
    const data = body === undefined ? null : typeof body === 'string' ? body : toBody('body', body);
    return endTask(this, data);
  }

  /**
   * @internal The framing for a body of `length` bytes (null: unknown),
   * decided once; the head is then sent and the fields are frozen.
   */
  _frame(length: number | null): ResponseFraming {
    validateStatus(this.status);
    const request = this._request;
    const keepAlive = request._head.keepAlive && !this._close && !this._connection.closing;
    const framing = responseFraming(
      { method: request.method, httpVersion: request.httpVersion, keepAlive },
      this.status,
      this._declaredLength() ?? length,
    );
    // The head first: a field it refuses leaves the response unsent.
    const start = headStart(this.status, this.statusMessage, this._fields);
    this._headEnd = headEnd(start, framing);
    this._headStart = start;
    this._framing = framing;
    return framing;
  }

  /** @internal The head for a body of `length` (null: unknown), as a Buffer. */
  _head(length: number | null): Buffer {
    this._frame(length);
    return Buffer.from((this._headStart as HeadStart).text + this._headEnd, 'latin1');
  }

  /** @internal Whether the connection can carry another request after this response. */
  get _keepAlive(): boolean {
    return this._framing !== null && this._framing.keepAlive;
  }

  /** @internal */
  _markFinished(): void {
    this._finished = true;
  }

  /** @internal */
  get _framingMode(): string {
    return this._framing?.mode ?? 'none';
  }

  /** The index in _fields of the name equal to `name` ignoring case, or -1. */
  private _find(name: string): number {
    const fields = this._fields;
    if (fields === null) return -1;
    const n = name.length;
    for (let i = 0; i < fields.length; i += 2) {
      const stored = fields[i] as string;
      if (stored.length === n && sameName(stored, name)) return i;
    }
    // toLowerCase() may change a non-ASCII name's length ("İ" to "i̇").
    for (let i = 0; i < n; i++) if (name.charCodeAt(i) > 0x7f) return this._findSlow(name.toLowerCase());
    return -1;
  }

  private _findSlow(lower: string): number {
    const fields = this._fields as HeaderValue[];
    for (let i = 0; i < fields.length; i += 2) if ((fields[i] as string).toLowerCase() === lower) return i;
    return -1;
  }

  private _declaredLength(): number | null {
    const at = this._find('content-length');
    if (at === -1) return null;
    const value = (this._fields as HeaderValue[])[at + 1];
    const length = Number(Array.isArray(value) ? value[0] : value);
    return Number.isSafeInteger(length) && length >= 0 ? length : null;
  }

  private _checkNotSent(what: string): void {
    if (this._framing !== null) {
      throw Object.assign(new Error(`Cannot ${what} after the headers were sent`), { code: 'ERR_HTTP_HEADERS_SENT' });
    }
  }
}

function* writeOperation(response: Response, data: Buffer): Operation<void> {
  const connection = response._connection;
  if (!response.headersSent) {
    const head = response._head(null);
    yield* connection.write(head, false);
  }
  if (data.length === 0) return;
  const mode = response._framingMode;
  if (mode === 'none') return;
  yield* connection.write(mode === 'chunked' ? encodeChunk(data) : data, true);
}

const writeTask = awaitable(writeOperation);

/** Bodies up to this size are copied behind the head (one small buffer); larger ones are sent beside it. */
const INLINE_BODY_LIMIT = 4096;

const endTask = awaitable(function* end(response: Response, body: string | Buffer | null): Operation<void> {
  if (response.finished) return;
  const connection = response._connection;
  if (!response.headersSent) {
    const bytes = body === null ? 0 : typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
    if (bytes <= INLINE_BODY_LIMIT) {
      // The common case: head and body encoded together, one write.
      const withBody = response._frame(bytes).mode !== 'none' && bytes > 0;
      yield* connection.writeResponse(response._headStart as HeadStart, response._headEnd, withBody ? body : null, withBody ? bytes : 0);
    } else {
      // A large body is not copied behind the head: both go in one sendmsg.
      const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : (body as Buffer);
      const head = response._head(bytes);
      const withBody = response._framingMode !== 'none';
      yield* connection.write(head, !withBody);
      if (withBody) yield* connection.write(data, true);
    }
  } else {
    if (body !== null && body.length > 0) yield* writeOperation(response, typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
    if (response._framingMode === 'chunked') yield* connection.write(LAST_CHUNK, true);
    else yield* connection.flush();
  }
  response._markFinished();
});
