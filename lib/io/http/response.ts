// Response-side wire format: the status line and header section as one
// latin1 string or Buffer, header validation (no CR/LF injection), the
// framing decision (Content-Length, chunked or close-delimited) and chunked
// framing. Pure functions: no socket, no hub.
import { invalidArgType, outOfRange } from '../../loop/errors';
import { DateCache, dateCache } from './date';
import type { HttpVersion } from './request-head';
import { reasonPhrase, responseHasBody } from './status';

/** A header value: numbers are written in decimal; an array writes one field line per element. */
export type HeaderValue = string | number | readonly (string | number)[];

/** Response header fields: a plain object, or [name, value] pairs in order. */
export type OutgoingHeaders = Readonly<Record<string, HeaderValue>> | readonly (readonly [string, HeaderValue])[];

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Anything but HTAB, SP, VCHAR and obs-text: CR, LF, NUL and the other controls. */
const INVALID_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

type CodedError<E extends Error> = E & { code: string };

function coded<E extends Error>(error: E, code: string): CodedError<E> {
  return Object.assign(error, { code });
}

/** Throws Node's TypeError (ERR_INVALID_HTTP_TOKEN) unless `name` is a field-name token. */
export function validateHeaderName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !TOKEN.test(name)) {
    throw coded(new TypeError(`Header name must be a valid HTTP token ["${String(name)}"]`), 'ERR_INVALID_HTTP_TOKEN');
  }
}

/**
 * Throws a TypeError naming the header unless `value` is a string, a finite
 * number or an array of them with no byte outside HTAB / SP / VCHAR /
 * obs-text: a CR or LF would let a value inject fields or a whole response.
 */
export function validateHeaderValue(name: string, value: unknown): asserts value is HeaderValue {
  if (Array.isArray(value)) {
    for (const v of value as unknown[]) validateHeaderValue(name, v);
    return;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return;
  if (typeof value !== 'string') {
    throw coded(new TypeError(`Invalid value "${String(value)}" for header "${name}"`), 'ERR_HTTP_INVALID_HEADER_VALUE');
  }
  if (INVALID_VALUE_CHAR.test(value)) {
    throw coded(new TypeError(`Invalid character in header content ["${name}"]`), 'ERR_INVALID_CHAR');
  }
}

/** Throws a RangeError (ERR_HTTP_INVALID_STATUS_CODE) unless 100 <= status <= 999, an integer. */
export function validateStatus(status: unknown): asserts status is number {
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 999) {
    throw coded(new RangeError(`Invalid status code: ${String(status)}`), 'ERR_HTTP_INVALID_STATUS_CODE');
  }
}

/** How a response body is delimited. "close": by closing the connection (an HTTP/1.0 client, length unknown). */
export type ResponseBodyMode = 'none' | 'length' | 'chunked' | 'close';

/** The request facts the framing depends on (a RequestHead has them). */
export interface FramingRequest {
  readonly method: string;
  readonly httpVersion: HttpVersion;
  /** Whether the connection may be reused (the request's wish, and the server's). */
  readonly keepAlive: boolean;
}

export interface ResponseFraming {
  readonly mode: ResponseBodyMode;
  /** Content-Length to send, or -1 to send none. */
  readonly contentLength: number;
  /** Whether to send `Transfer-Encoding: chunked`. */
  readonly chunked: boolean;
  /** Connection field to send: "close", "keep-alive" (an HTTP/1.0 client that asked for it) or null. */
  readonly connection: 'close' | 'keep-alive' | null;
  /** Whether the connection stays open after this response. */
  readonly keepAlive: boolean;
}

/**
 * Decides how a response is framed. `contentLength` is the body's length if
 * known before the head goes out (set by the handler, or a body passed whole
 * to end()), else null. Rules (RFC 9112 §6, RFC 9110 §8.6):
 * - 1xx, 204: no body and no Content-Length; 304: no body, Content-Length only
 *   if the handler set one itself; a 2xx to CONNECT: no body, close.
 * - HEAD: no body, but the Content-Length the GET would have, when known.
 * - a known length: Content-Length; unknown: chunked to HTTP/1.1 clients,
 *   close-delimited to HTTP/1.0 ones (which then cannot keep the connection).
 */
export function responseFraming(request: FramingRequest, status: number, contentLength: number | null): ResponseFraming {
  validateStatus(status);
  if (contentLength !== null && !(Number.isSafeInteger(contentLength) && contentLength >= 0)) {
    throw outOfRange('contentLength', 'an integer >= 0 or null', contentLength);
  }
  let mode: ResponseBodyMode;
  let length = -1;
  let keepAlive = request.keepAlive;
  if (!responseHasBody(request.method, status)) {
    mode = 'none';
    if (request.method === 'HEAD' && status >= 200 && status !== 204 && status !== 304 && contentLength !== null) {
      length = contentLength;
    }
    if (request.method === 'CONNECT' && status >= 200 && status < 300) keepAlive = false;
  } else if (contentLength !== null) {
    mode = 'length';
    length = contentLength;
  } else if (request.httpVersion === '1.1') {
    mode = 'chunked';
  } else {
    mode = 'close';
    keepAlive = false;
  }
  const connection = !keepAlive ? 'close' : request.httpVersion === '1.0' ? 'keep-alive' : null;
  return { mode, contentLength: length, chunked: mode === 'chunked', connection, keepAlive };
}

export interface ResponseHeadOptions {
  /** Reason phrase; default the standard one ("" for an unknown status). No CR/LF. */
  reason?: string;
  /** Append a Date field (unless the headers have one): true (default) uses the shared cache. */
  date?: boolean | DateCache;
  /**
   * Framing fields to append (from responseFraming): Content-Length,
   * Transfer-Encoding and Connection, each unless the headers already have
   * that field.
   */
  framing?: ResponseFraming;
}

// Which of the fields the serializer may add the handler already set.
const HAS_DATE = 1;
const HAS_CONTENT_LENGTH = 2;
const HAS_TRANSFER_ENCODING = 4;
const HAS_CONNECTION = 8;

function specialField(name: string): number {
  switch (name.length) {
    case 4:
      return name.toLowerCase() === 'date' ? HAS_DATE : 0;
    case 10:
      return name.toLowerCase() === 'connection' ? HAS_CONNECTION : 0;
    case 14:
      return name.toLowerCase() === 'content-length' ? HAS_CONTENT_LENGTH : 0;
    case 17:
      return name.toLowerCase() === 'transfer-encoding' ? HAS_TRANSFER_ENCODING : 0;
    default:
      return 0;
  }
}

/** Serialized lines of the headers, with the HAS_* bits of the special fields found. */
function formatFields(headers: OutgoingHeaders, into: { text: string; seen: number }): void {
  let text = into.text;
  let seen = into.seen;
  const add = (name: string, value: HeaderValue): void => {
    validateHeaderName(name);
    validateHeaderValue(name, value);
    seen |= specialField(name);
    if (typeof value === 'object') {
      for (const v of value) text += `${name}: ${v}\r\n`;
    } else {
      text += `${name}: ${value}\r\n`;
    }
  };
  if (Array.isArray(headers)) {
    for (const pair of headers as readonly (readonly [string, HeaderValue])[]) {
      if (!Array.isArray(pair) || pair.length !== 2) throw invalidArgType('headers', 'an object or an array of [name, value] pairs', pair);
      add(pair[0], pair[1]);
    }
  } else if (headers !== null && typeof headers === 'object') {
    const record = headers as Readonly<Record<string, HeaderValue>>;
    for (const name of Object.keys(record)) add(name, record[name]);
  } else {
    throw invalidArgType('headers', 'an object or an array of [name, value] pairs', headers);
  }
  into.text = text;
  into.seen = seen;
}

const STATUS_LINES = new Map<number, string>();

/**
 * The response head as a latin1 string: "HTTP/1.1 <status> <reason>" CRLF,
 * the header lines, the optional Date and framing lines, and the final CRLF.
 * Validates the status, reason, names and values (TypeError/RangeError, as
 * Node's http does).
 */
export function formatResponseHead(status: number, headers: OutgoingHeaders = [], options: ResponseHeadOptions = {}): string {
  validateStatus(status);
  let line: string | undefined;
  if (options.reason === undefined) {
    line = STATUS_LINES.get(status);
    if (line === undefined) {
      line = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`;
      STATUS_LINES.set(status, line);
    }
  } else {
    if (typeof options.reason !== 'string') throw invalidArgType('options.reason', 'of type string', options.reason);
    if (INVALID_VALUE_CHAR.test(options.reason)) {
      throw coded(new TypeError('Invalid character in the reason phrase'), 'ERR_INVALID_CHAR');
    }
    line = `HTTP/1.1 ${status} ${options.reason}\r\n`;
  }
  const out = { text: line, seen: 0 };
  formatFields(headers, out);
  let text = out.text;
  const seen = out.seen;
  const date = options.date ?? true;
  if (date !== false && (seen & HAS_DATE) === 0) text += (date === true ? dateCache : date).headerLine();
  const framing = options.framing;
  if (framing !== undefined) {
    if (framing.contentLength >= 0 && (seen & HAS_CONTENT_LENGTH) === 0) text += `Content-Length: ${framing.contentLength}\r\n`;
    if (framing.chunked && (seen & HAS_TRANSFER_ENCODING) === 0) text += 'Transfer-Encoding: chunked\r\n';
    if (framing.connection !== null && (seen & HAS_CONNECTION) === 0) text += `Connection: ${framing.connection}\r\n`;
  }
  return text + '\r\n';
}

/** formatResponseHead() encoded as a Buffer, with `body` (if any) appended: one write for a small response. */
export function encodeResponse(status: number, headers?: OutgoingHeaders, options?: ResponseHeadOptions, body?: Uint8Array | string): Buffer {
  const head = formatResponseHead(status, headers, options);
  if (body === undefined || body.length === 0) return Buffer.from(head, 'latin1');
  const headLength = head.length;
  if (typeof body === 'string') {
    const out = Buffer.allocUnsafe(headLength + Buffer.byteLength(body));
    out.write(head, 0, 'latin1');
    out.write(body, headLength, 'utf8');
    return out;
  }
  const out = Buffer.allocUnsafe(headLength + body.length);
  out.write(head, 0, 'latin1');
  out.set(body, headLength);
  return out;
}

/** The interim response a server sends to `Expect: 100-continue` before reading the body. */
export const CONTINUE_RESPONSE: Buffer = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');

export const CRLF: Buffer = Buffer.from('\r\n', 'latin1');

/** The last-chunk with no trailers, ending a chunked body. */
export const LAST_CHUNK: Buffer = Buffer.from('0\r\n\r\n', 'latin1');

function validateChunkSize(size: unknown): asserts size is number {
  if (typeof size !== 'number') throw invalidArgType('size', 'of type number', size);
  if (!Number.isSafeInteger(size) || size < 1) throw outOfRange('size', 'an integer >= 1', size);
}

/** "<hex size>\r\n": the line before a chunk's data (size >= 1; the size-0 chunk is LAST_CHUNK). */
export function chunkHeader(size: number): Buffer {
  validateChunkSize(size);
  return Buffer.from(`${size.toString(16)}\r\n`, 'latin1');
}

/** One whole chunk (size line, data, CRLF) in one Buffer; for big data, write chunkHeader(n), data, CRLF instead. */
export function encodeChunk(data: Uint8Array): Buffer {
  if (!(data instanceof Uint8Array)) throw invalidArgType('data', 'an instance of Buffer or Uint8Array', data);
  validateChunkSize(data.length);
  const header = `${data.length.toString(16)}\r\n`;
  const out = Buffer.allocUnsafe(header.length + data.length + 2);
  out.write(header, 0, 'latin1');
  out.set(data, header.length);
  out[out.length - 2] = 0x0d;
  out[out.length - 1] = 0x0a;
  return out;
}

/** The last-chunk followed by trailer fields (validated like headers) and the final CRLF. */
export function lastChunk(trailers?: OutgoingHeaders): Buffer {
  if (trailers === undefined) return LAST_CHUNK;
  const out = { text: '0\r\n', seen: 0 };
  formatFields(trailers, out);
  return Buffer.from(out.text + '\r\n', 'latin1');
}

/**
 * A complete response refusing a request the parser rejected (or any
 * error): text/plain body, Content-Length, Connection: close.
 */
export function errorResponse(status: number, message: string = reasonPhrase(status)): Buffer {
  const body = Buffer.from(`${message}\n`, 'utf8');
  return encodeResponse(
    status,
    [['Content-Type', 'text/plain; charset=utf-8']],
    { framing: { mode: 'length', contentLength: body.length, chunked: false, connection: 'close', keepAlive: false } },
    body,
  );
}
