// The response a handler writes: status and headers, then the body whole
// (end) or in pieces (write, chunked when the length is unknown).
import type { Operation, Task } from '../../core/operation';
import { awaitable } from '../../core/task';
import { invalidArgType } from '../../loop/errors';
import type { HttpConnection } from './connection';
import type { Request } from './incoming';
import {
  encodeChunk,
  encodeResponse,
  LAST_CHUNK,
  responseFraming,
  validateHeaderName,
  validateHeaderValue,
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

export class Response {
  /** The status code to send (before the head goes out). */
  status = 200;
  /** A reason phrase other than the standard one. */
  statusMessage: string | undefined = undefined;
  /** @internal */ readonly _request: Request;
  /** @internal */ readonly _connection: HttpConnection;
  private readonly _headers = new Map<string, [string, HeaderValue]>();
  private _framing: ResponseFraming | null = null;
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
    validateHeaderValue(name, value);
    this._checkNotSent('set a header');
    this._headers.set(name.toLowerCase(), [name, value]);
    return this;
  }

  getHeader(name: string): HeaderValue | undefined {
    return this._headers.get(String(name).toLowerCase())?.[1];
  }

  hasHeader(name: string): boolean {
    return this._headers.has(String(name).toLowerCase());
  }

  removeHeader(name: string): void {
    this._checkNotSent('remove a header');
    this._headers.delete(String(name).toLowerCase());
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
    const data = body === undefined ? null : toBody('body', body);
    return endTask(this, data);
  }

  /** @internal The head for a body of `length` (null: unknown), with the body appended when given. */
  _head(length: number | null, body: Buffer | null): Buffer {
    validateStatus(this.status);
    const request = this._request;
    const keepAlive = request._head.keepAlive && !this._close && !this._connection.closing;
    const framing = responseFraming(
      { method: request.method, httpVersion: request.httpVersion, keepAlive },
      this.status,
      this._declaredLength() ?? length,
    );
    const headers = [...this._headers.values()];
    const out = encodeResponse(this.status, headers, { framing, reason: this.statusMessage }, framing.mode === 'none' ? undefined : (body ?? undefined));
    this._framing = framing;
    return out;
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

  private _declaredLength(): number | null {
    const value = this._headers.get('content-length')?.[1];
    if (value === undefined) return null;
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
    const head = response._head(null, null);
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

const endTask = awaitable(function* end(response: Response, body: Buffer | null): Operation<void> {
  if (response.finished) return;
  const connection = response._connection;
  if (!response.headersSent) {
    if (body === null || body.length <= INLINE_BODY_LIMIT) {
      // The common case: head and body in one buffer, one write.
      yield* connection.write(response._head(body === null ? 0 : body.length, body), true);
    } else {
      // A large body is not copied behind the head: both go in one sendmsg.
      const head = response._head(body.length, null);
      const withBody = response._framingMode !== 'none';
      yield* connection.write(head, !withBody);
      if (withBody) yield* connection.write(body, true);
    }
  } else {
    if (body !== null && body.length > 0) yield* writeOperation(response, body);
    if (response._framingMode === 'chunked') yield* connection.write(LAST_CHUNK, true);
    else yield* connection.flush();
  }
  response._markFinished();
});
