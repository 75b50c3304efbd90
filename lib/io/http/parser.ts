// An incremental, strict, bounded HTTP/1.1 request parser (RFC 9110, RFC 9112).
//
// It is pull-driven, to suit a greenlet that reads a connection with
// sequential code: feed() hands it bytes from the socket; readHead() returns
// the next request head or null ("feed me more"); readBody() returns the next
// slice of that request's body or null; then readHead() again for the next
// (pipelined) request. Nothing is called back and nothing is queued.
//
// Speed: the head is scanned once, byte by byte, with a table load per byte
// and no regular expression (long field values four bytes at a time); a head
// that arrives whole in one chunk is parsed in place, and only a head split
// across chunks is copied (into a carry buffer that grows by doubling, so a
// byte-at-a-time client costs O(n)). The head becomes one latin1 string (one
// native call); names and values stay offsets into it until asked for.
// Standard methods are interned.
//
// Bounds: every byte is looked at a bounded number of times; a head is cut at
// maxHeaderBytes before anything past it is scanned; body bytes are never
// buffered (they are handed out as views of the input); after NEED-MORE the
// parser holds no reference to the caller's chunk.
//
// Strictness (each refusal is an HttpParseError carrying the status):
// - Lines end with CRLF. A bare LF or bare CR anywhere in a head, a chunk
//   line or a trailer is 400: RFC 9112 §2.2 lets a recipient accept bare LF,
//   but two parsers disagreeing on line ends is how requests get smuggled.
// - Request line: token SP request-target SP "HTTP/" DIGIT "." DIGIT, single
//   spaces. HTTP/1.0 and 1.1 are served; any other well-formed version is 505
//   (RFC 9110 §2.5 would have 1.x (x > 1) treated as 1.1; no such version
//   exists, and refusing is the safe reading). Empty lines before a request
//   line are skipped (§2.2), counted against maxHeaderBytes.
// - Targets: VCHAR except "#", valid percent-escapes; origin-form for all
//   methods but CONNECT, absolute-form (no userinfo) likewise, authority-form
//   (host:port) for CONNECT only, "*" for OPTIONS only.
// - Fields: token name, then ":" at once (whitespace before it is 400, §5.1);
//   values of VCHAR / obs-text / SP / HTAB, trimmed; obs-fold is 400.
// - Host: exactly one in HTTP/1.1, at most one in 1.0, with a valid value.
// - Framing (§6): Transfer-Encoding with Content-Length, in HTTP/1.0, or
//   without a single final "chunked" is 400; another coding under chunked is
//   501. Content-Length is 1*DIGIT; equal duplicates are merged, different
//   ones are 400; past maxBodyBytes (or 2^53) 413 before the body is read.
// - Chunked: at most 16 hex digits, extensions checked for characters only and
//   bounded per request (413), data must be followed by CRLF, trailers parsed
//   like headers and bounded like them (431).
// - Unknown but well-formed methods ("PROPFIND", even "get") are returned to
//   the server, which decides; so are Expect values other than 100-continue
//   (417 is the server's to send) and CONNECT (the parser never turns the
//   connection into a tunnel: a server granting one stops feeding it).
import { invalidArgType, outOfRange } from '../../loop/errors';
import { validateInteger, validateObject } from '../../loop/validate';
import * as chars from './chars';
import { HttpParseError, type ParseErrorCode, type ParseErrorStatus } from './errors';
import type { CodingTally } from './fields';
import * as fields from './fields';
import { HeaderList, SPAN_SIZE } from './headers';
import * as names from './names';
import { RequestHead, type BodyFraming, type HttpVersion } from './request-head';
import type { TargetShape } from './target';
import * as target from './target';

// Imports are bound to local constants: transpilers that compile ES imports to
// live-binding getters (tsx/esbuild, used by the tests and benches) would
// otherwise cost a getter call per byte scanned.
const { COLON, CR, FIELD_VALUE_CHAR, HEX_VALUE, HTAB, LF, SEMICOLON, SP, TARGET_CHAR, TCHAR } = chars;
const { CONN_CLOSE, CONN_INVALID, CONN_KEEP_ALIVE, CONN_UPGRADE, connectionOptions, isContinueExpectation, isValidHost, LENGTH_INVALID, LENGTH_OVERFLOW, parseContentLength, tallyTransferEncoding } = fields;
const { CONNECTION, CONTENT_LENGTH, EXPECT, fieldId, HOST, knownMethod, TRANSFER_ENCODING, UPGRADE } = names;
const { shapeTarget } = target;

export interface RequestParserOptions {
  /**
   * Bytes allowed for the request line plus the header section, CRLFs
   * included (and any empty lines before the request line). Past it: 431, or
   * 414 while still in the request-target. Also bounds the trailer section.
   * Default 16384 (Node's default).
   */
  maxHeaderBytes?: number;
  /** Header field lines allowed (and trailer lines); past it: 431. Default 100. */
  maxHeaderCount?: number;
  /**
   * Body bytes allowed per request: a larger Content-Length is refused before
   * any body byte is read, a chunked body as soon as a chunk size would pass
   * it (413). Default Infinity: the parser buffers no body, so the bound that
   * protects memory belongs to whoever collects the body.
   */
  maxBodyBytes?: number;
  /** Chunk-extension bytes allowed per request, all chunks together; past it: 413. Default 16384. */
  maxChunkExtensionBytes?: number;
}

/** The limits in force, all options resolved. */
export interface ParserLimits {
  readonly maxHeaderBytes: number;
  readonly maxHeaderCount: number;
  readonly maxBodyBytes: number;
  readonly maxChunkExtensionBytes: number;
}

export const DEFAULT_LIMITS: ParserLimits = Object.freeze({
  maxHeaderBytes: 16384,
  maxHeaderCount: 100,
  maxBodyBytes: Infinity,
  maxChunkExtensionBytes: 16384,
});

/**
 * Where the parser stands: waiting for a request with nothing of it received
 * ("idle": keep-alive timeout territory), inside a head ("head": headers
 * timeout), inside a body ("body"), or failed ("dead").
 */
export type ParserState = 'idle' | 'head' | 'body' | 'dead';

// Phases.
const P_HEAD = 0; // between messages or inside a head
const P_LENGTH = 1; // Content-Length body
const P_CHUNKED = 2; // chunked body, before the trailer section
const P_TRAILERS = 3; // trailer section of a chunked body
const P_DEAD = 4;
const P_ENDED = 5; // finish() was called on a clean boundary

// Head/trailer scan states.
const S_START = 0; // nothing of the next request consumed yet
const S_START_LF = 1; // CR of an empty line before the request line seen
const S_START_EMPTY = 2; // like S_START, after empty lines (which count toward maxHeaderBytes)
const S_METHOD = 3;
const S_TARGET = 4;
const S_VERSION = 5; // "HTTP/x.y" CR LF, checked byte by byte
const S_FIELD_START = 6; // start of a field line, or CR of the empty line
const S_NAME = 7;
const S_VALUE_OWS = 8;
const S_VALUE = 9;
const S_VALUE_LF = 10;
const S_END_LF = 11;

// Chunked states.
const C_SIZE = 0;
const C_EXT_BWS = 1; // whitespace after the size: only ";" may follow
const C_EXT = 2;
const C_SIZE_LF = 3;
const C_DATA = 4;
const C_DATA_CR = 5;
const C_DATA_LF = 6;

/** Hex digits allowed in a chunk size, leading zeros included. */
const MAX_CHUNK_SIZE_DIGITS = 16;

const VERSION_PREFIX = [0x48, 0x54, 0x54, 0x50, 0x2f]; // "HTTP/"
const EMPTY = Buffer.alloc(0);

/** Buffer's native latin1 decoder (untyped in @types/node); ~2x faster than toString('latin1', ...). */
type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

function resolveLimits(options: RequestParserOptions | undefined): ParserLimits {
  if (options === undefined) return DEFAULT_LIMITS;
  validateObject('options', options);
  const limits = { ...DEFAULT_LIMITS };
  if (options.maxHeaderBytes !== undefined) {
    validateInteger('options.maxHeaderBytes', options.maxHeaderBytes, 16, 2 ** 30);
    limits.maxHeaderBytes = options.maxHeaderBytes;
  }
  if (options.maxHeaderCount !== undefined) {
    validateInteger('options.maxHeaderCount', options.maxHeaderCount, 0, 2 ** 20);
    limits.maxHeaderCount = options.maxHeaderCount;
  }
  if (options.maxBodyBytes !== undefined) {
    const v: unknown = options.maxBodyBytes;
    if (typeof v !== 'number') throw invalidArgType('options.maxBodyBytes', 'of type number', v);
    if (v !== Infinity && !(Number.isSafeInteger(v) && v >= 0)) {
      throw outOfRange('options.maxBodyBytes', 'an integer >= 0 or Infinity', v);
    }
    limits.maxBodyBytes = v;
  }
  if (options.maxChunkExtensionBytes !== undefined) {
    validateInteger('options.maxChunkExtensionBytes', options.maxChunkExtensionBytes, 0, 2 ** 30);
    limits.maxChunkExtensionBytes = options.maxChunkExtensionBytes;
  }
  return Object.freeze(limits);
}

function stateError(message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code: 'ERR_INVALID_STATE' });
}

/**
 * One connection's request parser. The server's connection greenlet drives it:
 *
 *   for (;;) {
 *     let head = parser.readHead();
 *     while (head === null) {                    // idle or partial head
 *       const chunk = yield* recv();              // keepAliveTimeout / headersTimeout
 *       if (chunk === EOF) { parser.finish(); return; }   // throws 400 mid-request
 *       parser.feed(chunk);
 *       head = parser.readHead();
 *     }
 *     // req.body(): while (!parser.bodyComplete) { readBody() ?? feed(recv) },
 *     // sending CONTINUE_RESPONSE first if head.expectContinue.
 *     yield* handler(req, res);
 *     if (!parser.discardBody()) ...             // drain or close
 *     if (!keepAlive) break;
 *   }
 *
 * An HttpParseError from any method means: send errorResponse(e.status),
 * close. `parser.buffered > 0` after a response means pipelined requests are
 * waiting (a reason to hold back the flush).
 */
export class RequestParser {
  readonly limits: ParserLimits;

  // Input: buf[pos, len) is unconsumed. `owned` marks a carry buffer of ours
  // that nothing outside has a view of, so more input may be appended in place.
  private buf: Buffer = EMPTY;
  private pos = 0;
  private len = 0;
  private owned = false;
  /** An Int32Array over buf's memory for scanning long values four bytes at a time (see scanValue). */
  private words: Int32Array | null = null;
  private wordsFor: Buffer = EMPTY;
  /** Byte offset, within buf, of words[0]. */
  private wordsAt = 0;
  /** Stream offset of buf[0], for error offsets. */
  private base = 0;

  private phase = P_HEAD;
  private failure: HttpParseError | null = null;

  // Head and trailer scanning. Offsets are relative to secStart, so moving
  // the section into a carry buffer only moves secStart.
  private hstate = S_START;
  private secStart = 0;
  private methodStart = 0;
  private methodEnd = 0;
  private targetEnd = 0;
  private fieldCount = 0;
  /** Per field: id, nameStart, nameEnd, valueStart, valueEnd (SPAN_SIZE numbers). */
  private spans: number[] = [];
  /** Numbers of `spans` in use (the array is scratch, kept between requests). */
  private spanLen = 0;

  // Body.
  private remaining = 0; // bytes left of the Content-Length body or of the current chunk
  private bodyTotal = 0; // chunked data bytes so far in this message
  private cstate = C_SIZE;
  private chunkSize = 0;
  private sizeDigits = 0;
  private extBytes = 0;
  private lastTrailers: HeaderList = HeaderList.EMPTY;

  // Reused scratch for the end-of-head checks.
  private readonly tally: CodingTally = { count: 0, chunked: 0, lastChunked: false };
  private readonly shape: TargetShape = { form: null, pathStart: 0, queryStart: -1 };

  constructor(options?: RequestParserOptions) {
    this.limits = resolveLimits(options);
  }

  /** Where the parser stands; see ParserState. */
  get state(): ParserState {
    switch (this.phase) {
      case P_HEAD:
        return this.hstate <= S_START_EMPTY && this.pos === this.len ? 'idle' : 'head';
      case P_LENGTH:
      case P_CHUNKED:
      case P_TRAILERS:
        return 'body';
      case P_ENDED:
        return 'idle';
      default:
        return 'dead';
    }
  }

  /** The error that killed the parser, or null. */
  get error(): HttpParseError | null {
    return this.failure;
  }

  /** Bytes fed but not yet consumed (pipelined requests waiting, body bytes not yet read). */
  get buffered(): number {
    return this.len - this.pos;
  }

  /** Whether the current request's body has been read to its end (true when there is no request in progress). */
  get bodyComplete(): boolean {
    return this.phase !== P_LENGTH && this.phase !== P_CHUNKED && this.phase !== P_TRAILERS;
  }

  /** The trailer fields of the last chunked request whose body has been read to the end (empty otherwise). */
  get trailers(): HeaderList {
    return this.lastTrailers;
  }

  /**
   * Hands the parser the next bytes from the connection. The parser keeps
   * them without copying until it has consumed them: the caller must not
   * overwrite `chunk` until readHead()/readBody() have returned null (after
   * which the parser holds no reference to it, except for the body views it
   * returned). A request head split across chunks is copied.
   *
   * @param length - @internal Only chunk[0, length) is input: a server
   *   feeding its receive buffer saves making a view of it per receive.
   */
  feed(chunk: Uint8Array, length?: number): void {
    if (this.phase === P_DEAD) throw this.failure as HttpParseError;
    if (this.phase === P_ENDED) throw stateError('feed() after finish()');
    if (!(chunk instanceof Uint8Array)) throw invalidArgType('chunk', 'an instance of Buffer or Uint8Array', chunk);
    let n = chunk.length;
    if (length !== undefined) {
      if (!(Number.isInteger(length) && length >= 0 && length <= n)) throw outOfRange('length', `an integer from 0 to ${n}`, length);
      n = length;
    }
    if (n === 0) return;
    const input = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, n);
    const keep = this.inSection() ? this.secStart : this.pos;
    const len = this.len;
    this.words = null; // never keep a view of memory the parser is done with
    this.wordsFor = EMPTY;
    if (keep === len) {
      this.base += len;
      this.buf = input;
      this.pos -= keep;
      this.secStart = 0;
      this.len = n;
      this.owned = false;
      return;
    }
    if (this.owned && keep === 0 && this.buf.length - len >= n) {
      input.copy(this.buf, len);
      this.len = len + n;
      return;
    }
    const kept = len - keep;
    const carry = Buffer.allocUnsafe(Math.max(kept + n, kept * 2, 1024));
    this.buf.copy(carry, 0, keep, len);
    input.copy(carry, kept);
    this.rebase(carry, keep, kept + n);
  }

  /**
   * Parses the next request head. Returns null when more input is needed
   * (all fed input consumed). Throws HttpParseError on bad input (then the
   * parser is dead), and an ERR_INVALID_STATE Error if the previous request's
   * body has not been read to its end.
   */
  readHead(): RequestHead | null {
    if (this.phase !== P_HEAD) {
      if (this.phase === P_DEAD) throw this.failure as HttpParseError;
      if (this.phase === P_ENDED) return null;
      throw stateError("readHead() before the previous request's body was read to its end");
    }
    if (this.pos === this.len) return this.drained();
    if (this.hstate === S_START) this.secStart = this.pos;
    if (!this.scanSection(false)) return null;
    return this.completeHead();
  }

  /**
   * The next piece of the current request's body: a view of the fed input
   * (valid while the caller leaves that input alone), never empty. Returns
   * null when no body byte is available: then `bodyComplete` tells whether
   * the body has ended or more input is needed. Chunk framing and trailers
   * are consumed along the way.
   */
  readBody(): Buffer | null {
    switch (this.phase) {
      case P_LENGTH: {
        const pos = this.pos;
        const avail = this.len - pos;
        if (avail === 0) return this.drained();
        const n = avail < this.remaining ? avail : this.remaining;
        this.pos = pos + n;
        this.remaining -= n;
        if (this.remaining === 0) this.phase = P_HEAD;
        this.owned = false;
        return this.buf.subarray(pos, pos + n);
      }
      case P_CHUNKED:
        return this.readChunked();
      case P_TRAILERS:
        if (this.pos < this.len && this.scanSection(true)) this.completeTrailers();
        return null;
      case P_DEAD:
        throw this.failure as HttpParseError;
      default:
        return null;
    }
  }

  /**
   * Skips the rest of the current body as far as the input goes (a handler
   * that did not read it). Returns `bodyComplete`.
   */
  discardBody(): boolean {
    while (this.readBody() !== null);
    return this.bodyComplete;
  }

  /**
   * Tells the parser the input has ended (the peer closed). Fine between
   * requests (empty lines there are ignored); inside a head or a body it
   * throws an HttpParseError (400, ERR_HTTP_INCOMPLETE_REQUEST). Call it once
   * readHead()/readBody() have returned null.
   */
  finish(): void {
    if (this.phase === P_DEAD) throw this.failure as HttpParseError;
    if (this.phase === P_ENDED) return;
    if (this.phase === P_HEAD && this.hstate <= S_START_EMPTY && this.pos === this.len) {
      this.phase = P_ENDED;
      return;
    }
    const where = this.phase === P_HEAD ? 'head' : 'body';
    this.fail(400, 'ERR_HTTP_INCOMPLETE_REQUEST', `Connection closed in the middle of a request ${where}`, this.len);
  }

  // ---- internals ----

  /**
   * All input consumed: drops the reference to the last chunk, so an idle
   * keep-alive connection does not pin its last receive buffer. Returns null
   * (need more input) for the callers' convenience.
   */
  private drained(): null {
    if (this.len !== 0 && this.pos === this.len && !this.inSection()) {
      this.base += this.len;
      this.buf = EMPTY;
      this.pos = this.len = this.secStart = 0;
      this.owned = false;
      this.words = null;
      this.wordsFor = EMPTY;
    }
    return null;
  }

  /** Whether bytes from secStart on must be kept (a head or trailer section is partly scanned). */
  private inSection(): boolean {
    return (this.phase === P_HEAD && this.hstate !== S_START) || this.phase === P_TRAILERS;
  }

  /** Makes `carry` (holding buf[from...] at its start, `len` bytes valid) the input. */
  private rebase(carry: Buffer, from: number, len: number): void {
    this.base += from;
    this.pos -= from;
    this.secStart = this.inSection() ? this.secStart - from : 0;
    this.buf = carry;
    this.len = len;
    this.owned = true;
  }

  private fail(status: ParseErrorStatus, code: ParseErrorCode, message: string, at: number): never {
    const error = new HttpParseError(status, code, message, this.base + at);
    this.failure = error;
    this.phase = P_DEAD;
    // Drop the input: a dead parser holds no memory.
    this.buf = EMPTY;
    this.pos = this.len = this.secStart = 0;
    this.spans = [];
    this.spanLen = 0;
    this.words = null;
    this.wordsFor = EMPTY;
    throw error;
  }

  private fieldError(trailer: boolean, name: boolean, message: string, at: number): never {
    if (trailer) this.fail(400, 'ERR_HTTP_INVALID_TRAILER', `Invalid trailer: ${message}`, at);
    this.fail(400, name ? 'ERR_HTTP_INVALID_HEADER_NAME' : 'ERR_HTTP_INVALID_HEADER_VALUE', message, at);
  }

  private lineEndingError(at: number): never {
    this.fail(400, 'ERR_HTTP_INVALID_LINE_ENDING', 'Line ending is not CRLF', at);
  }

  /**
   * Scans a head (or, with `trailer`, a trailer section) from the saved
   * state as far as the input goes. True when the section's empty line has
   * been consumed; false when input ran out (the partial section is then
   * moved into a buffer of ours, so the caller may reuse its chunk).
   */
  private scanSection(trailer: boolean): boolean {
    const buf = this.buf;
    const start = this.secStart;
    const limit = start + this.limits.maxHeaderBytes;
    const end = this.len < limit ? this.len : limit;
    const spans = this.spans;
    let sl = this.spanLen;
    let p = this.pos;
    let state = this.hstate;
    let done = false;
    scan: while (p < end) {
      switch (state) {
        case S_START:
        case S_START_EMPTY: {
          const c = buf[p];
          if (TCHAR[c] === 1) {
            this.methodStart = p - start;
            state = S_METHOD;
            p++;
          } else if (c === CR) {
            // Empty lines before a request line are ignored (RFC 9112 §2.2).
            state = S_START_LF;
            p++;
          } else if (c === LF) {
            this.lineEndingError(p);
          } else {
            this.fail(400, 'ERR_HTTP_INVALID_METHOD', 'Invalid method', p);
          }
          break;
        }
        case S_START_LF:
          if (buf[p] !== LF) this.lineEndingError(p);
          state = S_START_EMPTY;
          p++;
          break;
        case S_METHOD: {
          while (p < end && TCHAR[buf[p]] === 1) p++;
          if (p === end) break scan;
          if (buf[p] !== SP) this.fail(400, 'ERR_HTTP_INVALID_METHOD', 'Invalid method', p);
          this.methodEnd = p - start;
          p++;
          state = S_TARGET;
          break;
        }
        case S_TARGET: {
          const targetStart = start + this.methodEnd + 1;
          while (p < end && TARGET_CHAR[buf[p]] === 1) p++;
          if (p === end) break scan;
          if (buf[p] !== SP || p === targetStart) this.fail(400, 'ERR_HTTP_INVALID_TARGET', 'Invalid request target', p);
          this.targetEnd = p - start;
          p++;
          state = S_VERSION;
          break;
        }
        case S_VERSION: {
          const vs = start + this.targetEnd + 1;
          while (p < end) {
            const k = p - vs;
            const c = buf[p];
            if (k < 5) {
              if (c !== VERSION_PREFIX[k]) this.fail(400, 'ERR_HTTP_INVALID_VERSION', 'Invalid HTTP version', p);
            } else if (k === 5 || k === 7) {
              if (c < 0x30 || c > 0x39) this.fail(400, 'ERR_HTTP_INVALID_VERSION', 'Invalid HTTP version', p);
            } else if (k === 6) {
              if (c !== 0x2e) this.fail(400, 'ERR_HTTP_INVALID_VERSION', 'Invalid HTTP version', p);
            } else if (k === 8) {
              if (c === LF) this.lineEndingError(p);
              if (c !== CR) this.fail(400, 'ERR_HTTP_INVALID_VERSION', 'Invalid HTTP version', p);
            } else {
              if (c !== LF) this.lineEndingError(p);
              // Only 1.0 and 1.1 are served; any other well-formed version
              // (0.9, 1.2, 2.0, ...) gets 505.
              if (buf[vs + 5] !== 0x31 || (buf[vs + 7] !== 0x30 && buf[vs + 7] !== 0x31)) {
                this.fail(505, 'ERR_HTTP_VERSION_NOT_SUPPORTED', 'HTTP version not supported', vs + 5);
              }
              p++;
              state = S_FIELD_START;
              continue scan;
            }
            p++;
          }
          break scan;
        }
        case S_FIELD_START:
        case S_NAME:
        case S_VALUE_OWS:
        case S_VALUE:
        case S_VALUE_LF: {
          // One field line, entered at the step where input last ran out;
          // the steps run in sequence without going back through the switch.
          if (state === S_FIELD_START) {
            const c = buf[p];
            if (TCHAR[c] !== 1) {
              if (c === CR) {
                state = S_END_LF;
                p++;
                break;
              }
              if (c === SP || c === HTAB) {
                // obs-fold (or whitespace before the first field): refused, as
                // RFC 9112 §5.2 and §2.2 allow; unfolding invites smuggling.
                if (trailer) this.fieldError(true, true, 'line folding', p);
                this.fail(400, 'ERR_HTTP_OBS_FOLD', 'Header line folding (obs-fold) is not allowed', p);
              }
              if (c === LF) this.lineEndingError(p);
              this.fieldError(trailer, true, 'Invalid header name', p);
            }
            spans[sl] = 0;
            spans[sl + 1] = p - start;
            sl += 2;
            state = S_NAME;
            p++;
          }
          if (state === S_NAME) {
            while (p < end && TCHAR[buf[p]] === 1) p++;
            if (p === end) break scan;
            const c = buf[p];
            if (c !== COLON) {
              this.fieldError(trailer, true, c === SP || c === HTAB ? 'Whitespace before the colon of a header' : 'Invalid header name', p);
            }
            spans[sl - 2] = fieldId(buf, start + spans[sl - 1], p);
            spans[sl++] = p - start;
            p++;
            state = S_VALUE_OWS;
          }
          if (state === S_VALUE_OWS) {
            while (p < end && (buf[p] === SP || buf[p] === HTAB)) p++;
            if (p === end) break scan;
            spans[sl++] = p - start;
            state = S_VALUE;
          }
          if (state === S_VALUE) {
            // Short values byte by byte; past 16 bytes, four at a time.
            const quick = end - p > 16 ? p + 16 : end;
            while (p < quick && FIELD_VALUE_CHAR[buf[p]] === 1) p++;
            if (p === quick && p < end) {
              p = this.scanValue(buf, p, end);
              while (p < end && FIELD_VALUE_CHAR[buf[p]] === 1) p++;
            }
            if (p === end) break scan;
            const c = buf[p];
            if (c !== CR) {
              if (c === LF) this.lineEndingError(p);
              this.fieldError(trailer, false, 'Invalid character in header value', p);
            }
            let valueEnd = p;
            const valueStart = start + spans[sl - 1];
            while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) valueEnd--;
            spans[sl++] = valueEnd - start;
            p++;
            state = S_VALUE_LF;
            if (p === end) break scan;
          }
          if (buf[p] !== LF) this.lineEndingError(p);
          p++;
          if (++this.fieldCount > this.limits.maxHeaderCount) {
            if (trailer) this.fail(431, 'ERR_HTTP_TRAILERS_TOO_LARGE', 'Too many trailer fields', p);
            this.fail(431, 'ERR_HTTP_HEADERS_TOO_LARGE', 'Too many header fields', p);
          }
          state = S_FIELD_START;
          break;
        }
        case S_END_LF:
          if (buf[p] !== LF) this.lineEndingError(p);
          p++;
          done = true;
          break scan;
      }
    }
    this.pos = p;
    this.hstate = state;
    this.spanLen = sl;
    if (done) return true;
    if (p === limit) {
      if (trailer) this.fail(431, 'ERR_HTTP_TRAILERS_TOO_LARGE', 'Trailer section too large', p);
      if (state === S_TARGET) this.fail(414, 'ERR_HTTP_URI_TOO_LONG', 'Request target too long', p);
      this.fail(431, 'ERR_HTTP_HEADERS_TOO_LARGE', 'Request header section too large', p);
    }
    if (!this.owned && start < this.len) {
      // Keep the partial section in a buffer of ours: the caller may reuse its chunk.
      const kept = this.len - start;
      const carry = Buffer.allocUnsafe(Math.max(kept * 2, 1024));
      buf.copy(carry, 0, start, this.len);
      this.rebase(carry, start, kept);
    }
    return false;
  }

  /**
   * Skips field-value bytes in buf[p, end) four at a time and returns where
   * the word-wise scan stopped: at or before the first byte that is not
   * SP..0x7e or obs-text (a CR ends every value; HTAB, also valid, just
   * drops back to the byte loop). Values are most of a browser's head, and
   * this runs ~3x faster than the byte loop on them.
   */
  private scanValue(buf: Buffer, p: number, end: number): number {
    if (this.wordsFor !== buf) {
      const offset = buf.byteOffset;
      const first = (offset + 3) & ~3;
      const count = ((offset + buf.length) & ~3) - first;
      this.words = count > 0 ? new Int32Array(buf.buffer, first, count >> 2) : null;
      this.wordsFor = buf;
      this.wordsAt = first - offset;
    }
    const words = this.words;
    if (words === null) return p;
    // Byte by byte to a word boundary, then whole words inside [p, end).
    const at = this.wordsAt;
    while (p < end && ((p - at) & 3) !== 0) {
      if (FIELD_VALUE_CHAR[buf[p]] === 0) return p;
      p++;
    }
    if (p < at) return p;
    let i = (p - at) >> 2;
    const stop = Math.min((end - at) >> 2, words.length);
    for (; i < stop; i++) {
      const w = words[i];
      // Some byte < 0x20, or some byte == 0x7f (the classic has-less and has-zero tricks).
      const x = w ^ 0x7f7f7f7f;
      if ((((w - 0x20202020) & ~w) | ((x - 0x01010101) & ~x)) & 0x80808080) break;
    }
    return at + (i << 2);
  }

  /** Builds the RequestHead of a fully scanned head, applying the field semantics. */
  private completeHead(): RequestHead {
    const buf = this.buf as Latin1Buffer;
    const start = this.secStart;
    const src = buf.latin1Slice(start, this.pos);
    const spans = this.spanLen === 0 ? [] : this.spans.slice(0, this.spanLen);
    this.spanLen = 0;
    this.hstate = S_START;
    this.fieldCount = 0;
    this.owned = false;

    const mStart = start + this.methodStart;
    const mEnd = start + this.methodEnd;
    const method = knownMethod(buf, mStart, mEnd) ?? src.slice(this.methodStart, this.methodEnd);
    const tStart = mEnd + 1;
    const tEnd = start + this.targetEnd;
    const shape = this.shape;
    shapeTarget(buf, tStart, tEnd, method, shape);
    if (shape.form === null) this.fail(400, 'ERR_HTTP_INVALID_TARGET', 'Invalid request target', tStart);
    const url = tEnd - tStart === 1 && buf[tStart] === 0x2f ? '/' : src.slice(tStart - start, tEnd - start);
    const minor = buf[tEnd + 8] - 0x30;
    const httpVersion: HttpVersion = minor === 1 ? '1.1' : '1.0';

    let hosts = 0;
    let contentLength = -1;
    let teLines = 0;
    let connection = 0;
    let expectContinue = false;
    let upgradeField = false;
    const tally = this.tally;
    for (let k = 0; k < spans.length; k += SPAN_SIZE) {
      const id = spans[k];
      if (id === 0 || id > UPGRADE) continue;
      const vStart = start + spans[k + 3];
      const vEnd = start + spans[k + 4];
      switch (id) {
        case HOST:
          hosts++;
          if (!isValidHost(buf, vStart, vEnd)) this.fail(400, 'ERR_HTTP_INVALID_HOST', 'Invalid Host header', vStart);
          break;
        case CONTENT_LENGTH: {
          const n = parseContentLength(buf, vStart, vEnd);
          if (n === LENGTH_OVERFLOW) this.fail(413, 'ERR_HTTP_BODY_TOO_LARGE', 'Content-Length too large', vStart);
          if (n === LENGTH_INVALID || (contentLength !== -1 && n !== contentLength)) {
            this.fail(400, 'ERR_HTTP_INVALID_CONTENT_LENGTH', 'Invalid Content-Length', vStart);
          }
          contentLength = n;
          break;
        }
        case TRANSFER_ENCODING:
          if (teLines++ === 0) {
            tally.count = tally.chunked = 0;
            tally.lastChunked = false;
          }
          if (!tallyTransferEncoding(buf, vStart, vEnd, tally)) {
            this.fail(400, 'ERR_HTTP_INVALID_TRANSFER_ENCODING', 'Invalid Transfer-Encoding', vStart);
          }
          break;
        case CONNECTION: {
          const bits = connectionOptions(buf, vStart, vEnd);
          if (bits === CONN_INVALID) this.fail(400, 'ERR_HTTP_INVALID_CONNECTION', 'Invalid Connection header', vStart);
          connection |= bits;
          break;
        }
        case EXPECT:
          if (isContinueExpectation(buf, vStart, vEnd)) expectContinue = true;
          break;
        case UPGRADE:
          upgradeField = true;
          break;
      }
    }
    // RFC 9112 §3.2: exactly one Host in HTTP/1.1, at most one in 1.0.
    if (hosts > 1) this.fail(400, 'ERR_HTTP_INVALID_HOST', 'More than one Host header', start);
    if (hosts === 0 && minor === 1) this.fail(400, 'ERR_HTTP_MISSING_HOST', 'Missing Host header', start);

    let framing: BodyFraming = 'none';
    let length = 0;
    if (teLines > 0) {
      // RFC 9112 §6.1, §6.3: TE with CL, TE in HTTP/1.0, and chunked not
      // last (or repeated) make the framing unreliable: 400. A coding we do
      // not implement under a final chunked: 501.
      if (contentLength !== -1) {
        this.fail(400, 'ERR_HTTP_CONFLICTING_FRAMING', 'Both Transfer-Encoding and Content-Length', start);
      }
      if (minor === 0) this.fail(400, 'ERR_HTTP_INVALID_TRANSFER_ENCODING', 'Transfer-Encoding in an HTTP/1.0 request', start);
      if (!tally.lastChunked || tally.chunked > 1) {
        this.fail(400, 'ERR_HTTP_INVALID_TRANSFER_ENCODING', 'Transfer-Encoding must end with a single chunked', start);
      }
      if (tally.count > 1) this.fail(501, 'ERR_HTTP_UNSUPPORTED_TRANSFER_ENCODING', 'Unsupported transfer coding', start);
      framing = 'chunked';
      length = -1;
    } else if (contentLength > 0) {
      if (contentLength > this.limits.maxBodyBytes) this.fail(413, 'ERR_HTTP_BODY_TOO_LARGE', 'Request body too large', start);
      framing = 'length';
      length = contentLength;
    }

    const keepAlive =
      (connection & CONN_CLOSE) === 0 && (minor === 1 || (connection & CONN_KEEP_ALIVE) !== 0);
    const head = new RequestHead({
      method,
      url,
      targetForm: shape.form,
      pathStart: shape.pathStart,
      queryStart: shape.queryStart,
      httpVersion,
      headers: spans.length === 0 ? HeaderList.EMPTY : new HeaderList(src, spans),
      keepAlive,
      expectContinue: expectContinue && minor === 1,
      upgrade: upgradeField && (connection & CONN_UPGRADE) !== 0,
      framing,
      contentLength: length,
    });

    this.lastTrailers = HeaderList.EMPTY;
    if (framing === 'length') {
      this.phase = P_LENGTH;
      this.remaining = length;
    } else if (framing === 'chunked') {
      this.phase = P_CHUNKED;
      this.cstate = C_SIZE;
      this.chunkSize = this.sizeDigits = this.extBytes = this.bodyTotal = 0;
    }
    return head;
  }

  /** Runs the chunked decoder until body bytes are available (returned), input runs out or the body ends (null). */
  private readChunked(): Buffer | null {
    const buf = this.buf;
    const len = this.len;
    let p = this.pos;
    let st = this.cstate;
    while (p < len) {
      switch (st) {
        case C_DATA: {
          const avail = len - p;
          const n = avail < this.remaining ? avail : this.remaining;
          this.remaining -= n;
          this.pos = p + n;
          this.cstate = this.remaining === 0 ? C_DATA_CR : C_DATA;
          this.owned = false;
          return buf.subarray(p, p + n);
        }
        case C_SIZE: {
          const c = buf[p];
          const h = HEX_VALUE[c];
          if (h >= 0) {
            if (++this.sizeDigits > MAX_CHUNK_SIZE_DIGITS) this.fail(400, 'ERR_HTTP_INVALID_CHUNK', 'Chunk size too long', p);
            const size = this.chunkSize * 16 + h;
            if (size > Number.MAX_SAFE_INTEGER || this.bodyTotal + size > this.limits.maxBodyBytes) {
              this.fail(413, 'ERR_HTTP_BODY_TOO_LARGE', 'Request body too large', p);
            }
            this.chunkSize = size;
            p++;
            break;
          }
          if (this.sizeDigits === 0) this.fail(400, 'ERR_HTTP_INVALID_CHUNK', 'Invalid chunk size', p);
          if (c === CR) {
            st = C_SIZE_LF;
          } else if (c === SEMICOLON) {
            st = C_EXT;
            this.countExtension(p);
          } else if (c === SP || c === HTAB) {
            st = C_EXT_BWS;
            this.countExtension(p);
          } else if (c === LF) {
            this.lineEndingError(p);
          } else {
            this.fail(400, 'ERR_HTTP_INVALID_CHUNK', 'Invalid chunk size', p);
          }
          p++;
          break;
        }
        case C_EXT_BWS: {
          const c = buf[p];
          if (c === SEMICOLON) st = C_EXT;
          else if (c !== SP && c !== HTAB) this.fail(400, 'ERR_HTTP_INVALID_CHUNK', 'Invalid chunk extension', p);
          this.countExtension(p);
          p++;
          break;
        }
        case C_EXT: {
          // Extensions are tolerated, not interpreted (RFC 9112 §7.1.1):
          // only their characters are checked, and their total size bounded.
          // The scan stops one byte past the budget, so a huge extension is
          // refused without reading it all.
          const from = p;
          const budget = this.limits.maxChunkExtensionBytes - this.extBytes;
          const stop = len - from > budget ? from + budget + 1 : len;
          while (p < stop && FIELD_VALUE_CHAR[buf[p]] === 1) p++;
          if (p - from > budget) {
            this.fail(413, 'ERR_HTTP_CHUNK_EXTENSIONS_TOO_LARGE', 'Chunk extensions too large', from + budget);
          }
          this.extBytes += p - from;
          if (p === len) break;
          if (buf[p] === CR) {
            st = C_SIZE_LF;
            p++;
          } else if (buf[p] === LF) {
            this.lineEndingError(p);
          } else {
            this.fail(400, 'ERR_HTTP_INVALID_CHUNK', 'Invalid character in chunk extension', p);
          }
          break;
        }
        case C_SIZE_LF: {
          if (buf[p] !== LF) this.lineEndingError(p);
          p++;
          const size = this.chunkSize;
          this.chunkSize = this.sizeDigits = 0;
          if (size === 0) {
            // last-chunk: the trailer section follows, scanned like a head.
            this.pos = p;
            this.phase = P_TRAILERS;
            this.hstate = S_FIELD_START;
            this.secStart = p;
            this.fieldCount = 0;
            this.spanLen = 0;
            if (this.scanSection(true)) this.completeTrailers();
            return null;
          }
          this.bodyTotal += size;
          this.remaining = size;
          st = C_DATA;
          break;
        }
        case C_DATA_CR:
          if (buf[p] !== CR) this.fail(400, 'ERR_HTTP_INVALID_CHUNK', 'Chunk data does not end with CRLF', p);
          st = C_DATA_LF;
          p++;
          break;
        case C_DATA_LF:
          if (buf[p] !== LF) this.lineEndingError(p);
          st = C_SIZE;
          p++;
          break;
      }
    }
    this.pos = p;
    this.cstate = st;
    return this.drained();
  }

  /** Counts one extension byte at p against the limit. */
  private countExtension(p: number): void {
    if (++this.extBytes > this.limits.maxChunkExtensionBytes) {
      this.fail(413, 'ERR_HTTP_CHUNK_EXTENSIONS_TOO_LARGE', 'Chunk extensions too large', p);
    }
  }

  private completeTrailers(): void {
    if (this.spanLen > 0) {
      const src = (this.buf as Latin1Buffer).latin1Slice(this.secStart, this.pos);
      this.lastTrailers = new HeaderList(src, this.spans.slice(0, this.spanLen));
      this.spanLen = 0;
    }
    this.phase = P_HEAD;
    this.hstate = S_START;
    this.fieldCount = 0;
    this.owned = false;
  }
}
