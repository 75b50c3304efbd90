// Byte classes of the HTTP/1.1 grammar (RFC 9110 §5.6, RFC 9112, RFC 3986),
// as 256-entry lookup tables: the parser scans bytes, and one table load per
// byte is the cheapest test V8 can compile.

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;
export const COLON = 0x3a;
export const SEMICOLON = 0x3b;
export const COMMA = 0x2c;
export const QUESTION = 0x3f;
export const SLASH = 0x2f;
export const PERCENT = 0x25;
export const DQUOTE = 0x22;
export const BACKSLASH = 0x5c;

function table(accept: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = accept(c) ? 1 : 0;
  return t;
}

const isAlpha = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** tchar: the bytes of a token (method, field name, coding, connection option). */
export const TCHAR = table((c) => isAlpha(c) || isDigit(c) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c)));

/**
 * Bytes allowed in a request-target: VCHAR (0x21-0x7e) except "#". RFC 3986
 * is narrower (no `"<>\^`{|}`), but real clients, Node's own among them, send
 * those unencoded in paths and query strings; rejecting them buys no safety,
 * since none of them can end the target or the line. A fragment never belongs
 * in a request, so "#" is refused. Controls, SP, DEL and non-ASCII bytes are
 * refused: they are how targets get smuggled past proxies.
 */
export const TARGET_CHAR = table((c) => c >= 0x21 && c <= 0x7e && c !== 0x23);

/**
 * field-vchar / SP / HTAB inside a field value: VCHAR, obs-text (0x80-0xff,
 * decoded as latin1), SP and HTAB. Every other control byte (NUL, bare CR or
 * LF, DEL...) is invalid.
 */
export const FIELD_VALUE_CHAR = table((c) => c === HTAB || (c >= 0x20 && c !== 0x7f));

/** Characters of a Host field value: reg-name / IP-literal / IPv4 plus ":" port. */
export const HOST_CHAR = table(
  (c) => isAlpha(c) || isDigit(c) || "-._~!$&'()*+,;=%:[]".includes(String.fromCharCode(c)),
);

/** Characters of a URI scheme after its first letter. */
export const SCHEME_CHAR = table((c) => isAlpha(c) || isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e);

/** Hex digit values, -1 for any other byte. */
export const HEX_VALUE: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let c = 0x30; c <= 0x39; c++) t[c] = c - 0x30;
  for (let c = 0x41; c <= 0x46; c++) t[c] = c - 0x41 + 10;
  for (let c = 0x61; c <= 0x66; c++) t[c] = c - 0x61 + 10;
  return t;
})();

/** ASCII lower-casing of one byte (letters only). */
export function lowerByte(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** Whether buf[start, end) equals `lower` (already lower-case ASCII bytes), ignoring ASCII case. */
export function equalsLower(buf: Uint8Array, start: number, end: number, lower: Uint8Array): boolean {
  const n = lower.length;
  if (end - start !== n) return false;
  for (let i = 0; i < n; i++) {
    if (lowerByte(buf[start + i]) !== lower[i]) return false;
  }
  return true;
}
