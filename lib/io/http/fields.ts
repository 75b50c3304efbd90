// Parsers for the values of the fields that decide a request's framing and
// the connection's fate (Content-Length, Transfer-Encoding, Connection,
// Expect, Host). They read bytes in place, before any string exists, and
// report malformed values by return code; the parser turns codes into
// HttpParseErrors with the right status.
import * as chars from './chars';

// Imports are bound to local constants: transpilers that compile ES imports to
// live-binding getters (tsx/esbuild, used by the tests and benches) would
// otherwise cost a getter call per byte scanned.
const { BACKSLASH, COMMA, DQUOTE, HOST_CHAR, HTAB, SEMICOLON, SP, TCHAR, equalsLower, lowerByte } = chars;

/** Content-Length that is not 1*DIGIT (or a list of equal ones). */
export const LENGTH_INVALID = -1;
/** Content-Length above 2^53 - 1: more than anything could accept. */
export const LENGTH_OVERFLOW = -2;

const isOws = (c: number): boolean => c === SP || c === HTAB;

/**
 * A Content-Length value: 1*DIGIT. A list of identical values ("5, 5", what a
 * proxy makes of two equal lines) is accepted as that value (RFC 9110 §8.6);
 * differing ones are invalid. Returns the length, LENGTH_INVALID or
 * LENGTH_OVERFLOW.
 */
export function parseContentLength(buf: Uint8Array, start: number, end: number): number {
  let result = -3; // no element yet
  let i = start;
  for (;;) {
    if (i === end || buf[i] < 0x30 || buf[i] > 0x39) return LENGTH_INVALID;
    let n = 0;
    while (i < end) {
      const d = buf[i] - 0x30;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
      if (n > Number.MAX_SAFE_INTEGER) return LENGTH_OVERFLOW;
      i++;
    }
    if (result !== -3 && n !== result) return LENGTH_INVALID;
    result = n;
    while (i < end && isOws(buf[i])) i++;
    if (i === end) return result;
    if (buf[i] !== COMMA) return LENGTH_INVALID;
    i++;
    while (i < end && isOws(buf[i])) i++;
  }
}

/** Transfer codings seen so far in a request's Transfer-Encoding lines. */
export interface CodingTally {
  /** Codings in order (all lines together). */
  count: number;
  /** How many of them were "chunked". */
  chunked: number;
  /** Whether the last one was "chunked". */
  lastChunked: boolean;
}

const CHUNKED = Buffer.from('chunked', 'latin1');

/** Index after a token starting at i (i itself when there is none). */
function skipToken(buf: Uint8Array, i: number, end: number): number {
  while (i < end && TCHAR[buf[i]] === 1) i++;
  return i;
}

/** Index after a quoted-string starting at the DQUOTE at i, or -1. */
function skipQuoted(buf: Uint8Array, i: number, end: number): number {
  for (i++; i < end; i++) {
    const c = buf[i];
    if (c === DQUOTE) return i + 1;
    if (c === BACKSLASH) {
      i++;
      if (i === end || (buf[i] < 0x20 && buf[i] !== HTAB) || buf[i] === 0x7f) return -1;
    } else if ((c < 0x20 && c !== HTAB) || c === 0x7f) {
      return -1;
    }
  }
  return -1;
}

/**
 * Adds one Transfer-Encoding line to the tally: a list of transfer-coding
 * (token *(OWS ";" OWS token "=" (token / quoted-string))). Empty list
 * elements are skipped (RFC 9110 §5.6.1.2). Returns false when the syntax is
 * invalid, or "chunked" carries parameters (it defines none).
 */
export function tallyTransferEncoding(buf: Uint8Array, start: number, end: number, tally: CodingTally): boolean {
  let i = start;
  for (;;) {
    while (i < end && (isOws(buf[i]) || buf[i] === COMMA)) i++;
    if (i === end) return true;
    const nameEnd = skipToken(buf, i, end);
    if (nameEnd === i) return false;
    const chunked = equalsLower(buf, i, nameEnd, CHUNKED);
    i = nameEnd;
    for (;;) {
      let j = i;
      while (j < end && isOws(buf[j])) j++;
      if (j === end || buf[j] !== SEMICOLON) break;
      if (chunked) return false;
      j++;
      while (j < end && isOws(buf[j])) j++;
      const k = skipToken(buf, j, end);
      if (k === j || k === end || buf[k] !== 0x3d /* = */) return false;
      i = k + 1;
      if (i < end && buf[i] === DQUOTE) {
        i = skipQuoted(buf, i, end);
        if (i === -1) return false;
      } else {
        const v = skipToken(buf, i, end);
        if (v === i) return false;
        i = v;
      }
    }
    while (i < end && isOws(buf[i])) i++;
    if (i < end && buf[i] !== COMMA) return false;
    tally.count++;
    if (chunked) tally.chunked++;
    tally.lastChunked = chunked;
  }
}

/** Connection options the parser acts on, as bits. */
export const CONN_CLOSE = 1;
export const CONN_KEEP_ALIVE = 2;
export const CONN_UPGRADE = 4;
/** A Connection value that is not a list of tokens. */
export const CONN_INVALID = -1;

const CLOSE = Buffer.from('close', 'latin1');
const KEEP_ALIVE = Buffer.from('keep-alive', 'latin1');
const UPGRADE_TOKEN = Buffer.from('upgrade', 'latin1');

/** The options of a Connection value (#token, case-insensitive) as CONN_* bits, or CONN_INVALID. */
export function connectionOptions(buf: Uint8Array, start: number, end: number): number {
  let bits = 0;
  let i = start;
  for (;;) {
    while (i < end && (isOws(buf[i]) || buf[i] === COMMA)) i++;
    if (i === end) return bits;
    const tokenEnd = skipToken(buf, i, end);
    if (tokenEnd === i) return CONN_INVALID;
    switch (lowerByte(buf[i])) {
      case 0x63 /* c */:
        if (equalsLower(buf, i, tokenEnd, CLOSE)) bits |= CONN_CLOSE;
        break;
      case 0x6b /* k */:
        if (equalsLower(buf, i, tokenEnd, KEEP_ALIVE)) bits |= CONN_KEEP_ALIVE;
        break;
      case 0x75 /* u */:
        if (equalsLower(buf, i, tokenEnd, UPGRADE_TOKEN)) bits |= CONN_UPGRADE;
        break;
    }
    i = tokenEnd;
    while (i < end && isOws(buf[i])) i++;
    if (i < end && buf[i] !== COMMA) return CONN_INVALID;
  }
}

const CONTINUE = Buffer.from('100-continue', 'latin1');

/** Whether an Expect value is exactly 100-continue (case-insensitive, RFC 9110 §10.1.1). */
export function isContinueExpectation(buf: Uint8Array, start: number, end: number): boolean {
  return equalsLower(buf, start, end, CONTINUE);
}

/**
 * Whether a Host value is a plausible uri-host [":" port]: the characters of
 * reg-name, IP-literal and port only, brackets only around an IP-literal at
 * the start, digits only after the port's colon. An empty value is valid (a
 * target without authority, RFC 9112 §3.2).
 */
export function isValidHost(buf: Uint8Array, start: number, end: number): boolean {
  let i = start;
  if (i < end && buf[i] === 0x5b /* [ */) {
    while (i < end && buf[i] !== 0x5d /* ] */) {
      if (HOST_CHAR[buf[i]] === 0 || (i > start && buf[i] === 0x5b)) return false;
      i++;
    }
    if (i === end) return false;
    i++;
    if (i === end) return true;
    if (buf[i] !== 0x3a /* : */) return false;
  } else {
    while (i < end && buf[i] !== 0x3a) {
      const c = buf[i];
      if (HOST_CHAR[c] === 0 || c === 0x5b || c === 0x5d) return false;
      i++;
    }
    if (i === end) return true;
  }
  // ":" port, port = *DIGIT
  for (i++; i < end; i++) {
    if (buf[i] < 0x30 || buf[i] > 0x39) return false;
  }
  return true;
}
