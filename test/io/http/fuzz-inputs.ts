// Inputs for fuzzing the request parser: a seeded generator, valid requests
// to mutate, and the mutations (bit flips, byte swaps, truncations,
// duplications, insertions of HTTP-shaped fragments). Shared by the bounded
// fuzz in the suite and the long-running test/fuzz/http-parser.ts.

/** A small seeded PRNG (mulberry32), so a failing input can be replayed from its seed. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

export const VALID_REQUESTS: readonly Buffer[] = [
  'GET / HTTP/1.1\r\nHost: localhost:8080\r\n\r\n',
  'GET /a/b?c=d&e=%20 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: fuzz\r\nAccept: */*\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n',
  'POST /form HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\na=1&b=2',
  'PUT /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nwiki\r\n5\r\npedia\r\n0\r\nChecksum: x\r\n\r\n',
  'GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n',
  'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
  'OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n',
  'GET http://h:80/x?y HTTP/1.1\r\nHost: h:80\r\n\r\n',
  'CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabcPOST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n',
].map(b);

const FRAGMENTS: readonly Buffer[] = [
  '\r\n',
  '\r\n\r\n',
  '\n',
  '\r',
  ' ',
  '\t',
  ':',
  ';',
  ',',
  '\x00',
  '\xff',
  '%',
  '?',
  '#',
  '0',
  'f',
  'Transfer-Encoding: chunked\r\n',
  'Content-Length: 5\r\n',
  'Content-Length: 99999999999\r\n',
  'Host: h\r\n',
  'Connection: close\r\n',
  'Expect: 100-continue\r\n',
  ' folded\r\n',
  '0\r\n\r\n',
  'FFFFFFFF\r\n',
  '5\r\nhello\r\n',
  'GET / HTTP/1.1\r\n',
  'HTTP/1.0',
  'HTTP/2.0',
].map(b);

const TOKENS: readonly Buffer[] = [
  ...FRAGMENTS,
  ...['GET', 'POST', ' / ', ' HTTP/1.1', 'X-', 'a', '1', 'chunked', 'gzip', 'keep-alive', '*', 'http://', '[::1]'].map(b),
];

/** Random input: raw random bytes, or a random sequence of HTTP-shaped tokens. */
export function randomInput(rng: Rng): Buffer {
  if (rng.int(2) === 0) {
    const out = Buffer.allocUnsafe(rng.int(512));
    for (let i = 0; i < out.length; i++) out[i] = rng.int(256);
    return out;
  }
  const parts: Buffer[] = [];
  const n = 1 + rng.int(60);
  for (let i = 0; i < n; i++) parts.push(rng.pick(TOKENS));
  return Buffer.concat(parts);
}

/** 1-4 random mutations of `input` (flips, byte swaps, truncations, duplications, repetitions, insertions, deletions). */
export function mutate(rng: Rng, input: Buffer): Buffer {
  let out = Buffer.from(input);
  const count = 1 + rng.int(4);
  for (let m = 0; m < count; m++) {
    const at = rng.int(out.length + 1);
    switch (rng.int(8)) {
      case 0: // flip a bit
        if (out.length > 0) out[Math.min(at, out.length - 1)] ^= 1 << rng.int(8);
        break;
      case 1: // replace a byte with a random or delimiter byte
        if (out.length > 0) out[Math.min(at, out.length - 1)] = rng.int(2) === 0 ? rng.int(256) : rng.pick(FRAGMENTS)[0];
        break;
      case 2: // truncate
        out = out.subarray(0, at);
        break;
      case 3: {
        // duplicate a range
        const end = Math.min(out.length, at + rng.int(64));
        out = Buffer.concat([out.subarray(0, end), out.subarray(at, end), out.subarray(end)]);
        break;
      }
      case 4: // insert an HTTP-shaped fragment
        out = Buffer.concat([out.subarray(0, at), rng.pick(FRAGMENTS), out.subarray(at)]);
        break;
      case 5: {
        // delete a range
        const end = Math.min(out.length, at + rng.int(16));
        out = Buffer.concat([out.subarray(0, at), out.subarray(end)]);
        break;
      }
      case 6: {
        // repeat a range many times: pushes heads, targets and field counts past their limits
        const end = Math.min(out.length, at + 1 + rng.int(32));
        const range = out.subarray(at, end);
        const times = 1 + rng.int(200);
        out = Buffer.concat([out.subarray(0, end), ...Array.from({ length: times }, () => range), out.subarray(end)]);
        break;
      }
      default: {
        // insert random bytes
        const noise = Buffer.allocUnsafe(1 + rng.int(8));
        for (let i = 0; i < noise.length; i++) noise[i] = rng.int(256);
        out = Buffer.concat([out.subarray(0, at), noise, out.subarray(at)]);
      }
    }
  }
  return out;
}

/** What a generated valid request must parse to. */
export interface GeneratedRequest {
  method: string;
  url: string;
  version: '1.0' | '1.1';
  /** Raw name/value pairs as Node's rawHeaders (values without surrounding whitespace). */
  headers: string[];
  keepAlive: boolean;
  body: string;
  trailers: string[];
}

const TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const PATH_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/";
const randomString = (rng: Rng, alphabet: string, min: number, max: number): string => {
  let s = '';
  const n = min + rng.int(max - min + 1);
  for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
};

function randomValue(rng: Rng): string {
  let v = '';
  const n = rng.int(40);
  for (let i = 0; i < n; i++) {
    const r = rng.int(10);
    v += r === 0 ? ' ' : r === 1 ? '\t' : r === 2 ? String.fromCharCode(0x80 + rng.int(128)) : String.fromCharCode(0x21 + rng.int(94));
  }
  return v.replace(/^[ \t]+|[ \t]+$/g, '');
}

/**
 * A random valid request: random method token, origin-form target with
 * percent-escapes and a query, 0-12 extra fields with random case and
 * whitespace, and a body with Content-Length or random chunks, extensions
 * and trailers.
 */
export function generateValid(rng: Rng): { input: string; expected: GeneratedRequest } {
  const method = rng.int(3) === 0 ? randomString(rng, TCHARS, 1, 12) : rng.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH']);
  let url = '/' + randomString(rng, PATH_CHARS, 0, 30);
  if (rng.int(3) === 0) url += '%' + rng.pick(['20', 'C3', 'a9', 'FF']);
  if (rng.int(2) === 0) url += '?' + randomString(rng, PATH_CHARS + '?', 0, 30);
  const version = rng.int(5) === 0 ? '1.0' : '1.1';
  const headers: string[] = [];
  let text = '';
  const field = (name: string, value: string): void => {
    const ows = (): string => rng.pick(['', ' ', '  ', '\t', ' \t ']);
    text += `${name}:${ows()}${value}${value === '' ? '' : ows()}\r\n`;
    headers.push(name, value);
  };
  const cased = (name: string): string => [...name].map((c) => (rng.int(2) === 0 ? c.toUpperCase() : c)).join('');
  const extra = rng.int(13);
  const hostAt = version === '1.1' ? rng.int(extra + 1) : -1;
  let connection: 'close' | 'keep-alive' | null = null;
  for (let i = 0; i <= extra; i++) {
    if (i === hostAt) field(cased('host'), rng.pick(['localhost', 'example.com:8080', '[::1]:80', '127.0.0.1', '']));
    if (i === extra) break;
    const name = 'x-' + randomString(rng, TCHARS, 1, 20);
    field(rng.int(2) === 0 ? name : cased(name), randomValue(rng));
  }
  if (rng.int(4) === 0) {
    connection = rng.pick(['close', 'keep-alive'] as const);
    field(cased('connection'), connection);
  }
  const keepAlive = version === '1.1' ? connection !== 'close' : connection === 'keep-alive';
  let body = '';
  const trailers: string[] = [];
  let bodyText = '';
  const kind = rng.int(3);
  if (kind === 1) {
    body = randomString(rng, 'abc\r\n\x00\xff', 0, 200);
    field(cased('content-length'), String(body.length));
    bodyText = body;
  } else if (kind === 2 && version === '1.1') {
    field(cased('transfer-encoding'), 'chunked');
    const chunks = rng.int(6);
    for (let i = 0; i < chunks; i++) {
      const data = randomString(rng, 'xyz\r\n0', 1, 40);
      body += data;
      const ext = rng.int(3) === 0 ? `;${randomString(rng, TCHARS, 1, 8)}=${randomString(rng, TCHARS, 1, 8)}` : '';
      bodyText += `${'0'.repeat(rng.int(3))}${rng.int(2) === 0 ? data.length.toString(16) : data.length.toString(16).toUpperCase()}${ext}\r\n${data}\r\n`;
    }
    bodyText += '0\r\n';
    const nt = rng.int(3);
    for (let i = 0; i < nt; i++) {
      const name = 't-' + randomString(rng, TCHARS, 1, 10);
      const value = randomValue(rng);
      bodyText += `${name}: ${value}\r\n`;
      trailers.push(name, value);
    }
    bodyText += '\r\n';
  }
  const input = `${method} ${url} HTTP/${version}\r\n${text}\r\n${bodyText}`;
  return { input, expected: { method, url, version, headers, keepAlive, body, trailers } };
}
