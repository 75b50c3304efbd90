import { strict as assert } from 'node:assert';
import * as path from 'node:path';

import { joinAll, run, sleep, spawn, type Greenlet, type Operation } from '../../lib/core';
import { DatagramServer, Socket, type Address, type InetAddress } from '../../lib/io';
import { Pool } from '../../lib/sync';
import { withCapturedErrors } from '../core/helpers';
import { tempDir } from '../helpers';

/** Sends one datagram from a fresh UDP socket and waits for the reply. */
function* ask(address: InetAddress, message: string, timeout = 5): Operation<string> {
  const sock = new Socket({ type: 'dgram', timeout });
  try {
    yield* sock.sendto(message, address);
    const [reply] = yield* sock.recvfrom(65536);
    return reply.toString();
  } finally {
    sock.close();
  }
}

function echoServer(options: ConstructorParameters<typeof DatagramServer>[2] = {}): DatagramServer {
  return new DatagramServer(
    ['127.0.0.1', 0],
    function* (data: Buffer, address: Address) {
      yield* this.sendto(data, address);
    },
    options,
  );
}

describe('DatagramServer (gevent test__server DatagramServer)', () => {
  it('echoes UDP datagrams to 200 clients, each answer to its sender', async () => {
    const server = echoServer();
    server.start();
    const address = server.address as InetAddress;
    assert.notEqual(address[1], 0);
    await run(function* () {
      const clients: Greenlet<string>[] = [];
      for (let i = 0; i < 200; i++) clients.push(spawn(ask, address, `datagram ${i}`));
      yield* joinAll(clients, { raiseError: true });
      clients.forEach((g, i) => assert.equal(g.value, `datagram ${i}`));
    });
    await server.stop();
    assert.equal(server.closed, true);
    assert.equal(server.socket?.closed, true);
  });

  it('over a Unix datagram socket', async () => {
    const dir = tempDir();
    const unix = new DatagramServer(path.join(dir, 'server.sock'), function* (data, address) {
      yield* this.sendto(Buffer.concat([Buffer.from('got '), data]), address);
    });
    unix.start();
    await run(function* () {
      const client = new Socket({ family: 'unix', type: 'dgram', timeout: 5 });
      try {
        client.bind(path.join(dir, 'client.sock'));
        yield* client.sendto('hello', path.join(dir, 'server.sock'));
        const [reply, from] = yield* client.recvfrom(100);
        assert.equal(reply.toString(), 'got hello');
        assert.equal(from, path.join(dir, 'server.sock'));
      } finally {
        client.close();
      }
    });
    await unix.stop();
  });

  it('serves a bound socket it was given, and a datagram longer than maxDatagram is truncated', async () => {
    const sock = new Socket({ type: 'dgram' });
    sock.bind(['127.0.0.1', 0]);
    const seen: number[] = [];
    const server = new DatagramServer(
      sock,
      function* (data, address) {
        seen.push(data.length);
        yield* this.sendto(data, address);
      },
      { maxDatagram: 4 },
    );
    assert.equal(server.socket, sock);
    server.start();
    assert.equal(await run(ask, sock.getsockname() as InetAddress, 'abcdefgh'), 'abcd');
    assert.deepEqual(seen, [4]);
    await server.stop();
    assert.equal(sock.closed, true);
  });

  it('a handler that raises is reported, and the server goes on', async () => {
    await withCapturedErrors(async (errors) => {
      const server = new DatagramServer(['127.0.0.1', 0], function* (data, address) {
        if (data.toString() === 'bad') throw new Error('handler failed');
        yield* this.sendto(data, address);
      });
      server.start();
      const address = server.address as InetAddress;
      await run(function* () {
        const bad = new Socket({ type: 'dgram' });
        yield* bad.sendto('bad', address);
        bad.close();
        assert.equal(yield* ask(address, 'good'), 'good');
      });
      await server.stop();
      assert.equal(errors.length, 1);
      assert.match(String(errors[0][1]), /handler failed/);
    });
  });

  it('spawn: 2 runs at most 2 handlers at once; the others are read when a slot frees', async () => {
    for (const spawnOption of [2, new Pool(2)]) {
      let running = 0;
      let most = 0;
      const server = new DatagramServer(
        ['127.0.0.1', 0],
        function* (data, address) {
          running++;
          most = Math.max(most, running);
          try {
            yield* sleep(0.03);
            yield* this.sendto(data, address);
          } finally {
            running--;
          }
        },
        { spawn: spawnOption },
      );
      server.start();
      const address = server.address as InetAddress;
      await run(function* () {
        const clients: Greenlet<string>[] = [];
        for (let i = 0; i < 6; i++) clients.push(spawn(ask, address, `n${i}`));
        yield* joinAll(clients, { raiseError: true });
        clients.forEach((g, i) => assert.equal(g.value, `n${i}`));
      });
      await server.stop();
      assert.equal(most, 2);
    }
  });

  it('spawn: null runs the handler in the hub, where it must not block', async () => {
    await withCapturedErrors(async (errors) => {
      const got: string[] = [];
      const server = new DatagramServer(['127.0.0.1', 0], (data) => void got.push(data.toString()), { spawn: null });
      server.start();
      const address = server.address as InetAddress;
      await run(function* () {
        const client = new Socket({ type: 'dgram' });
        for (const word of ['a', 'b', 'c']) yield* client.sendto(word, address);
        client.close();
        for (let i = 0; i < 100 && got.length < 3; i++) yield* sleep(0.01);
      });
      assert.deepEqual(got, ['a', 'b', 'c']);
      await server.stop();
      const blocking = new DatagramServer(['127.0.0.1', 0], function* () {
        yield* sleep(0.1);
      }, { spawn: null });
      blocking.start();
      await run(function* () {
        const client = new Socket({ type: 'dgram' });
        yield* client.sendto('x', blocking.address);
        client.close();
        for (let i = 0; i < 100 && errors.length === 0; i++) yield* sleep(0.01);
      });
      await blocking.stop();
      assert.equal(errors.length, 1);
      assert.equal((errors[0][1] as Error).name, 'BlockingSwitchOutError');
    });
  });

  it('sendto() from many greenlets at once: every datagram arrives whole', async () => {
    const server = new DatagramServer(['127.0.0.1', 0], () => undefined);
    server.start();
    await run(function* () {
      const sink = new Socket({ type: 'dgram', timeout: 5 });
      sink.bind(['127.0.0.1', 0]);
      const to = sink.getsockname();
      const senders: Greenlet<number>[] = [];
      for (let i = 0; i < 50; i++) senders.push(spawn(() => server.sendto(`payload ${i}`.padEnd(1000, '.'), to)));
      yield* joinAll(senders, { raiseError: true });
      const got = new Set<string>();
      for (let i = 0; i < 50; i++) {
        const [data] = yield* sink.recvfrom(2000);
        assert.equal(data.length, 1000);
        got.add(data.toString().split('.')[0]);
      }
      assert.equal(got.size, 50);
      sink.close();
    });
    await server.stop();
  });

  it('stop() lets handlers in flight finish, up to the timeout, then kills them (finally runs)', async () => {
    const finished: string[] = [];
    const server = new DatagramServer(['127.0.0.1', 0], function* (data) {
      const what = data.toString();
      try {
        yield* sleep(what === 'slow' ? 10 : 0.1);
        finished.push(what);
      } finally {
        finished.push(`cleanup ${what}`);
      }
    });
    server.start();
    const address = server.address as InetAddress;
    await run(function* () {
      const client = new Socket({ type: 'dgram' });
      yield* client.sendto('fast', address);
      yield* client.sendto('slow', address);
      client.close();
      yield* sleep(0.05);
      const started = Date.now();
      yield* server.stop({ timeout: 0.5 });
      const took = Date.now() - started;
      assert.ok(took >= 400 && took < 3000, `stop took ${took} ms`);
    });
    assert.deepEqual(finished.sort(), ['cleanup fast', 'cleanup slow', 'fast']);
  });

  it('serveForever() returns once the server is stopped', async () => {
    const server = echoServer();
    await run(function* () {
      const serving = spawn(() => server.serveForever());
      yield* sleep(0.02);
      assert.equal(server.started, true);
      yield* server.stop();
      assert.equal(yield* serving.join(5), true);
    });
  });

  it('rejects bad arguments', async () => {
    const handler = (): void => undefined;
    assert.throws(() => new DatagramServer(['127.0.0.1', 0], 5 as unknown as () => void), { name: 'TypeError', message: /"handle"/ });
    assert.throws(() => new DatagramServer(5 as unknown as InetAddress, handler), { name: 'TypeError', message: /"listener"/ });
    assert.throws(() => new DatagramServer(['127.0.0.1', 70000], handler), RangeError);
    const stream = new Socket();
    assert.throws(() => new DatagramServer(stream, handler), { message: /"listener"/ });
    stream.close();
    const dgram = new Socket({ type: 'dgram' });
    assert.throws(() => new DatagramServer(dgram, handler, { reusePort: true }), { name: 'TypeError', message: /"options.reusePort"/ });
    dgram.close();
    for (const bad of [0, -1, 1.5, NaN]) {
      assert.throws(() => new DatagramServer(['127.0.0.1', 0], handler, { maxDatagram: bad }), { name: 'RangeError', message: /"options.maxDatagram"/ });
      assert.throws(() => new DatagramServer(['127.0.0.1', 0], handler, { maxBatch: bad }), { name: 'RangeError', message: /"options.maxBatch"/ });
      assert.throws(() => new DatagramServer(['127.0.0.1', 0], handler, { spawn: bad }), { name: 'RangeError', message: /"options.spawn"/ });
    }
    assert.throws(() => new DatagramServer(['127.0.0.1', 0], handler, { spawn: 'many' as 'default' }), { name: 'TypeError', message: /"options.spawn"/ });
    assert.throws(() => new DatagramServer(['127.0.0.1', 0], handler, null as unknown as {}), { name: 'TypeError', message: /"options"/ });

    const server = new DatagramServer(['127.0.0.1', 0], handler);
    assert.throws(() => server.sendto('x', ['127.0.0.1', 9]), { code: 'ERR_SERVER_CLOSED' });
    server.start();
    assert.throws(() => server.sendto(5 as unknown as string, ['127.0.0.1', 9]), { name: 'TypeError', message: /"data"/ });
    assert.throws(() => server.sendto('x', ['127.0.0.1', -1]), { name: 'RangeError', message: /"address\[1\]"/ });
    assert.throws(() => server.sendto('x', '/tmp/x' as unknown as InetAddress), { name: 'TypeError', message: /"address"/ });
    await server.stop();
    assert.throws(() => server.sendto('x', ['127.0.0.1', 9]), { code: 'ERR_SERVER_CLOSED' });
    assert.throws(() => server.start(), { code: 'ERR_SERVER_CLOSED' });
  });
});
