// Python's repr() of JSON values. Celery shows task arguments as Python
// literals (the `argsrepr`/`kwargsrepr` headers that Flower and the worker
// log print) and derives an exception's message from repr() of its
// arguments, so greenhub writes them the way a Python producer would.

function reprString(s: string): string {
  // Python picks single quotes unless the text has one and no double quote.
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0) as number;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0xd800 && code <= 0xdfff) out += `\\u${code.toString(16)}`;
    else out += ch;
  }
  return out + quote;
}

function reprNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return String(n);
}

/**
 * Python's repr() of a JSON-like value: None/True/False, quoted strings,
 * lists and dicts. Anything else (a Date, a Buffer) is shown by its JSON form.
 * `depth` stops runaway nesting the way Celery's saferepr does (maxlevels).
 */
export function pythonRepr(value: unknown, depth = 8): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return reprNumber(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return reprString(value);
  if (depth <= 0) return '...';
  if (Array.isArray(value)) return `[${value.map((v) => pythonRepr(v, depth - 1)).join(', ')}]`;
  if (typeof value === 'object') {
    const json: unknown = typeof (value as { toJSON?: unknown }).toJSON === 'function' ? JSON.parse(JSON.stringify(value)) : value;
    if (json !== value) return pythonRepr(json, depth);
    const items = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${reprString(k)}: ${pythonRepr(v, depth - 1)}`);
    return `{${items.join(', ')}}`;
  }
  return reprString(String(value));
}

/** repr() of positional arguments, which Python sends as a tuple: `(2, 3)`, `(1,)`, `()`. */
export function pythonTupleRepr(items: readonly unknown[]): string {
  if (items.length === 1) return `(${pythonRepr(items[0])},)`;
  return `(${items.map((v) => pythonRepr(v)).join(', ')})`;
}

/** Cuts a repr to `max` characters the way saferepr does, marking the cut. */
export function truncateRepr(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 3))}...`;
}
