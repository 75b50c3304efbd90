// Response-side wire format: the status line and header section as one
// latin1 string or Buffer, header validation (no CR/LF injection), the
// framing decision (Content-Length, chunked or close-delimited) and chunked
// framing. Pure functions: no socket, no hub.
import { invalidArgType, outOfRange } from '../../loop/errors';
import * as chars from './chars';
import { DateCache, dateCache } from './date';
import type { HttpVersion } from './request-head';
import { reasonPhrase, responseHasBody } from './status';

/** A header value: numbers are written in decimal; an array writes one field line per element. */
export type HeaderValue = string | number | readonly (string | number)[];

/** Response header fields: a plain object, or [name, value] pairs in order. */
export type OutgoingHeaders = Readonly<Record<string, HeaderValue>> | readonly (readonly [string, HeaderValue])[];

const { TCHAR } = chars;

/** Whether a string is a non-empty token (a char loop: cheaper than a regex on short names). */
function isToken(name: string): boolean {
  const n = name.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c > 0x7f || TCHAR[c] === 0) return false;
  }
  return true;
}

// Result of the last valueCheck(): whether the value had a char >= 0x80.
const VALUE_OK = 0;
const VALUE_OK_NON_ASCII = 1;
const VALUE_BAD = 2;

/** HTAB / SP / VCHAR / obs-text only: anything else (CR, LF, NUL...) could inject fields. */
function valueCheck(value: string): number {
  let result = VALUE_OK;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) continue;
    if (c === 0x09) continue;
    if (c >= 0x80 && c <= 0xff) {
      result = VALUE_OK_NON_ASCII;
      continue;
    }
    return VALUE_BAD;
  }
  return result;
}

type CodedError<E extends Error> = E & { code: string };

function coded<E extends Error>(error: E, code: string): CodedError<E> {
  return Object.assign(error, { code });
}

function invalidToken(name: unknown): TypeError {
  return coded(new TypeError(`Header name must be a valid HTTP token ["${String(name)}"]`), 'ERR_INVALID_HTTP_TOKEN');
}

function invalidChar(name: string): TypeError {
  return coded(new TypeError(`Invalid character in header content ["${name}"]`), 'ERR_INVALID_CHAR');
}

function invalidValue(name: string, value: unknown): TypeError {
  return coded(new TypeError(`Invalid value "${String(value)}" for header "${name}"`), 'ERR_HTTP_INVALID_HEADER_VALUE');
}

/** Throws Node's TypeError (ERR_INVALID_HTTP_TOKEN) unless `name` is a field-name token. */
export function validateHeaderName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !isToken(name)) throw invalidToken(name);
}

/**
 * Throws a TypeError naming the header unless `value` is a string, a finite
 * number or an array of them with no character outside HTAB / SP / VCHAR /
 * obs-text (U+0080-U+00FF, written as latin1): a CR or LF would let a value
 * inject fields or a whole response.
 */
export function validateHeaderValue(name: string, value: unknown): asserts value is HeaderValue {
  checkHeaderValue(name, value);
}

/**
 * @internal validateHeaderValue() that also tells whether the value has a
 * character >= 0x80 (written as latin1, so the head is not plain ASCII).
 */
export function checkHeaderValue(name: string, value: unknown): boolean {
  if (typeof value === 'string') {
    const check = valueCheck(value);
    if (check === VALUE_BAD) throw invalidChar(name);
    return check === VALUE_OK_NON_ASCII;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return false;
  if (!Array.isArray(value)) throw invalidValue(name, value);
  let nonAscii = false;
  for (const v of value as unknown[]) {
    if (Array.isArray(v)) throw invalidValue(name, v);
    if (checkHeaderValue(name, v)) nonAscii = true;
  }
  return nonAscii;
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
   * that field. Content-Length and Transfer-Encoding together, from either
   * source, are refused (TypeError, ERR_HTTP_CONFLICTING_FRAMING).
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

/** Formatting state: the text so far, the HAS_* bits of special fields seen, whether any char is >= 0x80. */
interface Formatted {
  text: string;
  seen: number;
  nonAscii: boolean;
}

function addField(out: Formatted, name: unknown, value: unknown): void {
  if (typeof name !== 'string' || !isToken(name)) throw invalidToken(name);
  out.seen |= specialField(name);
  if (typeof value === 'string') {
    const check = valueCheck(value);
    if (check === VALUE_BAD) throw invalidChar(name);
    if (check === VALUE_OK_NON_ASCII) out.nonAscii = true;
    out.text += name + ': ' + value + '\r\n';
  } else if (typeof value === 'number' && Number.isFinite(value)) {
    out.text += name + ': ' + value + '\r\n';
  } else if (Array.isArray(value)) {
    for (const v of value as unknown[]) {
      if (Array.isArray(v)) throw invalidValue(name, v);
      addField(out, name, v);
    }
  } else {
    throw invalidValue(name, value);
  }
}

/** Appends the header lines to `out`. */
function formatFields(headers: OutgoingHeaders, out: Formatted): void {
  if (Array.isArray(headers)) {
    const pairs = headers as readonly (readonly [string, HeaderValue])[];
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i];
      if (!Array.isArray(pair) || pair.length !== 2) throw invalidArgType('headers', 'an object or an array of [name, value] pairs', pair);
      addField(out, pair[0], pair[1]);
    }
  } else if (headers !== null && typeof headers === 'object') {
    const record = headers as Readonly<Record<string, HeaderValue>>;
    for (const name in record) {
      if (Object.prototype.hasOwnProperty.call(record, name)) addField(out, name, record[name]);
    }
  } else {
    throw invalidArgType('headers', 'an object or an array of [name, value] pairs', headers);
  }
}

const STATUS_LINES = new Map<number, string>();

/**
 * The response head as a latin1 string: "HTTP/1.1 <status> <reason>" CRLF,
 * the header lines, the optional Date and framing lines, and the final CRLF.
 * Validates the status, reason, names and values (TypeError/RangeError, as
 * Node's http does).
 */
export function formatResponseHead(status: number, headers: OutgoingHeaders = [], options: ResponseHeadOptions = {}): string {
  return formatHead(status, headers, options).text;
}

function formatHead(status: number, headers: OutgoingHeaders, options: ResponseHeadOptions): Formatted {
  validateStatus(status);
  const reason = options.reason;
  const out: Formatted = { text: statusLine(status, reason), seen: 0, nonAscii: reason !== undefined && valueCheck(reason) === VALUE_OK_NON_ASCII };
  formatFields(headers, out);
  const date = options.date ?? true;
  out.text = endHead(out.text, out.seen, options.framing, date === false ? null : date === true ? dateCache : date);
  return out;
}

/** "HTTP/1.1 <status> <reason>" CRLF (status already validated); the standard lines are cached. */
function statusLine(status: number, reason: string | undefined): string {
  if (reason === undefined) {
    let line = STATUS_LINES.get(status);
    if (line === undefined) {
      line = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`;
      STATUS_LINES.set(status, line);
    }
    return line;
  }
  if (typeof reason !== 'string') throw invalidArgType('options.reason', 'of type string', reason);
  if (valueCheck(reason) === VALUE_BAD) throw coded(new TypeError('Invalid character in the reason phrase'), 'ERR_INVALID_CHAR');
  return `HTTP/1.1 ${status} ${reason}\r\n`;
}

/** Appends the Date and framing fields the handler did not set (`seen`: HAS_* bits), and the empty line. */
function endHead(text: string, seen: number, framing: ResponseFraming | undefined, date: DateCache | null): string {
  if (date !== null && (seen & HAS_DATE) === 0) text += date.headerLine();
  return text + framingLines(seen, framing);
}

/** The framing fields the handler did not set, and the empty line; refuses conflicting framing. */
function framingLines(seen: number, framing: ResponseFraming | undefined): string {
  // Both would let a client (or a proxy in between) frame the body its own
  // way: a response desync (RFC 9112 §6.1 forbids sending both).
  const length = (seen & HAS_CONTENT_LENGTH) !== 0 || (framing !== undefined && framing.contentLength >= 0);
  const chunked = (seen & HAS_TRANSFER_ENCODING) !== 0 || (framing !== undefined && framing.chunked);
  if (length && chunked) {
    throw coded(new TypeError('A response cannot have both Content-Length and Transfer-Encoding'), 'ERR_HTTP_CONFLICTING_FRAMING');
  }
  if (framing === undefined) return '\r\n';
  let text = '';
  if (framing.contentLength >= 0 && (seen & HAS_CONTENT_LENGTH) === 0) text += 'Content-Length: ' + framing.contentLength + '\r\n';
  if (framing.chunked && (seen & HAS_TRANSFER_ENCODING) === 0) text += 'Transfer-Encoding: chunked\r\n';
  if (framing.connection !== null && (seen & HAS_CONNECTION) === 0) text += 'Connection: ' + framing.connection + '\r\n';
  return text + '\r\n';
}

/**
 * @internal The start of a response head: the status line, the fields and
 * the Date line (everything but the framing fields), as latin1 text and,
 * once it has been used twice in a row, as bytes to copy.
 */
export class HeadStart {
  /** @internal */ _uses = 0;
  /** @internal */ _bytes: Buffer | null = null;

  /** @internal */
  constructor(
    readonly text: string,
    /** HAS_* bits of the fields the handler set itself. */
    readonly seen: number,
    /** @internal What it was made from: status, reason, Date line, then the fields' names and values. */
    readonly _key: readonly unknown[] | null,
  ) {}

  /** The text as latin1 bytes, when it repeats (null the first time: a one-off is cheaper as text). */
  get bytes(): Buffer | null {
    if (this._bytes === null && this._uses > 1) this._bytes = Buffer.from(this.text, 'latin1');
    return this._bytes;
  }
}

/**
 * The last head start made, reused while responses repeat it: the same
 * status, reason and fields (identical strings or numbers) within the same
 * second of Date. A handler answering with the same headers every time
 * then pays for neither formatting nor encoding them.
 */
let lastStart: HeadStart | null = null;

function sameKey(key: readonly unknown[], status: number, reason: string | undefined, date: string, fields: readonly unknown[] | null): boolean {
  const n = fields === null ? 0 : fields.length;
  if (key.length !== n + 3 || key[0] !== status || key[1] !== reason || key[2] !== date) return false;
  for (let i = 0; i < n; i++) if (key[i + 3] !== (fields as readonly unknown[])[i]) return false;
  return true;
}

/**
 * @internal The head start of a response whose fields were validated when
 * they were set (Response.setHeader): `fields` holds name, value, name,
 * value... with unique names. Strings and numbers cannot have changed since;
 * array values, which can, are checked again (and never cached). The Date
 * comes from the shared cache; headEnd() gives the rest.
 */
export function headStart(status: number, reason: string | undefined, fields: readonly unknown[] | null): HeadStart {
  const date = dateCache.headerLine();
  const last = lastStart;
  if (last !== null && sameKey(last._key as readonly unknown[], status, reason, date, fields)) {
    last._uses++;
    return last;
  }
  let text = statusLine(status, reason);
  let seen = 0;
  let cacheable = true;
  if (fields !== null) {
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i] as string;
      const value = fields[i + 1];
      seen |= specialField(name);
      if (typeof value === 'string' || typeof value === 'number') {
        text += name + ': ' + value + '\r\n';
      } else {
        cacheable = false;
        checkHeaderValue(name, value);
        for (const v of value as readonly (string | number)[]) text += name + ': ' + v + '\r\n';
      }
    }
  }
  if ((seen & HAS_DATE) === 0) text += date;
  if (!cacheable) return new HeadStart(text, seen, null);
  const key: unknown[] = [status, reason, date];
  if (fields !== null) for (let i = 0; i < fields.length; i++) key.push(fields[i]);
  const start = new HeadStart(text, seen, key);
  start._uses = 1;
  lastStart = start;
  return start;
}

/** @internal The rest of the head after `start`: the framing fields and the empty line (plain ASCII). */
export function headEnd(start: HeadStart, framing: ResponseFraming): string {
  return framingLines(start.seen, framing);
}

/**
 * formatResponseHead() encoded as a Buffer, with `body` (if any) appended:
 * one write for a small response. A string body is written as UTF-8.
 */
export function encodeResponse(status: number, headers: OutgoingHeaders = [], options: ResponseHeadOptions = {}, body?: Uint8Array | string): Buffer {
  const head = formatHead(status, headers, options);
  if (body === undefined || body.length === 0) return Buffer.from(head.text, 'latin1');
  if (typeof body === 'string') {
    // An ASCII head reads the same in UTF-8: one encode of head + body.
    if (!head.nonAscii) return Buffer.from(head.text + body, 'utf8');
    const headLength = head.text.length;
    const out = Buffer.allocUnsafe(headLength + Buffer.byteLength(body));
    out.write(head.text, 0, 'latin1');
    out.write(body, headLength, 'utf8');
    return out;
  }
  const headLength = head.text.length;
  const out = Buffer.allocUnsafe(headLength + body.length);
  out.write(head.text, 0, 'latin1');
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
  const out: Formatted = { text: '0\r\n', seen: 0, nonAscii: false };
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
