import { strict as assert } from 'node:assert';

import { HttpParseError, RequestParser, type RequestParserOptions } from '../../../lib/io/http';
import { bytewise, drive, driveAllWays, retainedBytes, splitAt, summary, type Message } from './drive';
import { generateValid, mutate, randomInput, Rng, VALID_REQUESTS } from './fuzz-inputs';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** The fields of a message the valid-case table checks (others default). */
type Expect = Partial<Message> & { method: string; url: string };

function check(got: Message, want: Expect): void {
  const defaults: Partial<Message> = {
    version: '1.1',
    keepAlive: true,
    expectContinue: false,
    upgrade: false,
    body: '',
    trailers: [],
    complete: true,
  };
  for (const [key, value] of Object.entries({ ...defaults, ...want })) {
    assert.deepEqual(got[key as keyof Message], value, `${key} of ${want.method} ${want.url}`);
  }
}

const VALID: { name: string; input: string; messages: Expect[]; options?: RequestParserOptions }[] = [
  {
    name: "wrk's GET",
    input: 'GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n',
    messages: [{ method: 'GET', url: '/', headers: ['Host', '127.0.0.1:8080'], framing: 'none', contentLength: 0 }],
  },
  {
    name: 'a browser-like GET',
    input:
      'GET /search?q=caf%C3%A9&lang=fr HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n' +
      'Accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\n' +
      'Accept-Encoding: gzip, deflate, br\r\nConnection: keep-alive\r\nCookie: a=1; b=2\r\n' +
      'Upgrade-Insecure-Requests: 1\r\nSec-Fetch-Dest: document\r\nIf-None-Match: "abc"\r\n\r\n',
    messages: [{ method: 'GET', url: '/search?q=caf%C3%A9&lang=fr', framing: 'none' }],
  },
  {
    name: 'a POST with Content-Length',
    input: 'POST /submit HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world',
    messages: [{ method: 'POST', url: '/submit', framing: 'length', contentLength: 11, body: 'hello world' }],
  },
  {
    name: 'a chunked POST with extensions and trailers',
    input:
      'POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5;name=value;q="quoted \\" string"\r\nhello\r\n1 ; x\r\n \r\nA\r\n0123456789\r\n000\r\nX-Checksum: abc\r\nX-Other:  y \r\n\r\n',
    messages: [
      {
        method: 'POST',
        url: '/up',
        framing: 'chunked',
        contentLength: -1,
        body: 'hello 0123456789',
        trailers: ['X-Checksum', 'abc', 'X-Other', 'y'],
      },
    ],
  },
  {
    name: 'pipelined requests of every framing',
    input:
      'GET /1 HTTP/1.1\r\nHost: h\r\n\r\n' +
      'POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc' +
      'PUT /3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n' +
      'DELETE /4 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n',
    messages: [
      { method: 'GET', url: '/1', framing: 'none' },
      { method: 'POST', url: '/2', framing: 'length', contentLength: 3, body: 'abc' },
      { method: 'PUT', url: '/3', framing: 'chunked', body: 'xy' },
      { method: 'DELETE', url: '/4', framing: 'none', keepAlive: false },
    ],
  },
  {
    name: 'HTTP/1.0 without Host, closing by default',
    input: 'GET /old HTTP/1.0\r\n\r\n',
    messages: [{ method: 'GET', url: '/old', version: '1.0', keepAlive: false, headers: [] }],
  },
  {
    name: 'HTTP/1.0 asking for keep-alive',
    input: 'GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n',
    messages: [{ method: 'GET', url: '/', version: '1.0', keepAlive: true }],
  },
  {
    name: 'Connection: close with other options, any case',
    input: 'GET / HTTP/1.1\r\nHost: h\r\nConnection: TE, Close\r\nTE: trailers\r\n\r\n',
    messages: [{ method: 'GET', url: '/', keepAlive: false }],
  },
  {
    name: 'empty lines before the request line',
    input: '\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n',
    messages: [{ method: 'GET', url: '/' }],
  },
  {
    name: 'OPTIONS *',
    input: 'OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n',
    messages: [{ method: 'OPTIONS', url: '*' }],
  },
  {
    name: 'absolute-form target',
    input: 'GET http://example.com:8080/p/q?x=1 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n',
    messages: [{ method: 'GET', url: 'http://example.com:8080/p/q?x=1' }],
  },
  {
    name: 'CONNECT authority-form',
    input: 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    messages: [{ method: 'CONNECT', url: 'example.com:443' }],
  },
  {
    name: 'an extension method and an empty Host (no authority)',
    input: 'PROPFIND /dav HTTP/1.1\r\nHost:\r\nDepth: 1\r\n\r\n',
    messages: [{ method: 'PROPFIND', url: '/dav', headers: ['Host', '', 'Depth', '1'] }],
  },
  {
    name: 'values with inner whitespace, tabs, obs-text and no space after the colon',
    input: 'GET / HTTP/1.1\r\nHost:h\r\nX-A: \t a \t b \t\r\nX-Latin: caf\xe9\r\nX-Empty:   \r\n\r\n',
    messages: [
      { method: 'GET', url: '/', headers: ['Host', 'h', 'X-A', 'a \t b', 'X-Latin', 'caf\xe9', 'X-Empty', ''] },
    ],
  },
  {
    name: 'Content-Length: 0',
    input: 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n',
    messages: [{ method: 'POST', url: '/', framing: 'none', contentLength: 0 }],
  },
  {
    name: 'identical Content-Length lines and lists',
    input: 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\ncontent-length: 2, 02\r\n\r\nok',
    messages: [{ method: 'POST', url: '/', framing: 'length', contentLength: 2, body: 'ok' }],
  },
  {
    name: 'Transfer-Encoding in any case, over two lines of empty elements',
    input: 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ,\r\ntransfer-encoding: , CHUNKED\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    messages: [{ method: 'POST', url: '/', framing: 'chunked', body: 'abc' }],
  },
  {
    name: 'Expect: 100-continue',
    input: 'PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nz',
    messages: [{ method: 'PUT', url: '/f', expectContinue: true, framing: 'length', body: 'z' }],
  },
  {
    name: 'Expect: 100-continue ignored in HTTP/1.0',
    input: 'PUT /f HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nz',
    messages: [{ method: 'PUT', url: '/f', version: '1.0', keepAlive: false, framing: 'length', body: 'z' }],
  },
  {
    name: 'an upgrade request',
    input: 'GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    messages: [{ method: 'GET', url: '/ws', upgrade: true }],
  },
  {
    name: 'chunk sizes in upper-case hex with leading zeros, binary-ish data',
    input: 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n000A\r\n\x00\r\n\xff\xfe\r\n\n\r\x00\r\n0\r\n\r\n',
    messages: [{ method: 'POST', url: '/', framing: 'chunked', body: '\x00\r\n\xff\xfe\r\n\n\r\x00' }],
  },
];

describe('http.RequestParser: valid requests', () => {
  for (const c of VALID) {
    it(`parses ${c.name}, whole, byte by byte and split anywhere`, () => {
      const outcome = driveAllWays(b(c.input), c.options);
      assert.equal(outcome.error, null, outcome.error?.message);
      assert.equal(outcome.messages.length, c.messages.length);
      c.messages.forEach((want, i) => check(outcome.messages[i], want));
    });
  }

  it('parses many pipelined requests from one chunk and leaves nothing behind', () => {
    const one = 'GET /x HTTP/1.1\r\nHost: h\r\n\r\n';
    const parser = new RequestParser();
    parser.feed(b(one.repeat(100)));
    let n = 0;
    while (parser.readHead() !== null) n++;
    assert.equal(n, 100);
    assert.equal(parser.buffered, 0);
    assert.equal(parser.state, 'idle');
  });

  it('hands out body bytes as they arrive, as views of the input', () => {
    const parser = new RequestParser();
    const input = b('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabcd');
    parser.feed(input);
    const head = parser.readHead();
    assert.ok(head);
    const first = parser.readBody();
    assert.equal(first?.toString(), 'abcd');
    assert.equal(first?.buffer, input.buffer, 'a view, not a copy');
    assert.equal(parser.readBody(), null);
    assert.equal(parser.bodyComplete, false);
    assert.equal(parser.state, 'body');
    parser.feed(b('efghijGET'));
    assert.equal(parser.readBody()?.toString(), 'efghij');
    assert.equal(parser.bodyComplete, true);
    assert.equal(parser.buffered, 3);
    assert.equal(parser.readHead(), null);
    assert.equal(parser.state, 'head');
  });

  it('refuses readHead() while a body is unread, and discardBody() skips it', () => {
    const parser = new RequestParser();
    parser.feed(b('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n'));
    assert.ok(parser.readHead());
    assert.throws(() => parser.readHead(), { code: 'ERR_INVALID_STATE' });
    assert.equal(parser.discardBody(), false);
    parser.feed(b('0\r\nX: y\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n'));
    assert.equal(parser.discardBody(), true);
    assert.deepEqual(parser.trailers.raw(), ['X', 'y']);
    assert.equal(parser.readHead()?.method, 'GET');
    assert.equal(parser.trailers.size, 0, 'trailers belong to the last chunked request');
  });

  it('reports its state for timeouts: idle, head, body', () => {
    const parser = new RequestParser();
    assert.equal(parser.state, 'idle');
    parser.feed(b('\r\n'));
    assert.equal(parser.readHead(), null);
    assert.equal(parser.state, 'idle', 'empty lines before a request are not a request yet');
    parser.feed(b('G'));
    assert.equal(parser.readHead(), null);
    assert.equal(parser.state, 'head');
    parser.feed(b('ET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\n'));
    assert.ok(parser.readHead());
    assert.equal(parser.state, 'body');
    parser.feed(b('x'));
    assert.ok(parser.readBody());
    assert.equal(parser.state, 'idle');
  });

  it('finish() is clean between requests and 400 inside one', () => {
    const clean = new RequestParser();
    clean.feed(b('GET / HTTP/1.1\r\nHost: h\r\n\r\n\r\n'));
    assert.ok(clean.readHead());
    assert.equal(clean.readHead(), null);
    clean.finish();
    assert.equal(clean.readHead(), null);
    assert.throws(() => clean.feed(b('x')), { code: 'ERR_INVALID_STATE' });

    for (const partial of ['G', 'GET / HTTP/1.1\r\nHost: h\r\n', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nab']) {
      const p = new RequestParser();
      p.feed(b(partial));
      p.readHead();
      p.discardBody();
      assert.throws(() => p.finish(), { name: 'HttpParseError', status: 400, code: 'ERR_HTTP_INCOMPLETE_REQUEST' });
    }
  });

  it('copies a split head out of the caller’s buffer, and only then', () => {
    const parser = new RequestParser();
    const chunk = b('GET /abc HTTP/1.1\r\nHo');
    parser.feed(chunk);
    assert.equal(parser.readHead(), null);
    chunk.fill(0);
    parser.feed(b('st: h\r\n\r\n'));
    assert.equal(parser.readHead()?.url, '/abc');
  });

  it('lets go of the last chunk once everything in it is consumed (idle connections pin no buffer)', () => {
    const parser = new RequestParser();
    parser.feed(b('GET / HTTP/1.1\r\nHost: h\r\n\r\nPOST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nab'));
    assert.ok(parser.readHead());
    assert.ok(parser.readHead());
    assert.ok(parser.readBody());
    assert.ok(retainedBytes(parser) > 0);
    assert.equal(parser.readHead(), null);
    assert.equal(retainedBytes(parser), 0);
    parser.feed(b('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n'));
    assert.ok(parser.readHead());
    assert.ok(parser.readBody());
    assert.equal(parser.readBody(), null);
    assert.equal(retainedBytes(parser), 0);
  });

  it('accepts Uint8Array input', () => {
    const parser = new RequestParser();
    parser.feed(new Uint8Array(b('GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi')));
    assert.ok(parser.readHead());
    assert.ok(Buffer.isBuffer(parser.readBody()));
  });

  it('interns standard methods and field names', () => {
    const parser = new RequestParser();
    parser.feed(b('GET / HTTP/1.1\r\nHOST: h\r\n\r\n'));
    const head = parser.readHead();
    assert.equal(head?.method, 'GET');
    assert.equal(head?.headers.name(0), 'host');
    assert.equal(head?.headers.rawName(0), 'HOST');
  });
});

describe('http.RequestHead', () => {
  const head = (target: string, method = 'GET') => {
    const parser = new RequestParser();
    parser.feed(b(`${method} ${target} HTTP/1.1\r\nHost: h\r\n\r\n`));
    const h = parser.readHead();
    assert.ok(h);
    return h;
  };

  it('splits origin-form targets into path and query, keeping them raw', () => {
    const h = head('/a%2Fb/c?x=1&y=%20z&x=2+3');
    assert.equal(h.targetForm, 'origin');
    assert.equal(h.path, '/a%2Fb/c');
    assert.equal(h.search, 'x=1&y=%20z&x=2+3');
    assert.deepEqual(h.query.getAll('x'), ['1', '2 3']);
    assert.equal(h.query.get('y'), ' z');
    assert.equal(h.query, h.query, 'parsed once');
    const plain = head('/p');
    assert.equal(plain.path, '/p');
    assert.equal(plain.search, '');
    assert.equal([...plain.query].length, 0);
    assert.equal(head('/?').search, '');
    assert.equal(head('/?').path, '/');
  });

  it('finds the path of absolute-form targets', () => {
    const h = head('http://example.com/p?q=1');
    assert.equal(h.targetForm, 'absolute');
    assert.equal(h.path, '/p');
    assert.equal(h.query.get('q'), '1');
    assert.equal(head('https://example.com').path, '/');
    assert.equal(head('http://[::1]:80?x').path, '/');
    assert.equal(head('http://[::1]:80?x').search, 'x');
  });

  it('gives * and authority-form targets their own shapes', () => {
    const star = head('*', 'OPTIONS');
    assert.equal(star.targetForm, 'asterisk');
    assert.equal(star.path, '*');
    const connect = head('[::1]:443', 'CONNECT');
    assert.equal(connect.targetForm, 'authority');
    assert.equal(connect.path, '');
    assert.equal(connect.search, '');
  });
});

describe('http.HeaderList', () => {
  const headers = () => {
    const parser = new RequestParser();
    parser.feed(
      b(
        'GET / HTTP/1.1\r\nHost: h\r\nX-Multi: a\r\nCookie: c=1\r\nx-multi: b, c\r\ncookie: d=2\r\n' +
          'X-Custom-Thing: v\r\nAccept: */*\r\n__proto__: p\r\n\r\n',
      ),
    );
    const h = parser.readHead();
    assert.ok(h);
    return h.headers;
  };

  it('looks fields up case-insensitively, combining repeated lines', () => {
    const h = headers();
    assert.equal(h.get('HOST'), 'h');
    assert.equal(h.get('x-MULTI'), 'a, b, c');
    assert.equal(h.get('Cookie'), 'c=1; d=2');
    assert.equal(h.get('X-Custom-Thing'), 'v');
    assert.equal(h.get('accept'), '*/*');
    assert.equal(h.get('missing'), undefined);
    assert.deepEqual(h.getAll('x-multi'), ['a', 'b, c']);
    assert.deepEqual(h.getAll('accept'), ['*/*']);
    assert.deepEqual(h.getAll('nope'), []);
    assert.equal(h.has('x-custom-thing'), true);
    assert.equal(h.has('x-custom'), false);
    assert.equal(h.size, 8);
  });

  it('keeps the raw names and order, and builds Node-style objects', () => {
    const h = headers();
    assert.deepEqual(h.raw().slice(0, 6), ['Host', 'h', 'X-Multi', 'a', 'Cookie', 'c=1']);
    const o = h.toObject();
    assert.equal(Object.getPrototypeOf(o), null);
    assert.equal(o['x-multi'], 'a, b, c');
    assert.equal(o.cookie, 'c=1; d=2');
    assert.equal(o.__proto__, 'p');
    assert.deepEqual([...h].map(([n]) => n), ['host', 'x-multi', 'cookie', 'x-multi', 'cookie', 'x-custom-thing', 'accept', '__proto__']);
  });

  it('validates the name argument and indexes', () => {
    assert.throws(() => headers().get(42 as unknown as string), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => headers().value(8), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => headers().name(-1), { name: 'RangeError' });
    assert.throws(() => headers().rawName(0.5), { name: 'RangeError' });
  });
});

// [name, input, status, code]: each fed whole, byte by byte and split at
// every offset; every way must end in the same error.
const MALFORMED: [string, string, number, string][] = [
  ['lower-case HTTP name', 'GET / http/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_VERSION'],
  ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: h\r\n\r\n', 505, 'ERR_HTTP_VERSION_NOT_SUPPORTED'],
  ['HTTP/1.2', 'GET / HTTP/1.2\r\nHost: h\r\n\r\n', 505, 'ERR_HTTP_VERSION_NOT_SUPPORTED'],
  ['HTTP/0.9 version', 'GET / HTTP/0.9\r\n\r\n', 505, 'ERR_HTTP_VERSION_NOT_SUPPORTED'],
  ['two-digit minor version', 'GET / HTTP/1.10\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_VERSION'],
  ['trailing space after the version', 'GET / HTTP/1.1 \r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_VERSION'],
  ['request line without a version', 'GET /\r\n\r\n', 400, 'ERR_HTTP_INVALID_TARGET'],
  ['two spaces after the method', 'GET  / HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_TARGET'],
  ['two spaces after the target', 'GET /  HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_VERSION'],
  ['a tab after the method', 'GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_METHOD'],
  ['a non-token method', 'GE(T / HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_METHOD'],
  ['a space before the method', ' GET / HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_METHOD'],
  ['a TLS ClientHello', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 400, 'ERR_HTTP_INVALID_METHOD'],
  ['bare LF ending the request line', 'GET / HTTP/1.1\nHost: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_LINE_ENDING'],
  ['bare LF ending a field line', 'GET / HTTP/1.1\r\nHost: h\n\r\n', 400, 'ERR_HTTP_INVALID_LINE_ENDING'],
  ['bare LF ending the head', 'GET / HTTP/1.1\r\nHost: h\r\n\n', 400, 'ERR_HTTP_INVALID_LINE_ENDING'],
  ['bare CR inside a value', 'GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n', 400, 'ERR_HTTP_INVALID_LINE_ENDING'],
  ['bare CR before the request line', '\rGET / HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_LINE_ENDING'],
  ['NUL in a value', 'GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n', 400, 'ERR_HTTP_INVALID_HEADER_VALUE'],
  ['DEL in a value', 'GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n', 400, 'ERR_HTTP_INVALID_HEADER_VALUE'],
  ['a control byte in the target', 'GET /a\x01b HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_TARGET'],
  ['a non-ASCII byte in the target', 'GET /caf\xe9 HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_TARGET'],
  ['a fragment in the target', 'GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_TARGET'],
  ['a broken percent-escape', 'GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_TARGET'],
  ['a truncated percent-escape', 'GET /a?b=%4 HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_TARGET'],
  ['a relative target', 'GET foo HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_TARGET'],
  ['* with GET', 'GET * HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_TARGET'],
  ['CONNECT with a path', 'CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_TARGET'],
  ['CONNECT without a port', 'CONNECT example.com HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_TARGET'],
  ['userinfo in an absolute target', 'GET http://user@h/ HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_TARGET'],
  ['absolute target without authority', 'GET http:///p HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_TARGET'],
  ['whitespace before a colon', 'GET / HTTP/1.1\r\nHost : h\r\n\r\n', 400, 'ERR_HTTP_INVALID_HEADER_NAME'],
  ['an empty field name', 'GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n', 400, 'ERR_HTTP_INVALID_HEADER_NAME'],
  ['a field line without a colon', 'GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n', 400, 'ERR_HTTP_INVALID_HEADER_NAME'],
  ['a non-token field name', 'GET / HTTP/1.1\r\nHo@st: h\r\n\r\n', 400, 'ERR_HTTP_INVALID_HEADER_NAME'],
  ['obs-fold', 'GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n  b\r\n\r\n', 400, 'ERR_HTTP_OBS_FOLD'],
  ['whitespace before the first field', 'GET / HTTP/1.1\r\n Host: h\r\n\r\n', 400, 'ERR_HTTP_OBS_FOLD'],
  ['missing Host in HTTP/1.1', 'GET / HTTP/1.1\r\nX: y\r\n\r\n', 400, 'ERR_HTTP_MISSING_HOST'],
  ['two Host fields', 'GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n', 400, 'ERR_HTTP_INVALID_HOST'],
  ['a Host with a slash', 'GET / HTTP/1.1\r\nHost: a/b\r\n\r\n', 400, 'ERR_HTTP_INVALID_HOST'],
  ['a Host with a space', 'GET / HTTP/1.1\r\nHost: a b\r\n\r\n', 400, 'ERR_HTTP_INVALID_HOST'],
  ['a Host with a non-numeric port', 'GET / HTTP/1.1\r\nHost: a:8o\r\n\r\n', 400, 'ERR_HTTP_INVALID_HOST'],
  ['a non-numeric Content-Length', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n', 400, 'ERR_HTTP_INVALID_CONTENT_LENGTH'],
  ['a negative Content-Length', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n', 400, 'ERR_HTTP_INVALID_CONTENT_LENGTH'],
  ['a signed Content-Length', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n', 400, 'ERR_HTTP_INVALID_CONTENT_LENGTH'],
  ['a hex Content-Length', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n', 400, 'ERR_HTTP_INVALID_CONTENT_LENGTH'],
  ['an empty Content-Length', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n', 400, 'ERR_HTTP_INVALID_CONTENT_LENGTH'],
  ['Content-Length "5 5"', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5 5\r\n\r\n', 400, 'ERR_HTTP_INVALID_CONTENT_LENGTH'],
  ['conflicting Content-Length lines', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n', 400, 'ERR_HTTP_INVALID_CONTENT_LENGTH'],
  ['a conflicting Content-Length list', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n', 400, 'ERR_HTTP_INVALID_CONTENT_LENGTH'],
  ['a Content-Length past 2^53', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n', 413, 'ERR_HTTP_BODY_TOO_LARGE'],
  ['Transfer-Encoding with Content-Length', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', 400, 'ERR_HTTP_CONFLICTING_FRAMING'],
  ['a coding other than chunked last', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n', 400, 'ERR_HTTP_INVALID_TRANSFER_ENCODING'],
  ['chunked, then gzip', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', 400, 'ERR_HTTP_INVALID_TRANSFER_ENCODING'],
  ['an unsupported coding under chunked', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 501, 'ERR_HTTP_UNSUPPORTED_TRANSFER_ENCODING'],
  ['chunked twice', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n', 400, 'ERR_HTTP_INVALID_TRANSFER_ENCODING'],
  ['Transfer-Encoding in HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n', 400, 'ERR_HTTP_INVALID_TRANSFER_ENCODING'],
  ['an empty Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \r\n\r\n', 400, 'ERR_HTTP_INVALID_TRANSFER_ENCODING'],
  ['chunked with a parameter', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked;q=1\r\n\r\n', 400, 'ERR_HTTP_INVALID_TRANSFER_ENCODING'],
  ['"chunked" as a substring', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n', 400, 'ERR_HTTP_INVALID_TRANSFER_ENCODING'],
  ['a non-token Connection option', 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close@\r\n\r\n', 400, 'ERR_HTTP_INVALID_CONNECTION'],
  ['a chunk size that is not hex', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400, 'ERR_HTTP_INVALID_CHUNK'],
  ['an empty chunk size', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\r\n', 400, 'ERR_HTTP_INVALID_CHUNK'],
  ['a chunk size of 17 digits', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000001\r\nx\r\n', 400, 'ERR_HTTP_INVALID_CHUNK'],
  ['a chunk size past 2^53', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFF\r\n', 413, 'ERR_HTTP_BODY_TOO_LARGE'],
  ['chunk data longer than its size', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n', 400, 'ERR_HTTP_INVALID_CHUNK'],
  ['bare LF after a chunk size', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n', 400, 'ERR_HTTP_INVALID_LINE_ENDING'],
  ['bare LF after chunk data', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\n0\r\n\r\n', 400, 'ERR_HTTP_INVALID_CHUNK'],
  ['a control byte in a chunk extension', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2;a\x01\r\nab\r\n', 400, 'ERR_HTTP_INVALID_CHUNK'],
  ['whitespace after a chunk size without ";"', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2 x\r\nab\r\n', 400, 'ERR_HTTP_INVALID_CHUNK'],
  ['a malformed trailer', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer: x\r\n\r\n', 400, 'ERR_HTTP_INVALID_TRAILER'],
  ['a folded trailer', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: x\r\n y\r\n\r\n', 400, 'ERR_HTTP_INVALID_TRAILER'],
  ['a head cut short by the peer', 'GET / HTTP/1.1\r\nHost: h\r\n', 400, 'ERR_HTTP_INCOMPLETE_REQUEST'],
  ['a body cut short by the peer', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nabc', 400, 'ERR_HTTP_INCOMPLETE_REQUEST'],
  ['a chunked body cut short by the peer', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n', 400, 'ERR_HTTP_INCOMPLETE_REQUEST'],
  ['a bad second pipelined request', 'GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\nBad\x00: v\r\n\r\n', 400, 'ERR_HTTP_INVALID_HEADER_NAME'],
];

describe('http.RequestParser: malformed requests', () => {
  it(`has a table of at least 30 cases (${MALFORMED.length})`, () => {
    assert.ok(MALFORMED.length >= 30);
  });

  for (const [name, input, status, code] of MALFORMED) {
    it(`${status} for ${name}`, () => {
      const outcome = driveAllWays(b(input));
      assert.ok(outcome.error, 'an HttpParseError');
      assert.equal(outcome.error.status, status);
      assert.equal(outcome.error.code, code);
      assert.equal(outcome.error.name, 'HttpParseError');
      assert.ok(outcome.error.message.length > 0 && outcome.error.message.length < 80);
      assert.ok(outcome.error.offset >= 0 && outcome.error.offset <= input.length);
    });
  }

  it('stays dead after an error, rethrowing it and holding no input', () => {
    const parser = new RequestParser();
    parser.feed(b('GET / HTTP/1.1\r\nBad Name: x\r\n\r\n' + 'x'.repeat(1000)));
    let error: unknown;
    try {
      parser.readHead();
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof HttpParseError);
    assert.equal(parser.state, 'dead');
    assert.equal(parser.error, error);
    assert.equal(parser.buffered, 0);
    for (const call of [() => parser.readHead(), () => parser.readBody(), () => parser.feed(b('x')), () => parser.finish()]) {
      assert.throws(call, (e: unknown) => e === error);
    }
  });

  it('judges every byte value in a long field value alike at every alignment', () => {
    // Past their first 16 bytes, values are scanned four bytes at a time; a byte at a time is the reference.
    for (let byte = 0; byte < 256; byte++) {
      for (const offset of [0, 1, 2, 3, 20, 21, 22, 23, 24, 25, 26, 27]) {
        const input = Buffer.concat([b(`GET / HTTP/1.1\r\nHost: h\r\nX: ${'a'.repeat(offset)}`), Buffer.from([byte]), b(`${'a'.repeat(40)}\r\n\r\n`)]);
        const whole = drive([input]);
        const reference = drive(bytewise(input));
        assert.equal(whole.error?.code, reference.error?.code, `byte ${byte} at offset ${offset}`);
        assert.equal(whole.error?.offset, reference.error?.offset, `byte ${byte} at offset ${offset}`);
        assert.deepEqual(whole.messages, reference.messages);
        const valid = byte === 0x09 || (byte >= 0x20 && byte !== 0x7f);
        assert.equal(whole.error === null, valid, `byte ${byte}`);
      }
    }
  });

  it('scans long values right in buffers at any byteOffset', () => {
    const input = b(`GET / HTTP/1.1\r\nHost: h\r\nX: ${'v'.repeat(101)}\r\nY: ${'w'.repeat(50)}\x01\r\n\r\n`);
    const backing = Buffer.alloc(input.length + 8);
    for (let shift = 0; shift < 8; shift++) {
      input.copy(backing, shift);
      const parser = new RequestParser();
      parser.feed(backing.subarray(shift, shift + input.length));
      assert.throws(() => parser.readHead(), { code: 'ERR_HTTP_INVALID_HEADER_VALUE', offset: input.indexOf(1) }, `shift ${shift}`);
      const ok = new RequestParser();
      ok.feed(backing.subarray(shift, shift + input.indexOf(b('Y:'))));
      ok.feed(b('\r\n'));
      assert.equal(ok.readHead()?.headers.get('x'), 'v'.repeat(101));
    }
  });

  it('rejects garbage at its first bad byte, not at the end of the head', () => {
    const parser = new RequestParser();
    parser.feed(b('GET / HTTP/1.1\r\nHost: h\r\nX: \x00'));
    assert.throws(() => parser.readHead(), { status: 400, offset: 28 });
  });
});

describe('http.RequestParser: limits', () => {
  const head = (bytes: number): string => {
    // "GET / HTTP/1.1\r\nHost: h\r\nX: " + pad + "\r\n\r\n"
    const fixed = 'GET / HTTP/1.1\r\nHost: h\r\nX: '.length + 4;
    return `GET / HTTP/1.1\r\nHost: h\r\nX: ${'v'.repeat(bytes - fixed)}\r\n\r\n`;
  };

  it('maxHeaderBytes: a head of exactly the limit passes, one byte more is 431', () => {
    const options = { maxHeaderBytes: 200 };
    assert.equal(head(200).length, 200);
    assert.equal(driveAllWays(b(head(200)), options).error, null);
    const over = driveAllWays(b(head(201)), options);
    assert.equal(over.error?.status, 431);
    assert.equal(over.error?.code, 'ERR_HTTP_HEADERS_TOO_LARGE');
  });

  it('maxHeaderBytes: empty lines before the request line count', () => {
    const options = { maxHeaderBytes: 200 };
    assert.equal(drive([b('\r\n' + head(198))], options).error, null);
    assert.equal(drive([b('\r\n' + head(199))], options).error?.status, 431);
    assert.equal(drive([b('\r\n'.repeat(101))], options).error?.status, 431);
  });

  it('maxHeaderBytes: the default is 16 KiB, and stops an endless head without scanning past it', () => {
    assert.equal(drive([b(head(16384))]).error, null);
    const endless = Buffer.concat([b('GET / HTTP/1.1\r\nHost: h\r\nX: '), Buffer.alloc(1 << 20, 0x61)]);
    const outcome = drive([endless]);
    assert.equal(outcome.error?.status, 431);
    assert.equal(outcome.error?.offset, 16384);
  });

  it('maxHeaderBytes: an over-long target is 414', () => {
    const outcome = driveAllWays(b(`GET /${'a'.repeat(300)} HTTP/1.1\r\nHost: h\r\n\r\n`), { maxHeaderBytes: 256 });
    assert.equal(outcome.error?.status, 414);
    assert.equal(outcome.error?.code, 'ERR_HTTP_URI_TOO_LONG');
  });

  it('maxHeaderBytes: byte-at-a-time input costs linear time and bounded memory', () => {
    const input = b(head(16384));
    const started = process.hrtime.bigint();
    const outcome = drive(bytewise(input));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(outcome.error, null);
    assert.ok(outcome.maxRetained <= 2 * 16384 + 1024, `retained ${outcome.maxRetained}`);
    assert.ok(ms < 1000, `${ms} ms`);
  });

  it('maxHeaderCount: 431 past the count', () => {
    const fields = (n: number) => `GET / HTTP/1.1\r\n${'X: y\r\n'.repeat(n - 1)}Host: h\r\n\r\n`;
    assert.equal(driveAllWays(b(fields(5)), { maxHeaderCount: 5 }).error, null);
    const outcome = driveAllWays(b(fields(6)), { maxHeaderCount: 5 });
    assert.equal(outcome.error?.status, 431);
    assert.equal(outcome.error?.code, 'ERR_HTTP_HEADERS_TOO_LARGE');
    assert.equal(drive([b(fields(101))]).error?.status, 431, 'default 100');
  });

  it('maxBodyBytes: a Content-Length over it is 413 before any body byte', () => {
    assert.equal(driveAllWays(b('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789'), { maxBodyBytes: 10 }).error, null);
    const parser = new RequestParser({ maxBodyBytes: 10 });
    parser.feed(b('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n'));
    assert.throws(() => parser.readHead(), { status: 413, code: 'ERR_HTTP_BODY_TOO_LARGE' });
  });

  it('maxBodyBytes: a chunked body is 413 as soon as a chunk size would pass it', () => {
    const ok = 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n';
    assert.equal(driveAllWays(b(ok), { maxBodyBytes: 10 }).error, null);
    const parser = new RequestParser({ maxBodyBytes: 10 });
    parser.feed(b('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n6'));
    assert.ok(parser.readHead());
    assert.equal(parser.readBody()?.toString(), '01234');
    assert.throws(() => parser.readBody(), { status: 413 });
  });

  it('maxChunkExtensionBytes: bounds the extensions of all chunks together', () => {
    const body = (ext: string) => `POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1${ext}\r\na\r\n1${ext}\r\nb\r\n0\r\n\r\n`;
    assert.equal(driveAllWays(b(body(';abc')), { maxChunkExtensionBytes: 8 }).error, null);
    const outcome = driveAllWays(b(body(';abcd')), { maxChunkExtensionBytes: 8 });
    assert.equal(outcome.error?.status, 413);
    assert.equal(outcome.error?.code, 'ERR_HTTP_CHUNK_EXTENSIONS_TOO_LARGE');
    const endless = drive([b(`POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1;${'x'.repeat(1 << 20)}`)]);
    assert.equal(endless.error?.status, 413, 'default 16 KiB');
  });

  it('trailers are bounded by maxHeaderBytes and maxHeaderCount', () => {
    const start = 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n';
    const big = driveAllWays(b(`${start}T: ${'x'.repeat(100)}\r\n\r\n`), { maxHeaderBytes: 64 });
    assert.equal(big.error?.status, 431);
    assert.equal(big.error?.code, 'ERR_HTTP_TRAILERS_TOO_LARGE');
    const many = driveAllWays(b(`${start}${'T: x\r\n'.repeat(3)}\r\n`), { maxHeaderCount: 2 });
    assert.equal(many.error?.status, 431);
    assert.equal(driveAllWays(b(`${start}${'T: x\r\n'.repeat(2)}\r\n`), { maxHeaderCount: 2 }).error, null);
  });

  it('validates its options, naming them', () => {
    assert.throws(() => new RequestParser({ maxHeaderBytes: -1 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /options\.maxHeaderBytes/ });
    assert.throws(() => new RequestParser({ maxHeaderCount: 1.5 }), { name: 'RangeError', message: /options\.maxHeaderCount/ });
    assert.throws(() => new RequestParser({ maxBodyBytes: '1' as unknown as number }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => new RequestParser({ maxBodyBytes: -1 }), { name: 'RangeError', message: /options\.maxBodyBytes/ });
    assert.throws(() => new RequestParser(null as unknown as RequestParserOptions), { name: 'TypeError' });
    assert.throws(() => new RequestParser().feed('GET' as unknown as Buffer), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.deepEqual(new RequestParser({ maxBodyBytes: Infinity, maxHeaderBytes: 1024 }).limits, {
      maxHeaderBytes: 1024,
      maxHeaderCount: 100,
      maxBodyBytes: Infinity,
      maxChunkExtensionBytes: 16384,
    });
  });
});

describe('http.RequestParser: fuzz (bounded)', () => {
  const options: RequestParserOptions = { maxHeaderBytes: 2048, maxHeaderCount: 32, maxBodyBytes: 1 << 16, maxChunkExtensionBytes: 256 };

  /** Runs one input with random splits; only HttpParseError may escape, with bounded work and memory, and the same outcome as whole. */
  function runOne(rng: Rng, input: Buffer): void {
    const cuts: number[] = [];
    const n = rng.int(4);
    for (let i = 0; i < n; i++) cuts.push(rng.int(input.length + 1));
    cuts.sort((x, y) => x - y);
    const pieces = rng.int(20) === 0 ? bytewise(input) : splitAt(input, cuts);
    const outcome = drive(pieces, options);
    const bound = 3 * (input.length + pieces.length) + 10;
    assert.ok(outcome.calls <= bound, `${outcome.calls} calls for ${input.length} bytes`);
    const maxPiece = Math.max(0, ...pieces.map((p) => p.length));
    assert.ok(outcome.maxRetained <= 2 * options.maxHeaderBytes! + maxPiece + 1024, `retained ${outcome.maxRetained}`);
    assert.equal(summary(outcome), summary(drive([input], options)), 'the split changed the outcome');
  }

  function fuzzFor(ms: number, seed: number, make: (rng: Rng) => Buffer): number {
    const rng = new Rng(seed);
    const deadline = Date.now() + ms;
    let runs = 0;
    while (Date.now() < deadline) {
      const input = make(rng);
      try {
        runOne(rng, input);
      } catch (error) {
        throw new Error(`fuzz input ${JSON.stringify(input.toString('latin1'))}: ${(error as Error).stack}`);
      }
      runs++;
    }
    return runs;
  }

  it('survives random bytes (1 s)', () => {
    const runs = fuzzFor(1000, 0x5eed, (rng) => randomInput(rng));
    assert.ok(runs > 100, `${runs} runs`);
  });

  it('survives mutated valid requests: flips, truncations, duplications, insertions (2 s)', () => {
    const runs = fuzzFor(2000, 0xbeef, (rng) => mutate(rng, VALID_REQUESTS[rng.int(VALID_REQUESTS.length)]));
    assert.ok(runs > 100, `${runs} runs`);
  });

  it('parses random valid pipelined requests, randomly split, to what was generated (1 s)', () => {
    const rng = new Rng(0xfeed);
    const deadline = Date.now() + 1000;
    let runs = 0;
    while (Date.now() < deadline) {
      const requests = Array.from({ length: 1 + rng.int(4) }, () => generateValid(rng));
      const input = b(requests.map((r) => r.input).join(''));
      const cuts = Array.from({ length: rng.int(6) }, () => rng.int(input.length)).sort((x, y) => x - y);
      const outcome = drive(rng.int(10) === 0 ? bytewise(input) : splitAt(input, cuts), { maxHeaderBytes: 4096 });
      const context = JSON.stringify(input.toString('latin1'));
      assert.equal(outcome.error, null, `${context}: ${outcome.error?.message}`);
      assert.equal(outcome.messages.length, requests.length, context);
      requests.forEach(({ expected }, i) => {
        const got = outcome.messages[i];
        assert.deepEqual(
          { method: got.method, url: got.url, version: got.version, headers: got.headers, keepAlive: got.keepAlive, body: got.body, trailers: got.trailers },
          expected,
          context,
        );
      });
      runs++;
    }
    assert.ok(runs > 100, `${runs} runs`);
  });

  it('parses every valid fuzz seed the same whole and split', () => {
    for (const input of VALID_REQUESTS) {
      const outcome = driveAllWays(input, options);
      assert.equal(outcome.error, null, `${input.toString('latin1')}: ${outcome.error?.message}`);
    }
  });
});
