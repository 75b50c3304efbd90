import { strict as assert } from 'node:assert';

import {
  chunkHeader,
  CONTINUE_RESPONSE,
  DateCache,
  dateCache,
  encodeChunk,
  encodeResponse,
  errorResponse,
  formatHttpDate,
  formatResponseHead,
  LAST_CHUNK,
  lastChunk,
  reasonPhrase,
  RequestParser,
  responseFraming,
  responseHasBody,
  validateHeaderName,
  validateHeaderValue,
  validateStatus,
  type FramingRequest,
} from '../../../lib/io/http';

const NO_DATE = { date: false } as const;

describe('http.response: head serialization', () => {
  it('writes the status line, the fields in order and the final CRLF', () => {
    const head = formatResponseHead(200, [['Content-Type', 'text/plain'], ['X-N', 42]], NO_DATE);
    assert.equal(head, 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-N: 42\r\n\r\n');
  });

  it('accepts a plain object, and arrays as repeated lines', () => {
    const head = formatResponseHead(404, { 'Set-Cookie': ['a=1', 'b=2'], Vary: 'Accept' }, NO_DATE);
    assert.equal(head, 'HTTP/1.1 404 Not Found\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nVary: Accept\r\n\r\n');
  });

  it('uses a custom reason, or none for an unknown status', () => {
    assert.equal(formatResponseHead(200, [], { ...NO_DATE, reason: 'Fine' }), 'HTTP/1.1 200 Fine\r\n\r\n');
    assert.equal(formatResponseHead(599, [], NO_DATE), 'HTTP/1.1 599 \r\n\r\n');
    assert.equal(formatResponseHead(204), `HTTP/1.1 204 No Content\r\nDate: ${dateCache.get()}\r\n\r\n`);
  });

  it('adds Date unless the handler set one, from a cache', () => {
    let now = Date.UTC(1994, 10, 6, 8, 49, 37, 100);
    const cache = new DateCache(() => now);
    assert.equal(formatResponseHead(200, [], { date: cache }), 'HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n');
    assert.equal(formatResponseHead(200, [['date', 'x']], { date: cache }), 'HTTP/1.1 200 OK\r\ndate: x\r\n\r\n');
    now += 800;
    assert.equal(cache.get(), 'Sun, 06 Nov 1994 08:49:37 GMT');
    now += 200;
    assert.equal(cache.get(), 'Sun, 06 Nov 1994 08:49:38 GMT');
    assert.equal(cache.headerLine(), 'Date: Sun, 06 Nov 1994 08:49:38 GMT\r\n');
  });

  it('formats IMF-fixdate', () => {
    assert.equal(formatHttpDate(Date.UTC(2024, 0, 2, 3, 4, 5)), 'Tue, 02 Jan 2024 03:04:05 GMT');
    assert.match(dateCache.get(), /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  });

  it('appends framing fields the handler did not set', () => {
    const framing = responseFraming({ method: 'GET', httpVersion: '1.0', keepAlive: true }, 200, 5);
    assert.equal(
      formatResponseHead(200, [], { ...NO_DATE, framing }),
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n',
    );
    assert.equal(
      formatResponseHead(200, [['content-length', '5'], ['CONNECTION', 'keep-alive']], { ...NO_DATE, framing }),
      'HTTP/1.1 200 OK\r\ncontent-length: 5\r\nCONNECTION: keep-alive\r\n\r\n',
    );
    const chunked = responseFraming({ method: 'GET', httpVersion: '1.1', keepAlive: false }, 200, null);
    assert.equal(
      formatResponseHead(200, [], { ...NO_DATE, framing: chunked }),
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
    );
  });

  it('refuses Content-Length together with Transfer-Encoding, from any source', () => {
    const chunked = responseFraming({ method: 'GET', httpVersion: '1.1', keepAlive: true }, 200, null);
    const sized = responseFraming({ method: 'GET', httpVersion: '1.1', keepAlive: true }, 200, 3);
    const conflict = { name: 'TypeError', code: 'ERR_HTTP_CONFLICTING_FRAMING' };
    assert.throws(() => formatResponseHead(200, [['Content-Length', 3]], { framing: chunked }), conflict);
    assert.throws(() => formatResponseHead(200, [['Transfer-Encoding', 'chunked']], { framing: sized }), conflict);
    assert.throws(() => formatResponseHead(200, { 'content-length': 3, 'transfer-encoding': 'chunked' }), conflict);
    assert.equal(formatResponseHead(200, [['Transfer-Encoding', 'chunked']], { ...NO_DATE, framing: chunked }), 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
  });

  it('encodes head and body into one Buffer', () => {
    const out = encodeResponse(200, [['Content-Length', 3]], NO_DATE, 'h\xe9');
    assert.equal(out.toString('latin1'), 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nh\xc3\xa9');
    const bin = encodeResponse(200, [], NO_DATE, Buffer.from([0, 255]));
    assert.deepEqual([...bin.subarray(-2)], [0, 255]);
    assert.equal(encodeResponse(304, [], NO_DATE).toString(), 'HTTP/1.1 304 Not Modified\r\n\r\n');
    // A latin1 (obs-text) head with a UTF-8 body: each part in its own encoding.
    const mixed = encodeResponse(200, [['X-Name', 'caf\xe9'], ['X-Nums', [1, 2]]], NO_DATE, '\u20ac');
    assert.deepEqual(
      mixed,
      Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nX-Name: caf\xe9\r\nX-Nums: 1\r\nX-Nums: 2\r\n\r\n', 'latin1'), Buffer.from('\u20ac', 'utf8')]),
    );
    assert.throws(() => encodeResponse(200, [['X', [['nested']]]] as never), { code: 'ERR_HTTP_INVALID_HEADER_VALUE' });
  });

  it('round-trips through a parser as a request would (fields survive intact)', () => {
    const head = formatResponseHead(200, [['X-Latin', 'caf\xe9'], ['X-Tab', 'a\tb']], NO_DATE);
    const parser = new RequestParser();
    parser.feed(Buffer.from(`GET / HTTP/1.1\r\nHost: h\r\n${head.split('\r\n').slice(1).join('\r\n')}`, 'latin1'));
    const parsed = parser.readHead();
    assert.equal(parsed?.headers.get('x-latin'), 'caf\xe9');
    assert.equal(parsed?.headers.get('x-tab'), 'a\tb');
  });
});

describe('http.response: validation (no injection)', () => {
  const injections = ['a\r\nSet-Cookie: x=1', 'a\nb', 'a\rb', 'a\x00b', 'a\x7fb', '\x1b[31m', 'caf\u00e9\u20ac'];

  for (const value of injections) {
    it(`refuses the value ${JSON.stringify(value)}, naming the header`, () => {
      assert.throws(() => formatResponseHead(200, [['X-Evil', value]]), {
        name: 'TypeError',
        code: 'ERR_INVALID_CHAR',
        message: 'Invalid character in header content ["X-Evil"]',
      });
      assert.throws(() => validateHeaderValue('X-Evil', [value]), { code: 'ERR_INVALID_CHAR' });
    });
  }

  for (const name of ['', 'X Evil', 'X:Evil', 'X\r\nEvil', 'caf\u00e9', '(x)']) {
    it(`refuses the name ${JSON.stringify(name)}`, () => {
      assert.throws(() => formatResponseHead(200, [[name, 'v']]), {
        name: 'TypeError',
        code: 'ERR_INVALID_HTTP_TOKEN',
        message: `Header name must be a valid HTTP token ["${name}"]`,
      });
    });
  }

  it('refuses missing and non-string values, and bad statuses and reasons', () => {
    assert.throws(() => validateHeaderValue('X', undefined), { code: 'ERR_HTTP_INVALID_HEADER_VALUE', message: 'Invalid value "undefined" for header "X"' });
    assert.throws(() => validateHeaderValue('X', {}), { code: 'ERR_HTTP_INVALID_HEADER_VALUE' });
    assert.throws(() => validateHeaderValue('X', NaN), { code: 'ERR_HTTP_INVALID_HEADER_VALUE' });
    assert.throws(() => validateHeaderName(7), { code: 'ERR_INVALID_HTTP_TOKEN' });
    for (const status of [99, 1000, 200.5, '200', NaN]) {
      assert.throws(() => validateStatus(status), { name: 'RangeError', code: 'ERR_HTTP_INVALID_STATUS_CODE' });
    }
    assert.throws(() => formatResponseHead(200, [], { reason: 'OK\r\nX: y' }), { name: 'TypeError', code: 'ERR_INVALID_CHAR' });
    assert.throws(() => formatResponseHead(200, 'x' as never), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => formatResponseHead(200, [['only-name']] as never), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe('http.response: framing decisions', () => {
  const req = (method: string, httpVersion: '1.0' | '1.1' = '1.1', keepAlive = true): FramingRequest => ({ method, httpVersion, keepAlive });

  it('uses Content-Length when the length is known', () => {
    assert.deepEqual(responseFraming(req('GET'), 200, 13), { mode: 'length', contentLength: 13, chunked: false, connection: null, keepAlive: true });
    assert.deepEqual(responseFraming(req('POST'), 201, 0), { mode: 'length', contentLength: 0, chunked: false, connection: null, keepAlive: true });
  });

  it('streams chunked to HTTP/1.1 and close-delimited to HTTP/1.0', () => {
    assert.deepEqual(responseFraming(req('GET'), 200, null), { mode: 'chunked', contentLength: -1, chunked: true, connection: null, keepAlive: true });
    assert.deepEqual(responseFraming(req('GET', '1.0'), 200, null), { mode: 'close', contentLength: -1, chunked: false, connection: 'close', keepAlive: false });
  });

  it('keeps HTTP/1.0 connections alive only when asked, saying so', () => {
    assert.equal(responseFraming(req('GET', '1.0', true), 200, 1).connection, 'keep-alive');
    assert.equal(responseFraming(req('GET', '1.0', false), 200, 1).connection, 'close');
    assert.equal(responseFraming(req('GET', '1.1', false), 200, 1).connection, 'close');
  });

  it('sends no body for HEAD, 1xx, 204, 304 and a 2xx to CONNECT', () => {
    assert.deepEqual(responseFraming(req('HEAD'), 200, 42), { mode: 'none', contentLength: 42, chunked: false, connection: null, keepAlive: true });
    assert.deepEqual(responseFraming(req('HEAD'), 200, null), { mode: 'none', contentLength: -1, chunked: false, connection: null, keepAlive: true });
    for (const status of [101, 204, 304]) {
      const f = responseFraming(req('GET'), status, 10);
      assert.equal(f.mode, 'none');
      assert.equal(f.contentLength, -1, `no Content-Length with ${status}`);
    }
    assert.equal(responseFraming(req('CONNECT'), 200, null).keepAlive, false);
    assert.equal(responseFraming(req('CONNECT'), 407, null).mode, 'chunked');
    assert.equal(responseHasBody('GET', 200), true);
    assert.equal(responseHasBody('HEAD', 200), false);
    assert.equal(responseHasBody('GET', 304), false);
  });

  it('validates its arguments', () => {
    assert.throws(() => responseFraming(req('GET'), 42, null), { code: 'ERR_HTTP_INVALID_STATUS_CODE' });
    assert.throws(() => responseFraming(req('GET'), 200, -1), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
  });
});

describe('http.response: chunked framing and canned responses', () => {
  it('frames chunks', () => {
    assert.equal(chunkHeader(255).toString(), 'ff\r\n');
    assert.equal(encodeChunk(Buffer.from('hello')).toString(), '5\r\nhello\r\n');
    assert.equal(LAST_CHUNK.toString(), '0\r\n\r\n');
    assert.equal(lastChunk().toString(), '0\r\n\r\n');
    assert.equal(lastChunk([['X-Sum', 'abc']]).toString(), '0\r\nX-Sum: abc\r\n\r\n');
    assert.throws(() => chunkHeader(0), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => encodeChunk(Buffer.alloc(0)), { name: 'RangeError' });
    assert.throws(() => encodeChunk('x' as never), { name: 'TypeError' });
    assert.throws(() => lastChunk([['X', 'a\nb']]), { code: 'ERR_INVALID_CHAR' });
  });

  it('chunked output parses back through the request parser', () => {
    const body = Buffer.concat([encodeChunk(Buffer.from('abc')), chunkHeader(2), Buffer.from('de'), Buffer.from('\r\n'), lastChunk([['T', '1']])]);
    const parser = new RequestParser();
    parser.feed(Buffer.concat([Buffer.from('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n'), body]));
    assert.ok(parser.readHead());
    let got = '';
    for (let c = parser.readBody(); c !== null; c = parser.readBody()) got += c.toString();
    assert.equal(got, 'abcde');
    assert.equal(parser.bodyComplete, true);
    assert.equal(parser.trailers.get('t'), '1');
  });

  it('has the 100 Continue interim response and error responses that close', () => {
    assert.equal(CONTINUE_RESPONSE.toString(), 'HTTP/1.1 100 Continue\r\n\r\n');
    const text = errorResponse(431, 'Request header section too large').toString();
    assert.match(text, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    assert.match(text, /\r\nConnection: close\r\n/);
    assert.match(text, /\r\nContent-Length: 33\r\n/);
    assert.match(text, /\r\n\r\nRequest header section too large\n$/);
    assert.match(errorResponse(400).toString(), /\r\n\r\nBad Request\n$/);
    assert.equal(reasonPhrase(413), 'Content Too Large');
    assert.equal(reasonPhrase(299), '');
  });
});
