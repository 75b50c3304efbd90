// The header (or trailer) fields of one request, looked up case-insensitively.
// The parser decodes the whole head once as a latin1 string and records where
// each name and value lies in it; names and values become strings only when
// asked for, so a handler that reads two fields pays for two.
import { validateInteger, validateString } from '../../loop/validate';
import { fieldIdOf, fieldName, UNKNOWN } from './names';

/** Entries per field in the span array: id, nameStart, nameEnd, valueStart, valueEnd. */
export const SPAN_SIZE = 5;

export class HeaderList implements Iterable<[string, string]> {
  private readonly src: string;
  private readonly spans: readonly number[];
  private lowerNames: (string | undefined)[] | null = null;

  /**
   * @internal Built by the parser: `spans` holds SPAN_SIZE numbers per field
   * (a field-name id from names.ts, then the name's and the value's offsets
   * in `src`; values already trimmed of surrounding whitespace).
   */
  constructor(src: string, spans: readonly number[]) {
    this.src = src;
    this.spans = spans;
  }

  /** An empty list (a request without trailers, for instance). */
  static readonly EMPTY = new HeaderList('', []);

  /** Number of field lines, duplicates included. */
  get size(): number {
    return this.spans.length / SPAN_SIZE;
  }

  /** Lower-case name of the i-th field line. */
  name(i: number): string {
    this.check(i);
    const s = this.spans;
    const k = i * SPAN_SIZE;
    const id = s[k];
    if (id !== UNKNOWN) return fieldName(id);
    const names = (this.lowerNames ??= []);
    return (names[i] ??= this.src.slice(s[k + 1], s[k + 2]).toLowerCase());
  }

  /** Name of the i-th field line as the client sent it. */
  rawName(i: number): string {
    this.check(i);
    const k = i * SPAN_SIZE;
    return this.src.slice(this.spans[k + 1], this.spans[k + 2]);
  }

  /** Value of the i-th field line (leading and trailing whitespace removed). */
  value(i: number): string {
    this.check(i);
    const k = i * SPAN_SIZE;
    return this.src.slice(this.spans[k + 3], this.spans[k + 4]);
  }

  /**
   * The field's value, case-insensitively; repeated lines are combined with
   * ", " (RFC 9110 §5.3), Cookie lines with "; " (RFC 6265 §5.4).
   */
  get(name: string): string | undefined {
    const lower = lowerName(name);
    const indexes = this.find(lower);
    if (indexes === -1) return undefined;
    if (typeof indexes === 'number') return this.value(indexes);
    const sep = lower === 'cookie' ? '; ' : ', ';
    let out = this.value(indexes[0]);
    for (let j = 1; j < indexes.length; j++) out += sep + this.value(indexes[j]);
    return out;
  }

  /** Every value of the field, one per line, in arrival order. */
  getAll(name: string): string[] {
    const indexes = this.find(lowerName(name));
    if (indexes === -1) return [];
    if (typeof indexes === 'number') return [this.value(indexes)];
    return indexes.map((i) => this.value(i));
  }

  has(name: string): boolean {
    return this.find(lowerName(name)) !== -1;
  }

  /** The fields as received, flattened: [name, value, name, value, ...] (Node's rawHeaders shape). */
  raw(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.rawName(i), this.value(i));
    return out;
  }

  /**
   * A plain object with lower-case names (Node's `req.headers` shape):
   * repeated fields combined as by `get()`. Null prototype, so a field named
   * `__proto__` is just a key.
   */
  toObject(): Record<string, string> {
    const out: Record<string, string> = Object.create(null);
    for (let i = 0; i < this.size; i++) {
      const name = this.name(i);
      const prev = out[name];
      out[name] = prev === undefined ? this.value(i) : prev + (name === 'cookie' ? '; ' : ', ') + this.value(i);
    }
    return out;
  }

  /** [lower-case name, value] for every field line, in arrival order. */
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (let i = 0; i < this.size; i++) yield [this.name(i), this.value(i)];
  }

  private check(i: number): void {
    if (!(i >= 0 && i < this.spans.length / SPAN_SIZE && Number.isInteger(i))) validateInteger('i', i, 0, this.size - 1);
  }

  /** The index of the only line named `lower`, the indexes of all of them, or -1. */
  private find(lower: string): number | number[] {
    const id = fieldIdOf(lower);
    const s = this.spans;
    const src = this.src;
    const n = lower.length;
    let first = -1;
    let more: number[] | null = null;
    for (let i = 0, k = 0; k < s.length; i++, k += SPAN_SIZE) {
      if (id !== UNKNOWN) {
        if (s[k] !== id) continue;
      } else if (s[k] !== UNKNOWN || s[k + 2] - s[k + 1] !== n || !equalsIgnoringCase(src, s[k + 1], lower)) {
        continue;
      }
      if (first === -1) {
        first = i;
      } else {
        more ??= [first];
        more.push(i);
      }
    }
    return more ?? first;
  }
}

function lowerName(name: string): string {
  validateString('name', name);
  return name.toLowerCase();
}

/** Whether src[at, at + lower.length) equals `lower` (lower-case) ignoring ASCII case, without slicing. */
function equalsIgnoringCase(src: string, at: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    let c = src.charCodeAt(at + i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}
