// The request a handler gets: the parsed head, and its body as operations.
import type { Operation, Task } from '../../core/operation';
import { awaitable } from '../../core/task';
import type { Address } from '../address';
import type { HttpConnection } from './connection';
import type { HeaderList } from './headers';
import type { HttpVersion, RequestHead } from './request-head';
import { CONTINUE_RESPONSE } from './response';

export class Request {
  readonly method: string;
  /** The raw request target ("/path?query"). */
  readonly url: string;
  readonly httpVersion: HttpVersion;
  /** Header fields; get(name) and has(name) ignore case. */
  readonly headers: HeaderList;
  /** The client's address. */
  readonly remoteAddress: Address;
  /** @internal */ readonly _head: RequestHead;
  /** @internal */ readonly _connection: HttpConnection;
  /** @internal The 100-continue interim response was sent (or is not needed). */
  _continued: boolean;
  /** @internal The body was read to its end. */
  _bodyDone: boolean;

  /** @internal */
  constructor(connection: HttpConnection, head: RequestHead, remoteAddress: Address) {
    this._connection = connection;
    this._head = head;
    this.method = head.method;
    this.url = head.url;
    this.httpVersion = head.httpVersion;
    this.headers = head.headers;
    this.remoteAddress = remoteAddress;
    this._continued = !head.expectContinue;
    this._bodyDone = head.framing === 'none';
  }

  /** The path, still percent-encoded. */
  get path(): string {
    return this._head.path;
  }

  /** The query string parsed (URLSearchParams). */
  get query(): URLSearchParams {
    return this._head.query;
  }

  /** Whether the client asked to keep the connection open. */
  get keepAlive(): boolean {
    return this._head.keepAlive;
  }

  /** The next piece of the body (null at its end): stream large uploads with it. */
  read(): Task<Buffer | null> {
    return readTask(this);
  }

  /** The whole body (bounded by the server's maxBodyBytes: 413 beyond it). */
  body(): Task<Buffer> {
    return bodyTask(this);
  }

  /** The body decoded as UTF-8. */
  text(): Task<string> {
    return textTask(this);
  }

  /** The body parsed as JSON; malformed JSON raises a SyntaxError. */
  json(): Task<unknown> {
    return jsonTask(this);
  }

  toString(): string {
    return `<Request ${this.method} ${this.url}>`;
  }
}

/** Sends 100 Continue before the first body read, when the client waits for it. */
function* continueIfAsked(request: Request): Operation<void> {
  if (request._continued) return;
  request._continued = true;
  yield* request._connection.write(CONTINUE_RESPONSE, true);
}

function* readChunk(request: Request): Operation<Buffer | null> {
  if (request._bodyDone) return null;
  yield* continueIfAsked(request);
  const chunk = yield* request._connection.readBody();
  if (chunk === null) request._bodyDone = true;
  return chunk;
}

const readTask = awaitable(readChunk);

function* readAll(request: Request): Operation<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = yield* readChunk(request);
    if (chunk === null) break;
    chunks.push(chunk);
    total += chunk.length;
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
}

const bodyTask = awaitable(readAll);

const textTask = awaitable(function* text(request: Request): Operation<string> {
  return (yield* readAll(request)).toString('utf8');
});

const jsonTask = awaitable(function* json(request: Request): Operation<unknown> {
  return JSON.parse((yield* readAll(request)).toString('utf8')) as unknown;
});
