// Interned methods and field names. Matching the bytes of a common method or
// field name against a short table is cheaper than building a string and
// lower-casing it, and it hands out one shared string per name, so header
// look-ups compare by identity. Field names also get a small integer id that
// the parser uses for the fields that decide framing and connection reuse.
import { equalsLower, lowerByte } from './chars';

/** Field-name ids the parser acts on (names after these in the table are interned only). */
export const UNKNOWN = 0;
export const HOST = 1;
export const CONTENT_LENGTH = 2;
export const TRANSFER_ENCODING = 3;
export const CONNECTION = 4;
export const EXPECT = 5;
export const UPGRADE = 6;

const FIELD_NAMES = [
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'expect',
  'upgrade',
  // Common request fields, interned only for speed.
  'accept',
  'accept-charset',
  'accept-encoding',
  'accept-language',
  'authorization',
  'cache-control',
  'content-encoding',
  'content-type',
  'cookie',
  'date',
  'dnt',
  'forwarded',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'keep-alive',
  'origin',
  'pragma',
  'priority',
  'range',
  'referer',
  'sec-ch-ua',
  'sec-ch-ua-mobile',
  'sec-ch-ua-platform',
  'sec-fetch-dest',
  'sec-fetch-mode',
  'sec-fetch-site',
  'sec-fetch-user',
  'sec-websocket-extensions',
  'sec-websocket-key',
  'sec-websocket-protocol',
  'sec-websocket-version',
  'te',
  'trailer',
  'upgrade-insecure-requests',
  'user-agent',
  'via',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'x-request-id',
  'x-requested-with',
];

if (FIELD_NAMES.indexOf('upgrade') !== UPGRADE - 1) {
  throw new Error('names.ts: the field-name ids and the table disagree');
}

interface Entry {
  readonly id: number;
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** Entries by name length, then by lower-cased first byte: at most a few candidates per name. */
function index(names: readonly string[], firstId: number): (Entry[] | undefined)[][] {
  const byLength: (Entry[] | undefined)[][] = [];
  names.forEach((name, i) => {
    const bytes = Buffer.from(name, 'latin1');
    const row = (byLength[name.length] ??= []);
    (row[bytes[0]] ??= []).push({ id: firstId + i, name, bytes });
  });
  return byLength;
}

const FIELDS = index(FIELD_NAMES, 1);
const FIELD_BY_ID: string[] = ['', ...FIELD_NAMES];
const ID_BY_FIELD = new Map<string, number>(FIELD_NAMES.map((name, i) => [name, i + 1]));

/** The id of the field name in buf[start, end) (any case), or UNKNOWN. */
export function fieldId(buf: Uint8Array, start: number, end: number): number {
  const row = FIELDS[end - start];
  if (row === undefined) return UNKNOWN;
  const candidates = row[lowerByte(buf[start])];
  if (candidates === undefined) return UNKNOWN;
  for (let i = 0; i < candidates.length; i++) {
    const e = candidates[i];
    if (equalsLower(buf, start, end, e.bytes)) return e.id;
  }
  return UNKNOWN;
}

/** The interned lower-case name of a known id. */
export function fieldName(id: number): string {
  return FIELD_BY_ID[id];
}

/** The id of a lower-case field name, or UNKNOWN. */
export function fieldIdOf(lowerName: string): number {
  return ID_BY_FIELD.get(lowerName) ?? UNKNOWN;
}

// Methods are case-sensitive (RFC 9110 §9.1), so these match exactly.
const METHOD_NAMES = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];
const METHODS = index(METHOD_NAMES, 0);

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

/** Id of `cookie`, whose repeated lines combine with "; " rather than ", ". */
export const COOKIE_ID = fieldIdOf('cookie');
