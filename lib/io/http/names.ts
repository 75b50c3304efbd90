// Ids for the field names the parser acts on, and interned standard methods.
// Matching a name's bytes against the few names that matter costs less than
// building a string; every other name stays a pair of offsets until a handler
// asks for it (HeaderList compares those lazily, without allocating).
import * as chars from './chars';

// Imports are bound to local constants: transpilers that compile ES imports to
// live-binding getters (tsx/esbuild, used by the tests and benches) would
// otherwise cost a getter call per byte scanned.
const { equalsLower, lowerByte } = chars;

/** Field-name ids: the fields that decide framing and the connection's fate. */
export const UNKNOWN = 0;
export const HOST = 1;
export const CONTENT_LENGTH = 2;
export const TRANSFER_ENCODING = 3;
export const CONNECTION = 4;
export const EXPECT = 5;
export const UPGRADE = 6;

const FIELD_BY_ID = ['', 'host', 'content-length', 'transfer-encoding', 'connection', 'expect', 'upgrade'];
const BYTES_BY_ID = FIELD_BY_ID.map((name) => Buffer.from(name, 'latin1'));

/** The id of the field name in buf[start, end) (any case), or UNKNOWN. */
export function fieldId(buf: Uint8Array, start: number, end: number): number {
  // Length and first letter reject nearly every other name without a loop.
  let id: number;
  switch (end - start) {
    case 4:
      id = HOST;
      break;
    case 6:
      id = EXPECT;
      break;
    case 7:
      id = UPGRADE;
      break;
    case 10:
      id = CONNECTION;
      break;
    case 14:
      id = CONTENT_LENGTH;
      break;
    case 17:
      id = TRANSFER_ENCODING;
      break;
    default:
      return UNKNOWN;
  }
  const bytes = BYTES_BY_ID[id];
  if (lowerByte(buf[start]) !== bytes[0]) return UNKNOWN;
  return equalsLower(buf, start, end, bytes) ? id : UNKNOWN;
}

/** The lower-case name of a known id. */
export function fieldName(id: number): string {
  return FIELD_BY_ID[id];
}

/** The id of a lower-case field name, or UNKNOWN. */
export function fieldIdOf(lowerName: string): number {
  const id = FIELD_BY_ID.indexOf(lowerName);
  return id > 0 ? id : UNKNOWN;
}

interface Method {
  readonly name: string;
  readonly bytes: Uint8Array;
}

// Methods are case-sensitive (RFC 9110 §9.1), so these match exactly.
const METHODS: (Method[] | undefined)[][] = [];
for (const name of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']) {
  const bytes = Buffer.from(name, 'latin1');
  const row = (METHODS[name.length] ??= []);
  (row[bytes[0]] ??= []).push({ name, bytes });
}

/** The interned string of a standard method in buf[start, end), or null. */
export function knownMethod(buf: Uint8Array, start: number, end: number): string | null {
  const row = METHODS[end - start];
  if (row === undefined) return null;
  const candidates = row[buf[start]];
  if (candidates === undefined) return null;
  outer: for (let i = 0; i < candidates.length; i++) {
    const bytes = candidates[i].bytes;
    for (let j = 1; j < bytes.length; j++) {
      if (buf[start + j] !== bytes[j]) continue outer;
    }
    return candidates[i].name;
  }
  return null;
}
