// Classifies and checks a complete request-target (RFC 9112 §3.2) in place.
// The parser's byte scan has already limited it to TARGET_CHAR; here the form
// is decided and the structure checked: percent-escapes, the absolute form's
// scheme and authority, the authority form's host:port.
import * as chars from './chars';
import * as fields from './fields';
import type { TargetForm } from './request-head';

// Imports are bound to local constants: transpilers that compile ES imports to
// live-binding getters (tsx/esbuild, used by the tests and benches) would
// otherwise cost a getter call per byte scanned.
const { HEX_VALUE, PERCENT, QUESTION, SCHEME_CHAR, SLASH } = chars;
const { isValidHost } = fields;

/** Where the path and query lie in a valid target; `form` is null when it is invalid. */
export interface TargetShape {
  form: TargetForm | null;
  /** Offset of the path from the target's start. */
  pathStart: number;
  /** Offset of the first "?" from the target's start, or -1. */
  queryStart: number;
}

/** Checks the percent-escapes of buf[start, end); returns the offset of the first "?" or -1, or -2 when invalid. */
function scanPathAndQuery(buf: Uint8Array, start: number, end: number, origin: number): number {
  let query = -1;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c === PERCENT) {
      if (i + 2 >= end || HEX_VALUE[buf[i + 1]] < 0 || HEX_VALUE[buf[i + 2]] < 0) return -2;
      i += 2;
    } else if (c === QUESTION && query === -1) {
      query = i - origin;
    }
  }
  return query;
}

const isAlpha = (c: number): boolean => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;

/**
 * Shapes the target buf[start, end) of a request with the given method.
 * origin-form for every method but CONNECT, absolute-form likewise,
 * authority-form for CONNECT only, asterisk-form for OPTIONS only.
 */
export function shapeTarget(buf: Uint8Array, start: number, end: number, method: string, out: TargetShape): void {
  out.form = null;
  out.pathStart = 0;
  out.queryStart = -1;
  const first = buf[start];
  const connect = method === 'CONNECT';
  if (first === SLASH) {
    if (connect) return;
    const q = scanPathAndQuery(buf, start, end, start);
    if (q === -2) return;
    out.queryStart = q;
    out.form = 'origin';
    return;
  }
  if (first === 0x2a /* * */ && end - start === 1) {
    if (method === 'OPTIONS') out.form = 'asterisk';
    return;
  }
  if (connect) {
    // authority-form: uri-host ":" port, port required (RFC 9110 §9.3.6).
    if (!isValidHost(buf, start, end)) return;
    let colon = end - 1;
    while (colon > start && buf[colon] !== 0x3a) colon--;
    if (buf[colon] !== 0x3a || colon === end - 1 || buf[end - 1] === 0x5d /* ] */) return;
    out.form = 'authority';
    out.pathStart = end - start;
    return;
  }
  if (!isAlpha(first)) return;
  let i = start + 1;
  while (i < end && SCHEME_CHAR[buf[i]] === 1) i++;
  if (!(end - i >= 3 && buf[i] === 0x3a && buf[i + 1] === SLASH && buf[i + 2] === SLASH)) return;
  // absolute-form: scheme "://" authority path-abempty [ "?" query ]. Userinfo
  // ("user@host") is refused: deprecated for http(s) and a phishing vector
  // (RFC 9110 §4.2.4).
  const authStart = i + 3;
  let authEnd = authStart;
  while (authEnd < end && buf[authEnd] !== SLASH && buf[authEnd] !== QUESTION) authEnd++;
  if (authEnd === authStart || !isValidHost(buf, authStart, authEnd)) return;
  const q = scanPathAndQuery(buf, authEnd, end, start);
  if (q === -2) return;
  out.form = 'absolute';
  out.pathStart = authEnd - start;
  out.queryStart = q;
}
