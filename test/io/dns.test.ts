import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import { promisify } from 'node:util';

import { run, sleep, spawn } from '../../lib/core';
import { dns, getaddrinfo, gethostbyaddr, gethostbyname, getnameinfo, Socket, type InetAddress } from '../../lib/io';
import { caught } from '../core/helpers';

describe('dns', () => {
  it('getaddrinfo(localhost): addresses a socket can connect to', async () => {
    await run(function* () {
      const server = new Socket();
      server.bind(['127.0.0.1', 0]);
      server.listen();
      const [, port] = server.getsockname() as InetAddress;
      const answers = yield* getaddrinfo('localhost', port);
      const v4 = answers.find((a) => a.family === 'inet');
      assert.ok(v4, JSON.stringify(answers));
      assert.deepEqual(v4, { family: 'inet', address: '127.0.0.1', port, sockaddr: ['127.0.0.1', port] });
      const client = new Socket();
      yield* client.connect(v4.sockaddr);
      const [conn] = yield* server.accept();
      conn.close();
      client.close();
      server.close();
    });
  });

  it('IP literals resolve to themselves, each in its family', async () => {
    await run(function* () {
      assert.deepEqual(yield* getaddrinfo('127.0.0.1', 80), [{ family: 'inet', address: '127.0.0.1', port: 80, sockaddr: ['127.0.0.1', 80] }]);
      assert.deepEqual(yield* getaddrinfo('::1'), [{ family: 'inet6', address: '::1', port: 0, sockaddr: ['::1', 0] }]);
      assert.deepEqual(yield* getaddrinfo('127.0.0.1', 0, { family: 'inet' }), [
        { family: 'inet', address: '127.0.0.1', port: 0, sockaddr: ['127.0.0.1', 0] },
      ]);
      const wrongFamily = yield* caught(() => getaddrinfo('127.0.0.1', 0, { family: 'inet6' }));
      assert.ok(wrongFamily instanceof Error);
      assert.equal((wrongFamily as NodeJS.ErrnoException).code, 'ENOTFOUND');
    });
  });

  it('gethostbyname, gethostbyaddr and getnameinfo', async () => {
    await run(function* () {
      assert.equal(yield* gethostbyname('localhost'), '127.0.0.1');
      assert.equal(yield* gethostbyname('127.0.0.1'), '127.0.0.1');
      assert.deepEqual(yield* gethostbyaddr('127.0.0.1'), ['localhost', [], ['127.0.0.1']]);
      assert.deepEqual(yield* getnameinfo(['127.0.0.1', 22]), ['localhost', 'ssh']);
      assert.equal(yield* dns.gethostbyname('localhost', { timeout: 10 }), '127.0.0.1');
    });
  });

  it('a name that cannot resolve raises ENOTFOUND', async () => {
    await run(function* () {
      for (const lookup of [() => getaddrinfo('nonexistent.invalid'), () => gethostbyname('nonexistent.invalid')]) {
        const error = yield* caught(lookup);
        assert.ok(error instanceof Error);
        assert.equal((error as NodeJS.ErrnoException).code, 'ENOTFOUND');
        assert.equal((error as Error & { hostname: string }).hostname, 'nonexistent.invalid');
      }
    });
  });

  it('a timeout raises ETIMEOUT (lookups stuck behind a busy libuv thread pool)', async () => {
    const pbkdf2 = promisify(crypto.pbkdf2);
    // libuv's pool has 4 threads: keep them all busy for a while.
    const busy = Array.from({ length: 4 }, () => pbkdf2('x', 'y', 400000, 32, 'sha256'));
    try {
      await run(function* () {
        const started = Date.now();
        const error = yield* caught(() => getaddrinfo('localhost', 0, { timeout: 0.02 }));
        assert.ok(error instanceof Error, String(error));
        assert.equal((error as NodeJS.ErrnoException).code, 'ETIMEOUT');
        assert.match((error as Error).message, /getaddrinfo ETIMEOUT localhost/);
        assert.ok(Date.now() - started < 5000);
      });
    } finally {
      await Promise.all(busy);
    }
  });

  it('greenlets keep running while a lookup is pending', async () => {
    await run(function* () {
      let ticks = 0;
      const ticker = spawn(function* () {
        for (;;) {
          ticks++;
          yield* sleep(0);
        }
      });
      yield* getaddrinfo('localhost');
      ticker.kill();
      assert.ok(ticks > 0);
    });
  });

  it('checks its arguments', () => {
    assert.throws(() => getaddrinfo(5 as unknown as string), { name: 'TypeError', message: /"host"/ });
    assert.throws(() => getaddrinfo('a\u0000b'), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => getaddrinfo('localhost', 70000), { name: 'RangeError', message: /"port"/ });
    assert.throws(() => getaddrinfo('localhost', -1), RangeError);
    assert.throws(() => getaddrinfo('localhost', 0, { family: 'ipx' as 'inet' }), { code: 'ERR_INVALID_ARG_VALUE', message: /"options.family"/ });
    assert.throws(() => getaddrinfo('localhost', 0, { timeout: -1 }), { name: 'RangeError', message: /"options.timeout"/ });
    assert.throws(() => gethostbyname(null as unknown as string), { name: 'TypeError', message: /"name"/ });
    assert.throws(() => gethostbyaddr('not-an-ip'), { code: 'ERR_INVALID_ARG_VALUE', message: /"ip"/ });
    assert.throws(() => getnameinfo('127.0.0.1' as unknown as InetAddress), { code: 'ERR_INVALID_ARG_VALUE', message: /"sockaddr"/ });
    assert.throws(() => getnameinfo(['127.0.0.1', 1e6]), { name: 'RangeError', message: /"sockaddr\[1\]"/ });
  });
});
