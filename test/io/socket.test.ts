import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

import {
  ConcurrentObjectUseError,
  getHub,
  joinAll,
  run,
  sleep,
  spawn,
  Timeout,
  type Greenlet,
  type Operation,
} from '../../lib/core';
import { createConnection, Socket, SocketReader, SocketTimeout, waitRead, waitWrite, type Address, type InetAddress } from '../../lib/io';
import { addon } from '../../lib/loop/native';
import { closeFds, makePipe, makeSocketPair, runScript, tempDir } from '../helpers';
import { caught } from '../core/helpers';


/** A listening TCP socket on an ephemeral loopback port. */
function listener(family: 'inet' | 'inet6' = 'inet', backlog = 128): [Socket, InetAddress] {
  const server = new Socket({ family });
  server.bind([family === 'inet' ? '127.0.0.1' : '::1', 0]);
  server.listen(backlog);
  return [server, server.getsockname() as InetAddress];
}

/** Echoes each connection until EOF, from an accept loop greenlet. */
function echoServer(server: Socket): Greenlet {
  return spawn(function* () {
    for (;;) {
      const [conn] = yield* server.accept();
      spawn(function* () {
        const buffer = Buffer.alloc(65536);
        try {
          for (;;) {
            const n = yield* conn.recvInto(buffer);
            if (n === 0) break;
            yield* conn.sendall(buffer.subarray(0, n));
          }
        } finally {
          conn.close();
        }
      });
    }
  });
}

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

describe('Socket', () => {
  describe('echo', () => {
    for (const family of ['inet', 'inet6'] as const) {
      it(`TCP over ${family === 'inet' ? 'IPv4' : 'IPv6'}`, async () => {
        await run(function* () {
          const [server, address] = listener(family);
          const acceptor = echoServer(server);
          const client = new Socket({ family });
          yield* client.connect(address);
          yield* client.sendall('hello');
          assert.equal((yield* client.recv(100)).toString(), 'hello');
          assert.deepEqual(client.getpeername(), address);
          assert.equal((client.getsockname() as InetAddress)[0], family === 'inet' ? '127.0.0.1' : '::1');
          client.close();
          acceptor.kill();
          server.close();
        });
      });
    }

    it('UDP datagrams with recvfrom/sendto', async () => {
      await run(function* () {
        const server = new Socket({ type: 'dgram' });
        server.bind(['127.0.0.1', 0]);
        const address = server.getsockname() as InetAddress;
        const client = new Socket({ type: 'dgram' });
        client.bind(['127.0.0.1', 0]);
        yield* client.sendto('ping 1', address);
        yield* client.sendto('ping 2', address);
        const [first, from] = yield* server.recvfrom(100);
        const [second] = yield* server.recvfrom(100);
        assert.equal(first.toString(), 'ping 1');
        assert.equal(second.toString(), 'ping 2');
        assert.deepEqual(from, client.getsockname());
        yield* server.sendto('pong', from as InetAddress);
        assert.equal((yield* client.recvfrom(100))[0].toString(), 'pong');
        // recvfromInto: into a caller's buffer, at most nbytes.
        yield* client.sendto('into the buffer', address);
        const buffer = Buffer.alloc(8, 0x2e);
        const [n, sender] = yield* server.recvfromInto(buffer, 4);
        assert.equal(n, 4);
        assert.equal(buffer.toString(), 'into....');
        assert.deepEqual(sender, client.getsockname());
        client.close();
        server.close();
      });
    });

    it('Unix stream and datagram sockets', async () => {
      const dir = tempDir();
      try {
        await run(function* () {
          const streamPath = path.join(dir, 'stream.sock');
          const server = new Socket({ family: 'unix' });
          server.bind(streamPath);
          server.listen();
          const acceptor = echoServer(server);
          const client = new Socket({ family: 'unix' });
          yield* client.connect(streamPath);
          yield* client.sendall('over unix');
          assert.equal((yield* client.recv(100)).toString(), 'over unix');
          client.close();
          acceptor.kill();
          server.close();

          const dgramPath = path.join(dir, 'dgram.sock');
          const receiver = new Socket({ family: 'unix', type: 'dgram' });
          receiver.bind(dgramPath);
          const sender = new Socket({ family: 'unix', type: 'dgram' });
          yield* sender.sendto('datagram', dgramPath);
          const [data] = yield* receiver.recvfrom(100);
          assert.equal(data.toString(), 'datagram');
          sender.close();
          receiver.close();
        });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('socketpair + a buffered reader (test__socketpair)', async () => {
      await run(function* () {
        const [x, y] = Socket.pair();
        yield* x.sendall('hello world');
        x.close();
        const reader = new SocketReader(y);
        assert.equal((yield* reader.read()).toString(), 'hello world');
        y.close();
      });
    });

    it('readline() and read(n) split a stream into lines and records', async () => {
      await run(function* () {
        const [a, b] = Socket.pair();
        const writer = spawn(function* () {
          for (const piece of ['line one\nline ', 'two\nABC', 'DEFG', '\nlast']) {
            yield* a.sendall(piece);
            yield* sleep(0.001);
          }
          a.close();
        });
        const reader = new SocketReader(b, { chunkSize: 4 });
        assert.equal((yield* reader.readline()).toString(), 'line one\n');
        assert.equal((yield* reader.readline()).toString(), 'line two\n');
        assert.equal((yield* reader.read(3)).toString(), 'ABC');
        assert.equal((yield* reader.readline(2)).toString(), 'DE');
        assert.equal((yield* reader.readline()).toString(), 'FG\n');
        assert.equal((yield* reader.readline()).toString(), 'last');
        assert.equal((yield* reader.readline()).length, 0);
        yield* writer.join();
        b.close();
      });
    });
  });

  it('moves 64 MiB through sendall intact (checksummed)', async function () {
    this.timeout(60000);
    await run(function* () {
      const [server, address] = listener();
      const payload = randomBytes(64 * 1024 * 1024);
      const expected = createHash('sha256').update(payload).digest('hex');
      const receiver = spawn(function* () {
        const [conn] = yield* server.accept();
        const hash = createHash('sha256');
        const buffer = Buffer.alloc(1 << 20);
        let total = 0;
        for (;;) {
          const n = yield* conn.recvInto(buffer);
          if (n === 0) break;
          hash.update(buffer.subarray(0, n));
          total += n;
        }
        conn.close();
        return [total, hash.digest('hex')] as const;
      });
      const client = new Socket();
      yield* client.connect(address);
      yield* client.sendall(payload);
      client.close();
      const [total, digest] = yield* receiver.get();
      assert.equal(total, payload.length);
      assert.equal(digest, expected);
      server.close();
    });
  });

  it('full duplex: reading and writing 100,000 bytes at once does not hang', async () => {
    await run(function* () {
      const [a, b] = Socket.pair();
      const data = randomBytes(100000);
      const side = function* (sock: Socket): Operation<number> {
        const writer = spawn(function* () {
          yield* sock.sendall(data);
        });
        let got = 0;
        const buffer = Buffer.alloc(4096);
        while (got < data.length) got += yield* sock.recvInto(buffer);
        yield* writer.join();
        return got;
      };
      const [ga, gb] = [spawn(side, a), spawn(side, b)];
      yield* joinAll([ga, gb], { raiseError: true });
      assert.equal(ga.value, 100000);
      assert.equal(gb.value, 100000);
      a.close();
      b.close();
    });
  });

  describe('the native read, write, recv and send', () => {
    const sys = addon.syscalls as unknown as Record<'read' | 'write' | 'recv' | 'send', (...args: unknown[]) => number>;

    it('move bytes between views at an offset, and return -errno rather than throw', () => {
      const [a, b] = makeSocketPair();
      try {
        const out = Buffer.from('..hello..');
        assert.equal(sys.send(a, out, 2, 5), 5);
        const into = new Uint8Array(new ArrayBuffer(16), 4, 8);
        assert.equal(sys.recv(b, into, 1, 7), 5);
        assert.equal(Buffer.from(into.subarray(1, 6)).toString(), 'hello');
        assert.equal(sys.write(b, Buffer.from('xy'), 0, 2), 2);
        const back = Buffer.alloc(4);
        assert.equal(sys.read(a, back, 2, 2), 2);
        assert.equal(back.toString('latin1', 2), 'xy');
        assert.equal(sys.recv(a, back, 0, 4), -11, 'EAGAIN');
        assert.equal(sys.send(a, Buffer.alloc(0), 0, 0), 0);
        assert.equal(sys.recv(-1, back, 0, 4), -9, 'EBADF for fd -1');
      } finally {
        closeFds(a, b);
      }
    });

    it('refuse bad arguments with the usual errors', () => {
      for (const name of ['read', 'write', 'recv', 'send'] as const) {
        const fn = sys[name];
        const buffer = Buffer.alloc(8);
        assert.throws(() => fn(0, 'text', 0, 1), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"buffer"/ }, name);
        assert.throws(() => fn(0, new Uint16Array(4), 0, 1), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }, name);
        assert.throws(() => fn('0', buffer, 0, 1), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"fd"/ }, name);
        assert.throws(() => fn(0, buffer, 0), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"length"/ }, name);
        assert.throws(() => fn(0, buffer, 1.5, 1), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"offset"/ }, name);
        assert.throws(() => fn(0.5, buffer, 0, 1), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"fd"/ }, name);
        assert.throws(() => fn(0, buffer, 4, 5), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /within the buffer/ }, name);
        assert.throws(() => fn(0, buffer, -1, 1), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }, name);
        assert.throws(() => fn(0, buffer, 0, 2 ** 31), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"length"/ }, name);
      }
    });
  });

  describe('timeouts', () => {
    it('recv raises SocketTimeout("timed out") after the socket timeout (test__socket_timeout)', async () => {
      await run(function* () {
        const [a, b] = Socket.pair();
        a.settimeout(0.1);
        assert.equal(a.gettimeout(), 0.1);
        const started = Date.now();
        const error = (yield* caught(() => a.recv(1024))) as Error;
        const took = Date.now() - started;
        assert.ok(error instanceof SocketTimeout, String(error));
        assert.equal(error.message, 'timed out');
        assert.ok(took >= 90 && took < 1000, `took ${took} ms`);
        a.close();
        b.close();
      });
    });

    it('each wait gets its own timeout, longer or shorter than the last (the timer is re-armed lazily)', async () => {
      await run(function* () {
        const [a, b] = Socket.pair();
        // A long wait that ends early leaves its timer armed far ahead: a
        // shorter timeout after it must still fire on time.
        a.settimeout(5);
        spawn(function* () {
          yield* sleep(0.01);
          yield* b.sendall('x');
        });
        assert.equal((yield* a.recv(10)).toString(), 'x');
        a.settimeout(0.05);
        let started = Date.now();
        let error = yield* caught(() => a.recv(10));
        let took = Date.now() - started;
        assert.ok(error instanceof SocketTimeout, String(error));
        assert.ok(took >= 45 && took < 1000, `short after long: took ${took} ms`);
        // A short wait that ends early leaves its timer armed soon: a longer
        // timeout after it must not fire at the old deadline.
        spawn(function* () {
          yield* sleep(0.01);
          yield* b.sendall('y');
        });
        assert.equal((yield* a.recv(10)).toString(), 'y');
        a.settimeout(0.2);
        started = Date.now();
        error = yield* caught(() => a.recv(10));
        took = Date.now() - started;
        assert.ok(error instanceof SocketTimeout, String(error));
        assert.ok(took >= 190 && took < 2000, `long after short: took ${took} ms`);
        // Data arriving before a moved deadline: no timeout.
        a.settimeout(0.03);
        spawn(function* () {
          yield* sleep(0.01);
          yield* b.sendall('z');
        });
        assert.equal((yield* a.recv(10)).toString(), 'z');
        a.settimeout(0.3);
        spawn(function* () {
          yield* sleep(0.1);
          yield* b.sendall('w');
        });
        assert.equal((yield* a.recv(10)).toString(), 'w');
        a.close();
        b.close();
      });
    });

    it('a finished wait with a long timeout does not keep the process alive', function () {
      this.timeout(30000);
      const result = runScript(`
        import { run } from 'lib/core';
        import { Socket } from 'lib/io';
        run(function* () {
          const [a, b] = Socket.pair();
          a.settimeout(30);
          yield* b.sendall('x');
          console.log((yield* a.recv(10)).toString());
        });
      `);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.trim(), 'x');
    });

    it('sendall to a peer that never reads raises SocketTimeout', async () => {
      await run(function* () {
        const [a, b] = Socket.pair();
        a.settimeout(0.1);
        const started = Date.now();
        const error = yield* caught(() => a.sendall(Buffer.alloc(64 * 1024 * 1024)));
        assert.ok(error instanceof SocketTimeout, String(error));
        assert.ok(Date.now() - started < 2000);
        a.close();
        b.close();
      });
    });

    it('connect raises SocketTimeout when nobody accepts and the backlog is full', async () => {
      await run(function* () {
        const [server, address] = listener('inet', 0);
        const filling: Socket[] = [];
        let timedOut: unknown;
        for (let i = 0; i < 20 && timedOut === undefined; i++) {
          const client = new Socket({ timeout: 0.2 });
          filling.push(client);
          const error = yield* caught(() => client.connect(address));
          if (error !== undefined) timedOut = error;
        }
        assert.ok(timedOut instanceof SocketTimeout, `no connect timed out: ${String(timedOut)}`);
        for (const client of filling) client.close();
        server.close();
      });
    });

    it('timeout 0 never waits: a call that would block raises EAGAIN', async () => {
      await run(function* () {
        const [a, b] = Socket.pair();
        a.setblocking(false);
        assert.equal(a.gettimeout(), 0);
        const error = (yield* caught(() => a.recv(10))) as NodeJS.ErrnoException;
        assert.equal(error.code, 'EAGAIN');
        yield* b.sendall('x');
        yield* sleep(0.01);
        assert.equal((yield* a.recv(10)).toString(), 'x');
        a.close();
        b.close();
      });
    });

    it('an outer Timeout interrupts a blocked recv and leaves the socket usable', async () => {
      await run(function* () {
        const [a, b] = Socket.pair();
        const outer = new Timeout(0.02);
        assert.equal(yield* caught(() => outer.run(() => a.recv(10))), outer);
        yield* b.sendall('after');
        assert.equal((yield* a.recv(10)).toString(), 'after');
        a.close();
        b.close();
      });
    });
  });

  describe('errors', () => {
    it('connecting to a closed port raises ECONNREFUSED; connectEx returns the errno', async () => {
      await run(function* () {
        const [server, address] = listener();
        server.close();
        const client = new Socket();
        const error = (yield* caught(() => client.connect(address))) as NodeJS.ErrnoException;
        assert.equal(error.code, 'ECONNREFUSED');
        assert.equal(error.syscall, 'connect');
        client.close();
        const other = new Socket();
        assert.equal(yield* other.connectEx(address), 111);
        other.close();
      });
    });

    it('a peer reset is ECONNRESET; writing after the peer closed is EPIPE, never a SIGPIPE', async () => {
      await run(function* () {
        const [server, address] = listener();
        const client = new Socket();
        yield* client.connect(address);
        const [conn] = yield* server.accept();
        yield* client.sendall('unread data');
        yield* sleep(0.01);
        conn.close(); // unread data in its buffer: the kernel resets
        yield* sleep(0.01);
        const error = (yield* caught(function* () {
          for (let i = 0; i < 100; i++) {
            yield* client.sendall(Buffer.alloc(65536));
            yield* client.recv(10);
          }
        })) as NodeJS.ErrnoException;
        assert.ok(['ECONNRESET', 'EPIPE'].includes(error.code ?? ''), String(error));
        client.close();
        server.close();
      });
    });

    it('half-close: shutdown("write") gives the peer EOF while it can still answer', async () => {
      await run(function* () {
        const [a, b] = Socket.pair();
        yield* a.sendall('request');
        a.shutdown('write');
        const reader = new SocketReader(b);
        assert.equal((yield* reader.read()).toString(), 'request');
        yield* b.sendall('response');
        b.close();
        assert.equal((yield* new SocketReader(a).read()).toString(), 'response');
        a.close();
      });
    });

    it('two greenlets reading one socket: ConcurrentObjectUseError', async () => {
      await run(function* () {
        const [a, b] = Socket.pair();
        const first = spawn(() => a.recv(10));
        yield* sleep(0);
        const error = yield* caught(() => a.recv(10));
        assert.ok(error instanceof ConcurrentObjectUseError);
        assert.match((error as Error).message, /already used by another greenlet/);
        yield* b.sendall('x');
        assert.equal((yield* first.get()).toString(), 'x');
        a.close();
        b.close();
      });
    });

    it('closing a socket wakes its waiting greenlet with EBADF', async () => {
      await run(function* () {
        const [a, b] = Socket.pair();
        const reader = spawn(function* () {
          return yield* caught(() => a.recv(10));
        });
        yield* sleep(0.01);
        a.close();
        const error = (yield* reader.get()) as NodeJS.ErrnoException;
        assert.equal(error.code, 'EBADF');
        assert.match(error.message, /closed in another greenlet/);
        b.close();
      });
    });

    it('every call on a closed socket raises EBADF; close twice is fine', async () => {
      const sock = new Socket();
      sock.close();
      sock.close();
      assert.equal(sock.fileno(), -1);
      assert.equal(sock.closed, true);
      for (const call of [() => sock.bind(['127.0.0.1', 0]), () => sock.listen(), () => sock.getsockname(), () => sock.recv(1), () => sock.sendall('x')]) {
        assert.throws(call, { code: 'EBADF' });
      }
    });

    it('rejects bad addresses, sizes, options and data', () => {
      const sock = new Socket();
      try {
        for (const bad of [5, 'host', ['127.0.0.1'], ['127.0.0.1', '80'], [1, 80]] as unknown[]) {
          assert.throws(() => sock.bind(bad as Address), /"address/);
        }
        assert.throws(() => sock.bind(['127.0.0.1', 70000]), { name: 'RangeError', message: /"address\[1\]"/ });
        assert.throws(() => sock.bind(['999.1.1.1', 0]), { code: 'ERR_INVALID_ADDRESS' });
        assert.throws(() => sock.recv(-1), { name: 'RangeError', message: /"size"/ });
        assert.throws(() => sock.recv(1.5), RangeError);
        assert.throws(() => sock.recvInto('x' as unknown as Buffer), { name: 'TypeError', message: /"buffer"/ });
        assert.throws(() => sock.recvInto(Buffer.alloc(4), 5), RangeError);
        assert.throws(() => sock.recvfromInto('x' as unknown as Buffer), { name: 'TypeError', message: /"buffer"/ });
        assert.throws(() => sock.recvfromInto(Buffer.alloc(4), 5), { name: 'RangeError', message: /"nbytes"/ });
        assert.throws(() => sock.recvfromInto(Buffer.alloc(4), NaN), { name: 'RangeError', message: /"nbytes"/ });
        assert.throws(() => sock.sendall(5 as unknown as Buffer), { name: 'TypeError', message: /"data"/ });
        assert.throws(() => sock.settimeout(-1), { name: 'RangeError', message: /"seconds"/ });
        assert.throws(() => sock.settimeout(NaN), RangeError);
        assert.throws(() => sock.shutdown('sideways' as 'read'), /"how"/);
        assert.throws(() => sock.listen(-1), RangeError);
        assert.throws(() => new Socket({ family: 'ipx' as 'inet' }), /"options.family"/);
        assert.throws(() => new Socket({ type: 'raw' as 'stream' }), /"options.type"/);
        assert.throws(() => new Socket({ fd: -1 }), RangeError);
        assert.throws(() => new Socket({ family: 'unix' }).bind(''), /"address"/);
      } finally {
        sock.close();
      }
    });

    it('adopting a closed fd is EBADF', () => {
      const [r, w] = makePipe();
      closeFds(r, w);
      assert.throws(() => Socket.fromFd(r), { code: 'EBADF' });
    });
  });

  it('socket options: TCP_NODELAY on by default, SO_REUSEADDR/SO_KEEPALIVE settable', () => {
    const sock = new Socket();
    const C = Socket.constants;
    assert.equal(sock.getsockopt(C.IPPROTO_TCP, C.TCP_NODELAY), 1);
    sock.setsockopt(C.SOL_SOCKET, C.SO_REUSEADDR, true);
    assert.equal(sock.getsockopt(C.SOL_SOCKET, C.SO_REUSEADDR), 1);
    sock.setsockopt(C.SOL_SOCKET, C.SO_KEEPALIVE, 1);
    assert.equal(sock.getsockopt(C.SOL_SOCKET, C.SO_KEEPALIVE), 1);
    sock.setsockopt(C.SOL_SOCKET, C.SO_REUSEPORT, 1);
    assert.equal(sock.getsockopt(C.SOL_SOCKET, C.SO_REUSEPORT), 1);
    assert.throws(() => sock.getsockopt(C.SOL_SOCKET, 99999), { code: 'ENOPROTOOPT' });
    sock.close();
  });

  it('accepted sockets have TCP_NODELAY too', async () => {
    await run(function* () {
      const [server, address] = listener();
      const client = new Socket();
      yield* client.connect(address);
      const [conn] = yield* server.accept();
      assert.equal(conn.getsockopt(Socket.constants.IPPROTO_TCP, Socket.constants.TCP_NODELAY), 1);
      conn.close();
      client.close();
      server.close();
    });
  });

  it('1,000 concurrent clients against one accept loop', async function () {
    this.timeout(60000);
    await run(function* () {
      const [server, address] = listener('inet', 1024);
      const acceptor = echoServer(server);
      const clients: Greenlet[] = [];
      for (let i = 0; i < 1000; i++) {
        clients.push(
          spawn(function* () {
            const sock = new Socket({ timeout: 20 });
            try {
              yield* sock.connect(address);
              const message = `client ${i}`;
              yield* sock.sendall(message);
              const reader = new SocketReader(sock);
              return (yield* reader.read(message.length)).toString() === message;
            } finally {
              sock.close();
            }
          }),
        );
      }
      yield* joinAll(clients, { raiseError: true });
      assert.ok(clients.every((g) => g.value === true));
      acceptor.kill();
      server.close();
    });
  });

  it('killing a greenlet blocked in recv leaks no fd and no watcher', async () => {
    const loop = getHub().loop;
    const fdsBefore = openFds();
    const activeBefore = loop._active.filter((w) => w !== undefined).length;
    await run(function* () {
      const pairs = Array.from({ length: 20 }, () => Socket.pair());
      const readers = pairs.map(([a]) =>
        spawn(function* () {
          try {
            yield* a.recv(10);
          } finally {
            a.close();
          }
        }),
      );
      yield* sleep(0.01);
      for (const r of readers) yield* r.kill();
      for (const [, b] of pairs) b.close();
    });
    assert.equal(openFds(), fdsBefore);
    assert.equal(loop._active.filter((w) => w !== undefined).length, activeBefore);
    assert.equal(loop._refActive, 0);
  });

  it('interoperates with Node sockets', async () => {
    const server = net.createServer((conn) => conn.on('data', (d) => conn.end(`node got ${d}`)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const reply = await run(function* () {
        const sock = yield* createConnection(['localhost', port], { timeout: 5 });
        yield* sock.sendall('hi');
        const text = (yield* new SocketReader(sock).read()).toString();
        sock.close();
        return text;
      });
      assert.equal(reply, 'node got hi');
    } finally {
      server.close();
    }
  });

  it('createConnection tries every address and reports the last failure', async () => {
    const error = await run(function* () {
      const [server, address] = listener();
      server.close();
      return yield* caught(() => createConnection(address));
    });
    assert.equal((error as NodeJS.ErrnoException).code, 'ECONNREFUSED');
    assert.throws(() => createConnection(['localhost', -1]), RangeError);
    assert.throws(() => createConnection(['localhost', 80], { timeout: -1 }), RangeError);
  });

  describe('waitRead / waitWrite on foreign fds', () => {
    it('wait for a pipe to become readable and writable', async () => {
      const [r, w] = makePipe();
      try {
        await run(function* () {
          yield* waitWrite(w);
          const writer = spawn(function* () {
            yield* sleep(0.01);
            fs.writeSync(w, 'x');
          });
          yield* waitRead(r, 1);
          yield* writer.join();
        });
      } finally {
        closeFds(r, w);
      }
    });

    it('raise Timeout after the timeout and reject bad input', async () => {
      const [r, w] = makePipe();
      try {
        const error = await run(function* () {
          return yield* caught(() => waitRead(r, 0.02));
        });
        assert.ok(error instanceof Timeout);
        assert.throws(() => waitRead(-1), RangeError);
        assert.throws(() => waitRead(r, -1), { name: 'RangeError', message: /"timeout"/ });
      } finally {
        closeFds(r, w);
      }
      await assert.rejects(
        run(function* () {
          yield* waitRead(r);
        }),
        { code: 'EBADF' },
      );
    });
  });
});
