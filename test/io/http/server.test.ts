import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';

import { getHub, run, sleep, spawn, type Operation } from '../../../lib/core';
import { HttpServer, type HttpHandler, type HttpServerOptions, type InetAddress, type Request, type Response } from '../../../lib/io';
import { withCapturedErrors } from '../../core/helpers';

let servers: HttpServer[] = [];

function serve(handler: HttpHandler, options: HttpServerOptions = {}): number {
  const server = new HttpServer(['127.0.0.1', 0], handler, options);
  server.start();
  servers.push(server);
  return (server.address as InetAddress)[1];
}

afterEach(async () => {
  for (const server of servers) await server.stop({ timeout: 0.2 });
  servers = [];
});

function* hello(_req: Request, res: Response): Operation<void> {
  res.setHeader('Content-Type', 'text/plain');
  yield* res.end('Hello, World!');
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(port: number, options: http.RequestOptions & { body?: Buffer | string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** Sends raw bytes and collects everything until the server closes (or `ms`). */
function raw(port: number, data: Buffer | string, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.write(data);
  });
}

function statusOf(response: string): number {
  const match = /^HTTP\/1\.1 (\d{3})/.exec(response);
  return match ? Number(match[1]) : 0;
}

describe('HttpServer', () => {
  it('answers Node\'s http client, with Date and Content-Length', async () => {
    const port = serve(hello);
    const answer = await request(port, { path: '/' });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.toString(), 'Hello, World!');
    assert.equal(answer.headers['content-length'], '13');
    assert.equal(answer.headers['content-type'], 'text/plain');
    assert.ok(!Number.isNaN(Date.parse(answer.headers.date ?? '')));
  });

  it('gives the handler method, url, path, query, headers (any case) and version', async () => {
    let seen: Record<string, unknown> = {};
    const port = serve(function* (req, res) {
      seen = {
        method: req.method,
        url: req.url,
        path: req.path,
        q: req.query.get('q'),
        agent: req.headers.get('X-Test-Header'),
        lower: req.headers.get('x-test-header'),
        version: req.httpVersion,
      };
      yield* res.end();
    });
    await request(port, { path: '/a/b%20c?q=1&r=2', headers: { 'x-TEST-header': 'yes' } });
    assert.deepEqual(seen, { method: 'GET', url: '/a/b%20c?q=1&r=2', path: '/a/b%20c', q: '1', agent: 'yes', lower: 'yes', version: '1.1' });
  });

  it('reuses keep-alive connections', async () => {
    const remotes = new Set<string>();
    const port = serve(function* (req, res) {
      remotes.add(JSON.stringify(req.remoteAddress));
      yield* res.end('x');
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 5; i++) assert.equal((await request(port, { agent })).status, 200);
    agent.destroy();
    assert.equal(remotes.size, 1);
  });

  it('answers pipelined requests in order, in one write when it can', async () => {
    let n = 0;
    const port = serve(function* (req, res) {
      const mine = ++n;
      if (mine === 1) yield* sleep(0.02); // the first is slowest: order must still hold
      yield* res.end(`response ${mine} for ${req.path}`);
    });
    const pipelined = ['/a', '/b', '/c'].map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join('') + 'GET /d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
    const text = await raw(port, pipelined);
    const bodies = text.split('HTTP/1.1 200 OK').slice(1).map((part) => part.split('\r\n\r\n')[1]);
    assert.deepEqual(bodies, ['response 1 for /a', 'response 2 for /b', 'response 3 for /c', 'response 4 for /d']);
  });

  it('reads chunked uploads and Content-Length uploads, large ones intact', async function () {
    this.timeout(20000);
    const port = serve(function* (req, res) {
      const body = yield* req.body();
      yield* res.end(createHash('sha256').update(body).digest('hex'));
    });
    const payload = randomBytes(5 * 1024 * 1024);
    const digest = createHash('sha256').update(payload).digest('hex');
    const byLength = await request(port, { method: 'POST', body: payload });
    assert.equal(byLength.body.toString(), digest);
    const chunked = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        let t = '';
        res.on('data', (d) => (t += d));
        res.on('end', () => resolve(t));
      });
      req.on('error', reject);
      for (let i = 0; i < payload.length; i += 100000) req.write(payload.subarray(i, i + 100000));
      req.end();
    });
    assert.equal(chunked, digest);
  });

  it('streams a chunked download when the length is unknown', async () => {
    const port = serve(function* (_req, res) {
      for (let i = 0; i < 5; i++) {
        yield* res.write(`part ${i};`);
        yield* sleep(0.001);
      }
      yield* res.end('done');
    });
    const answer = await request(port);
    assert.equal(answer.headers['transfer-encoding'], 'chunked');
    assert.equal(answer.body.toString(), 'part 0;part 1;part 2;part 3;part 4;done');
  });

  it('streams the request body with req.read()', async () => {
    const port = serve(function* (req, res) {
      let total = 0;
      let pieces = 0;
      for (;;) {
        const chunk = yield* req.read();
        if (chunk === null) break;
        total += chunk.length;
        pieces++;
      }
      yield* res.end(`${total} in ${pieces > 0 ? 'pieces' : 'none'}`);
    });
    const answer = await request(port, { method: 'PUT', body: Buffer.alloc(300000, 1) });
    assert.equal(answer.body.toString(), '300000 in pieces');
  });

  it('json() and text()', async () => {
    const port = serve(function* (req, res) {
      const data = (yield* req.json()) as { a: number };
      yield* res.end(JSON.stringify({ doubled: data.a * 2 }));
    });
    const answer = await request(port, { method: 'POST', body: '{"a":21}', headers: { 'content-type': 'application/json' } });
    assert.deepEqual(JSON.parse(answer.body.toString()), { doubled: 42 });
  });

  it('Expect: 100-continue: the 100 goes out when the handler reads the body', async () => {
    const port = serve(function* (req, res) {
      yield* res.end(`read ${(yield* req.body()).length}`);
    });
    const answer = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', headers: { expect: '100-continue', 'content-length': 5 } });
      req.on('continue', () => req.end('abcde'));
      req.on('response', (res) => {
        let t = '';
        res.on('data', (d) => (t += d));
        res.on('end', () => resolve(t));
      });
      req.on('error', reject);
    });
    assert.equal(answer, 'read 5');
  });

  it('Expect: 100-continue answered without reading: no 100, and the connection closes', async () => {
    const port = serve(function* (_req, res) {
      res.status = 403;
      yield* res.end('no');
    });
    const text = await raw(port, 'POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
    assert.equal(statusOf(text), 403);
    assert.doesNotMatch(text, /100 Continue/);
  });

  it('large bodies from end() arrive intact, pipelined and not; HEAD of one sends no body', async () => {
    // 24 MiB is more than loopback's socket buffers take at once: partial sends.
    const sizes: Record<string, number> = { '/small': 100, '/4k': 4097, '/64k': 65536, '/24m': 24 << 20 };
    const pattern = Buffer.from(Array.from({ length: 251 }, (_, i) => (i * 7) & 0xff));
    const bodies = new Map(Object.entries(sizes).map(([path, size]) => [path, Buffer.alloc(size, pattern)]));
    const bodyOf = (path: string): Buffer => bodies.get(path) as Buffer;
    const port = serve(function* (req, res) {
      yield* res.end(bodyOf(req.path));
    });
    for (const path of Object.keys(sizes)) {
      const answer = await request(port, { path });
      assert.equal(answer.status, 200);
      assert.ok(answer.body.equals(bodyOf(path)), `${path}: the body differs`);
    }
    const pipelined = Object.keys(sizes).map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join('') + 'HEAD /24m HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
    const text = Buffer.from(await raw(port, pipelined, 10000), 'latin1');
    let offset = 0;
    for (const path of Object.keys(sizes)) {
      const headEnd = text.indexOf('\r\n\r\n', offset) + 4;
      assert.match(text.subarray(offset, headEnd).toString('latin1'), new RegExp(`Content-Length: ${sizes[path]}\r\n`));
      assert.ok(text.subarray(headEnd, headEnd + sizes[path]).equals(bodyOf(path)), `pipelined ${path}: the body differs`);
      offset = headEnd + sizes[path];
    }
    const headOnly = text.subarray(offset).toString('latin1');
    assert.match(headOnly, /^HTTP\/1\.1 200 OK\r\n[^]*Content-Length: 25165824\r\n/);
    assert.ok(headOnly.endsWith('\r\n\r\n'), 'HEAD got a body');
  });

  it('HEAD gets the headers a GET would, and no body', async () => {
    const port = serve(hello);
    const text = await raw(port, 'HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, /Content-Length: 13\r\n/);
    assert.ok(text.endsWith('\r\n\r\n'));
  });

  it('Connection: close closes after the response; HTTP/1.0 closes by default', async () => {
    const port = serve(hello);
    const closed = await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 5000);
    assert.match(closed, /Connection: close/);
    const old = await raw(port, 'GET / HTTP/1.0\r\n\r\n', 5000);
    assert.equal(statusOf(old), 200);
    assert.match(old, /Hello, World!$/);
  });

  it('a handler that raises: 500, the error goes to the hub, the connection closes', async () => {
    await withCapturedErrors(async (errors) => {
      const port = serve(function* () {
        yield* sleep(0);
        throw new Error('handler failed');
      });
      const text = await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal(statusOf(text), 500);
      assert.equal(errors.length, 1);
      assert.match(String(errors[0][1]), /handler failed/);
    });
  });

  it('a malformed body the handler never read: the answer still goes out, then the connection closes', async () => {
    const port = serve(hello);
    const text = await raw(port, 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
    assert.equal(statusOf(text), 200);
  });

  it('a handler that returns without ending: the server ends the response', async () => {
    const port = serve(function* (_req, res) {
      res.status = 204;
      yield* sleep(0);
    });
    assert.equal((await request(port)).status, 204);
  });

  describe('limits and timeouts', () => {
    it('431 for headers over maxHeaderBytes; 413 for a body over maxBodyBytes', async () => {
      const port = serve(function* (req, res) {
        yield* res.end(`${(yield* req.body()).length}`);
      }, { maxHeaderBytes: 1024, maxBodyBytes: 1000 });
      assert.equal(statusOf(await raw(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(2000)}\r\n\r\n`)), 431);
      assert.equal(statusOf(await raw(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n')), 413);
      const chunkedTooBig = `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${(600).toString(16)}\r\n${'a'.repeat(600)}\r\n${(600).toString(16)}\r\n${'a'.repeat(600)}\r\n0\r\n\r\n`;
      assert.equal(statusOf(await raw(port, chunkedTooBig)), 413);
      assert.equal(statusOf(await raw(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789')), 200);
    });

    it('a slowloris client is cut at headersTimeout (408)', async () => {
      const port = serve(hello, { headersTimeout: 0.2 });
      const started = Date.now();
      const text = await new Promise<string>((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        let out = '';
        socket.on('data', (d) => (out += d));
        socket.on('close', () => resolve(out));
        socket.on('error', () => undefined);
        const drip = setInterval(() => socket.write('X-Drip: 1\r\n'), 20);
        socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
        socket.on('close', () => clearInterval(drip));
      });
      assert.equal(statusOf(text), 408);
      assert.ok(Date.now() - started < 3000);
    });

    it('an idle keep-alive connection is closed after keepAliveTimeout', async () => {
      const port = serve(hello, { keepAliveTimeout: 0.1 });
      const started = Date.now();
      const text = await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 5000);
      const took = Date.now() - started;
      assert.equal(statusOf(text), 200);
      assert.ok(took >= 90 && took < 3000, `closed after ${took} ms`);
    });

    it('a body that trickles past requestTimeout is cut (408)', async () => {
      const port = serve(function* (req, res) {
        yield* res.end(`${(yield* req.body()).length}`);
      }, { requestTimeout: 0.2 });
      const text = await new Promise<string>((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        let out = '';
        socket.on('data', (d) => (out += d));
        socket.on('close', () => resolve(out));
        socket.on('error', () => undefined);
        socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n');
        const drip = setInterval(() => socket.write('a'), 30);
        socket.on('close', () => clearInterval(drip));
      });
      assert.equal(statusOf(text), 408);
    });
  });

  describe('malformed requests', () => {
    const cases: [string, string, number][] = [
      ['no version', 'GET /\r\n\r\n', 400],
      ['lowercase version', 'GET / http/1.1\r\nHost: x\r\n\r\n', 400],
      ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505],
      ['HTTP/1.2', 'GET / HTTP/1.2\r\nHost: x\r\n\r\n', 505],
      ['two spaces', 'GET  / HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ['tab separator', 'GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ['bad method char', 'GE(T / HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ['space in target', 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ['bad percent escape', 'GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ['fragment in target', 'GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ['control char in target', 'GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ['missing Host (1.1)', 'GET / HTTP/1.1\r\n\r\n', 400],
      ['two Hosts', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
      ['space before colon', 'GET / HTTP/1.1\r\nHost : x\r\n\r\n', 400],
      ['no colon', 'GET / HTTP/1.1\r\nHost x\r\n\r\n', 400],
      ['empty field name', 'GET / HTTP/1.1\r\n: x\r\nHost: x\r\n\r\n', 400],
      ['obs-fold', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n', 400],
      ['bare LF line ending', 'GET / HTTP/1.1\nHost: x\n\n', 400],
      ['bare CR', 'GET / HTTP/1.1\rHost: x\r\n\r\n', 400],
      ['NUL in value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n', 400],
      ['bad Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400],
      ['negative Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', 400],
      ['conflicting Content-Lengths', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 400],
      ['Content-Length and chunked', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
      ['chunked not last', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', 400],
      ['unknown coding', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 501],
      ['chunked in HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
      ['bad chunk size', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n', 400],
      ['chunk without CRLF after data', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY0\r\n\r\n', 400],
      ['chunk size over the body limit', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n', 413],
      ['asterisk not for OPTIONS', 'GET * HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ['authority form not for CONNECT', 'GET example.com:80 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ['userinfo in absolute form', 'GET http://user@h/ HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ['binary garbage', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 400],
      ['non-ASCII method', 'GÉT / HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ];
    // The handler reads the body, so a malformed body is refused before any answer.
    function* readsBody(req: Request, res: Response): Operation<void> {
      yield* res.end(`${(yield* req.body()).length}`);
    }
    for (const [name, input, expected] of cases) {
      it(`${expected} for ${name}`, async () => {
        const port = serve(readsBody);
        const text = await raw(port, Buffer.from(input, 'latin1'));
        assert.equal(statusOf(text), expected, JSON.stringify(text.slice(0, 80)));
      });
    }

    it('an over-long target is refused (414)', async () => {
      const port = serve(hello, { maxHeaderBytes: 1024 });
      assert.equal(statusOf(await raw(port, `GET /${'a'.repeat(2000)} HTTP/1.1\r\nHost: x\r\n\r\n`)), 414);
    });
  });

  it('fuzz: random and mutated requests never crash or hang the server', async function () {
    this.timeout(30000);
    const port = serve(hello, { headersTimeout: 0.5, keepAliveTimeout: 0.2 });
    const valid = Buffer.from('POST /p?q=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello');
    let seed = 12345;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const deadline = Date.now() + 3000;
    let sent = 0;
    while (Date.now() < deadline) {
      let input: Buffer;
      if (random() < 0.3) {
        input = randomBytes(1 + Math.floor(random() * 200));
      } else {
        input = Buffer.from(valid);
        const edits = 1 + Math.floor(random() * 4);
        for (let e = 0; e < edits; e++) {
          const at = Math.floor(random() * input.length);
          const kind = random();
          if (kind < 0.4) input[at] = Math.floor(random() * 256);
          else if (kind < 0.7) input = Buffer.concat([input.subarray(0, at), input.subarray(at + 1)]);
          else input = Buffer.concat([input.subarray(0, at), Buffer.from([Math.floor(random() * 256)]), input.subarray(at)]);
        }
      }
      await Promise.all(Array.from({ length: 8 }, () => raw(port, input, 2000)));
      sent += 8;
    }
    assert.ok(sent > 0);
    // Still healthy afterwards.
    assert.equal((await request(port)).body.toString(), 'Hello, World!');
  });

  it('graceful stop: requests in flight finish, idle keep-alive connections close', async () => {
    const server = new HttpServer(['127.0.0.1', 0], function* (req, res) {
      if (req.path === '/slow') yield* sleep(0.2);
      yield* res.end(req.path);
    });
    server.start();
    const port = (server.address as InetAddress)[1];
    const agent = new http.Agent({ keepAlive: true });
    await request(port, { path: '/warm', agent }); // leaves an idle keep-alive connection
    const slow = request(port, { path: '/slow' });
    await sleep(0.05);
    const started = Date.now();
    await server.stop({ timeout: 2 });
    const took = Date.now() - started;
    const answer = await slow;
    assert.equal(answer.body.toString(), '/slow');
    assert.equal(answer.headers.connection, 'close');
    assert.ok(took < 1500, `stop took ${took} ms`);
    agent.destroy();
  });

  it('rejects bad options', () => {
    assert.throws(() => new HttpServer(['127.0.0.1', 0], 5 as unknown as HttpHandler), { name: 'TypeError', message: /"handler"/ });
    assert.throws(() => new HttpServer(['127.0.0.1', 0], hello, { maxHeaderBytes: 1 }), RangeError);
    assert.throws(() => new HttpServer(['127.0.0.1', 0], hello, { maxBodyBytes: -1 }), RangeError);
    assert.throws(() => new HttpServer(['127.0.0.1', 0], hello, { headersTimeout: NaN }), { name: 'RangeError', message: /"options.headersTimeout"/ });
    assert.throws(() => new HttpServer(['127.0.0.1', 0], hello, { keepAliveTimeout: -1 }), RangeError);
  });

  it('response headers: set, get, has and remove ignore case; the last set wins; writeHead sets several', async () => {
    let seen: unknown[] = [];
    const port = serve(function* (_req, res) {
      res.setHeader('X-One', 'a');
      res.setHeader('x-one', 'b');
      res.setHeader('X-Two', 2);
      res.setHeader('X-Gone', 'bye');
      res.removeHeader('X-GONE');
      res.removeHeader('X-Never-Set');
      res.writeHead(201, { 'X-Three': ['c', 'd'], 'x-two': 22 });
      seen = [res.getHeader('X-ONE'), res.hasHeader('x-two'), res.getHeader('X-Two'), res.hasHeader('x-gone'), res.getHeader('nope'), res.getHeader('x-three')];
      yield* res.end('ok');
    });
    const text = await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.deepEqual(seen, ['b', true, 22, false, undefined, ['c', 'd']]);
    const head = text.split('\r\n\r\n')[0];
    assert.match(head, /^HTTP\/1\.1 201 Created\r\nx-one: b\r\nx-two: 22\r\nX-Three: c\r\nX-Three: d\r\nDate: /);
    assert.doesNotMatch(head, /X-Gone/i);
    assert.match(head, /\r\nContent-Length: 2\r\nConnection: close$/);
  });

  it('an array value changed after setHeader is checked again when the head goes out', async () => {
    await withCapturedErrors(async (errors) => {
      const port = serve(function* (_req, res) {
        const values = ['fine'];
        res.setHeader('X-List', values);
        values.push('bad\r\nInjected: 1');
        yield* res.end('x');
      });
      const text = await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal(statusOf(text), 500);
      assert.doesNotMatch(text, /Injected/);
      assert.equal(errors.length, 1);
    });
  });

  it('heads that repeat and heads that change: each response has its own fields', async () => {
    const list = ['a'];
    let n = 0;
    const port = serve(function* (req, res) {
      const i = n++;
      if (req.path === '/array') {
        list.push(String(i));
        res.setHeader('X-List', list);
      } else if (req.path === '/json') {
        res.setHeader('Content-Type', 'application/json');
      } else if (req.path === '/status') {
        res.status = 202;
        res.setHeader('Content-Type', 'text/plain');
      } else if (req.path === '/dated') {
        res.setHeader('Date', 'Sun, 06 Nov 1994 08:49:37 GMT');
      } else {
        res.setHeader('Content-Type', 'text/plain');
        res.setHeader('X-N', `${i % 2}`);
      }
      yield* res.end(req.path === '/long' ? 'x'.repeat(i + 1) : 'ok');
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const paths = ['/plain', '/plain', '/json', '/plain', '/status', '/status', '/array', '/array', '/dated', '/plain', '/long', '/long'];
    for (let k = 0; k < paths.length; k++) {
      const path = paths[k];
      const answer = await request(port, { path, agent });
      const { headers } = answer;
      assert.equal(answer.status, path === '/status' ? 202 : 200, path);
      assert.equal(headers['content-type'], path === '/json' ? 'application/json' : path === '/array' || path === '/dated' ? undefined : 'text/plain', path);
      if (path === '/plain' || path === '/long') assert.equal(headers['x-n'], `${k % 2}`, path);
      if (path === '/array') assert.equal(headers['x-list'], list.join(', '), path);
      if (path === '/dated') assert.equal(headers.date, 'Sun, 06 Nov 1994 08:49:37 GMT');
      else assert.ok(!Number.isNaN(Date.parse(headers.date ?? '')), path);
      assert.equal(headers['content-length'], String(answer.body.length), path);
    }
    agent.destroy();
  });

  it('latin1 header values and reasons stay latin1 beside a UTF-8 body', async () => {
    const port = serve(function* (req, res) {
      if (req.path === '/reason') res.statusMessage = 'Très bien';
      else res.setHeader('X-Name', 'café');
      yield* res.end('héllo ✓');
    });
    for (const path of ['/header', '/reason']) {
      const bytes = Buffer.from(await raw(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), 'latin1');
      const split = bytes.indexOf('\r\n\r\n') + 4;
      const head = bytes.subarray(0, split).toString('latin1');
      if (path === '/header') assert.match(head, /\r\nX-Name: café\r\n/);
      else assert.match(head, /^HTTP\/1\.1 200 Très bien\r\n/);
      assert.equal(bytes.subarray(split).toString('utf8'), 'héllo ✓');
      assert.match(head, new RegExp(`Content-Length: ${Buffer.byteLength('héllo ✓')}\r\n`));
    }
  });

  it('pipelined requests answered with large write() pieces: corked output past its limit goes out', async () => {
    const piece = Buffer.alloc(100 * 1024, 'p');
    const port = serve(function* (_req, res) {
      res.setHeader('Content-Length', String(2 * piece.length));
      yield* res.write(piece);
      yield* res.write(piece);
      yield* res.end();
    });
    const pipelined = 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
    const bytes = Buffer.from(await raw(port, pipelined, 5000), 'latin1');
    let offset = 0;
    for (let i = 0; i < 2; i++) {
      const headEnd = bytes.indexOf('\r\n\r\n', offset) + 4;
      assert.match(bytes.subarray(offset, headEnd).toString('latin1'), /^HTTP\/1\.1 200 OK\r\n/);
      const body = bytes.subarray(headEnd, headEnd + 2 * piece.length);
      assert.equal(body.length, 2 * piece.length);
      assert.ok(body.every((c) => c === 0x70));
      offset = headEnd + 2 * piece.length;
    }
    assert.equal(offset, bytes.length);
  });

  it('string and byte bodies of every size arrive intact, with and without pipelining', async () => {
    const sizes = [0, 1, 100, 4095, 4096, 4097, 16000, 17000, 70000];
    const port = serve(function* (req, res) {
      const [kind, size] = req.path.slice(1).split('/');
      const text = 'é'.repeat(Number(size) >> 1) + (Number(size) & 1 ? 'a' : '');
      yield* res.end(kind === 'string' ? text : Buffer.from(text));
    });
    for (const kind of ['string', 'bytes']) {
      for (const size of sizes) {
        const answer = await request(port, { path: `/${kind}/${size}` });
        assert.equal(answer.body.length, size, `${kind} ${size}`);
        assert.equal(answer.headers['content-length'], String(size));
      }
      const pipelined = sizes.map((s) => `GET /${kind}/${s} HTTP/1.1\r\nHost: x\r\n\r\n`).join('') + 'GET /string/3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
      const bytes = Buffer.from(await raw(port, pipelined, 5000), 'latin1');
      let offset = 0;
      for (const size of [...sizes, 3]) {
        const headEnd = bytes.indexOf('\r\n\r\n', offset) + 4;
        assert.match(bytes.subarray(offset, headEnd).toString('latin1'), new RegExp(`Content-Length: ${size}\r\n`));
        offset = headEnd + size;
      }
      assert.equal(offset, bytes.length);
    }
  });

  it('response misuse is refused with clear errors', async () => {
    let problems: string[] = [];
    const port = serve(function* (_req, res) {
      problems = [];
      try {
        res.setHeader('Bad Name', 'x');
      } catch (e) {
        problems.push((e as NodeJS.ErrnoException).code ?? '');
      }
      try {
        res.setHeader('X-Ok', 'a\r\nInjected: 1');
      } catch (e) {
        problems.push((e as NodeJS.ErrnoException).code ?? '');
      }
      yield* res.write('partial');
      try {
        res.setHeader('X-Late', '1');
      } catch (e) {
        problems.push((e as NodeJS.ErrnoException).code ?? '');
      }
      yield* res.end();
      try {
        res.write('again');
      } catch (e) {
        problems.push((e as NodeJS.ErrnoException).code ?? '');
      }
    });
    await request(port);
    assert.deepEqual(problems, ['ERR_INVALID_HTTP_TOKEN', 'ERR_INVALID_CHAR', 'ERR_HTTP_HEADERS_SENT', 'ERR_STREAM_WRITE_AFTER_END']);
    void getHub;
    void spawn;
    void run;
  });
});
