import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

import { getHub, joinAll, run, sleep, spawn, type Greenlet, type Operation } from '../../lib/core';
import { Socket, SocketReader, StreamServer, type InetAddress } from '../../lib/io';
import { Pool } from '../../lib/sync';
import { ROOT, tempDir } from '../helpers';
import { withCapturedErrors } from '../core/helpers';

/** Sends a request line and reads the whole answer (until the server closes). */
function* ask(address: InetAddress, request: string): Operation<string> {
  const sock = new Socket({ timeout: 5 });
  try {
    yield* sock.connect(address);
    yield* sock.sendall(request);
    return (yield* new SocketReader(sock).read()).toString();
  } finally {
    sock.close();
  }
}

/** ask(), where a reset (the server closed with our request unread) counts as no answer. */
function* askAnyEnd(address: InetAddress, request: string): Operation<string> {
  try {
    return yield* ask(address, request);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ECONNRESET') return '';
    throw error;
  }
}

function* pingHandler(sock: Socket): Operation<void> {
  const line = (yield* new SocketReader(sock).readline()).toString();
  yield* sock.sendall(line.startsWith('GET /ping') ? 'HTTP/1.0 200 OK\r\n\r\nPONG' : 'HTTP/1.0 404 Not Found\r\n\r\n');
}

function refused(address: InetAddress): Promise<boolean> {
  return new Promise((resolve) => {
    const client = net.connect(address[1], address[0]);
    client.on('connect', () => {
      // A client whose ephemeral port is the target port connects to itself.
      const self = client.localPort === address[1];
      client.destroy();
      resolve(self);
    });
    client.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe('StreamServer (gevent test__server)', () => {
  it('does not listen before start(); serves after; refuses again after stop()', async () => {
    const probe = new Socket();
    probe.bind(['127.0.0.1', 0]);
    const address = probe.getsockname() as InetAddress;
    probe.close();
    const server = new StreamServer(address, pingHandler);
    assert.equal(await refused(address), true);
    server.start();
    assert.equal(server.started, true);
    assert.deepEqual(server.address, address);
    for (let i = 0; i < 2; i++) assert.match(await run(ask, address, 'GET /ping HTTP/1.0\r\n\r\n'), /\r\n\r\nPONG$/);
    await server.stop();
    assert.equal(server.started, false);
    assert.equal(server.closed, true);
    assert.equal(await refused(address), true);
  });

  it('with a listening socket: connections wait in the backlog until start()', async () => {
    const listener = new Socket();
    listener.bind(['127.0.0.1', 0]);
    listener.listen();
    const address = listener.getsockname() as InetAddress;
    const server = new StreamServer(listener, pingHandler);
    const answer = run(ask, address, 'GET /ping HTTP/1.0\r\n\r\n');
    await sleep(0.05);
    server.start();
    assert.match(await answer, /PONG$/);
    await server.stop();
    assert.equal(listener.closed, true);
  });

  it('backlog is only allowed with an address', () => {
    const listener = new Socket();
    try {
      assert.throws(() => new StreamServer(listener, pingHandler, { backlog: 25 }), { name: 'TypeError', message: /"options.backlog"/ });
      const server = new StreamServer(['127.0.0.1', 0], pingHandler, { backlog: 25 });
      assert.equal(server.started, false);
    } finally {
      listener.close();
    }
  });

  it('serveForever() in a greenlet returns once stop() is called', async () => {
    const server = new StreamServer(['127.0.0.1', 0], pingHandler);
    await run(function* () {
      const serving = spawn(() => server.serveForever());
      yield* sleep(0.01);
      assert.equal(server.started, true);
      assert.match(yield* ask(server.address as InetAddress, 'GET /ping\r\n'), /PONG/);
      yield* server.stop();
      yield* serving.join(2);
      assert.equal(serving.dead, true);
      assert.equal(server.started, false);
    });
  });

  it('a handler that raises: the error is reported once and the connection just closes', async () => {
    await withCapturedErrors(async (errors) => {
      const server = new StreamServer(['127.0.0.1', 0], function* () {
        yield* sleep(0);
        throw new Error('handler failed');
      });
      server.start();
      assert.equal(await run(askAnyEnd, server.address as InetAddress, 'x'), '');
      await server.stop();
      assert.equal(errors.length, 1);
      assert.match(String(errors[0][1]), /handler failed/);
    });
  });

  it('spawn: null runs the handler in the hub: blocking there is BlockingSwitchOutError', async () => {
    await withCapturedErrors(async (errors) => {
      const quick = new StreamServer(['127.0.0.1', 0], (sock: Socket) => void sock.fileno(), { spawn: null });
      quick.start();
      assert.equal(await run(askAnyEnd, quick.address as InetAddress, 'x'), '');
      await quick.stop();
      assert.equal(errors.length, 0);
      const blocking = new StreamServer(['127.0.0.1', 0], function* () {
        yield* sleep(0.1);
      }, { spawn: null });
      blocking.start();
      assert.equal(await run(askAnyEnd, blocking.address as InetAddress, 'x'), '');
      await blocking.stop();
      assert.equal(errors.length, 1);
      assert.equal((errors[0][1] as Error).name, 'BlockingSwitchOutError');
      assert.match((errors[0][1] as Error).message, /Impossible to call blocking function/);
    });
  });

  it('stop() lets handlers in flight finish, up to the timeout, then kills them', async () => {
    const finished: string[] = [];
    const server = new StreamServer(['127.0.0.1', 0], function* (sock: Socket) {
      const what = (yield* new SocketReader(sock).readline()).toString().trim();
      try {
        yield* sleep(what === 'slow' ? 10 : 0.1);
        finished.push(what);
        yield* sock.sendall(`done ${what}`);
      } finally {
        finished.push(`cleanup ${what}`);
      }
    });
    server.start();
    const address = server.address as InetAddress;
    await run(function* () {
      const fast = spawn(ask, address, 'fast\n');
      const slow = spawn(ask, address, 'slow\n');
      yield* sleep(0.02);
      const started = Date.now();
      yield* server.stop({ timeout: 0.5 });
      const took = Date.now() - started;
      assert.ok(took >= 400 && took < 3000, `stop took ${took} ms`);
      assert.equal(yield* fast.get(), 'done fast');
      assert.equal(yield* slow.get(), '');
    });
    assert.deepEqual(finished.sort(), ['cleanup fast', 'cleanup slow', 'fast']);
  });

  it('serves 1,000 concurrent clients', async function () {
    this.timeout(60000);
    const server = new StreamServer(['127.0.0.1', 0], function* (sock: Socket) {
      const line = yield* new SocketReader(sock).readline();
      yield* sock.sendall(line);
    });
    server.start();
    const address = server.address as InetAddress;
    await run(function* () {
      const clients: Greenlet<string>[] = [];
      for (let i = 0; i < 1000; i++) clients.push(spawn(ask, address, `client ${i}\n`));
      yield* joinAll(clients, { raiseError: true });
      clients.forEach((g, i) => assert.equal(g.value, `client ${i}\n`));
    });
    await server.stop();
  });

  it('a Unix socket server', async () => {
    const dir = tempDir();
    try {
      const file = path.join(dir, 's.sock');
      const server = new StreamServer(file, pingHandler);
      server.start();
      const answer = await run(function* () {
        const sock = new Socket({ family: 'unix' });
        yield* sock.connect(file);
        yield* sock.sendall('GET /ping\r\n');
        const text = (yield* new SocketReader(sock).read()).toString();
        sock.close();
        return text;
      });
      assert.match(answer, /PONG$/);
      await server.stop();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('survives EMFILE without spinning, and serves again once fds are free', async function () {
    this.timeout(30000);
    const script = path.join(tempDir(), 'emfile.ts');
    fs.writeFileSync(
      script,
      `
      import { StreamServer, Socket, SocketReader } from '${path.join(ROOT, 'lib/io')}';
      import { getHub } from '${path.join(ROOT, 'lib/core')}';
      getHub().handleError = () => undefined;
      const held: Socket[] = [];
      const server = new StreamServer(['127.0.0.1', 0], function* (sock: Socket) {
        const line = (yield* new SocketReader(sock).readline()).toString();
        if (line.startsWith('hold')) { held.push(sock); yield* new SocketReader(sock).read(); }
        else yield* sock.sendall('ok\\n');
      });
      server.start();
      console.log(JSON.stringify(server.address));
      process.stdin.on('data', (d) => {
        if (String(d).includes('release')) { for (const s of held.splice(0)) s.close(); }
        if (String(d).includes('cpu')) { const u = process.cpuUsage(); console.log(JSON.stringify(u)); }
      });
      `,
    );
    const { spawn: spawnChild } = await import('node:child_process');
    const child = spawnChild('bash', ['-c', `ulimit -n 60 && exec ${process.execPath} --require tsx/cjs ${script}`], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let buffered = '';
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      lines.push(...parts);
    });
    try {
      const waitLine = async (n: number): Promise<string> => {
        for (let i = 0; i < 400 && lines.length < n; i++) await sleep(0.025);
        return lines[n - 1];
      };
      const address = JSON.parse(await waitLine(1)) as InetAddress;
      // Hold more connections than the server has fds for.
      const holders: net.Socket[] = [];
      for (let i = 0; i < 80; i++) {
        const c = net.connect(address[1], address[0]);
        c.on('error', () => undefined);
        c.write('hold\n');
        holders.push(c);
      }
      await sleep(1);
      child.stdin.write('cpu\n');
      const before = JSON.parse(await waitLine(2)) as { user: number; system: number };
      await sleep(1);
      child.stdin.write('cpu\n');
      const after = JSON.parse(await waitLine(3)) as { user: number; system: number };
      const busy = (after.user + after.system - before.user - before.system) / 1e6;
      assert.ok(busy < 0.5, `the accept loop used ${busy.toFixed(2)} s of CPU in 1 s while out of fds`);
      child.stdin.write('release\n');
      for (const c of holders) c.destroy();
      // Once fds are free again, a fresh client is served.
      const answer = await new Promise<string>((resolve, reject) => {
        const c = net.connect(address[1], address[0], () => c.write('hello\n'));
        let text = '';
        c.on('data', (d) => (text += d));
        c.on('end', () => resolve(text));
        c.on('error', reject);
        setTimeout(() => reject(new Error('no answer after release')), 10000);
      });
      assert.equal(answer, 'ok\n');
    } finally {
      child.kill();
    }
  });

  for (const [label, makeSpawn] of [
    ['spawn: 2 (a pool size)', (): number | Pool => 2],
    ['spawn: a Pool(2)', (): number | Pool => new Pool(2)],
  ] as const) {
    it(`${label}: at most 2 handlers at once, the others wait their turn`, async () => {
      let running = 0;
      let most = 0;
      const server = new StreamServer(
        ['127.0.0.1', 0],
        function* (sock: Socket) {
          running++;
          most = Math.max(most, running);
          try {
            yield* new SocketReader(sock).readline();
            yield* sleep(0.05);
            yield* sock.sendall('ok');
          } finally {
            running--;
          }
        },
        { spawn: makeSpawn() },
      );
      server.start();
      const address = server.address as InetAddress;
      await run(function* () {
        const clients: Greenlet<string>[] = [];
        for (let i = 0; i < 6; i++) clients.push(spawn(ask, address, 'x\n'));
        yield* joinAll(clients, { raiseError: true });
        for (const client of clients) assert.equal(client.value, 'ok');
      });
      await server.stop();
      assert.equal(most, 2);
    });
  }

  it('rejects bad arguments', () => {
    const handler = (): void => undefined;
    assert.throws(() => new StreamServer(['127.0.0.1', 0], 5 as unknown as () => void), { name: 'TypeError', message: /"handle"/ });
    assert.throws(() => new StreamServer(5 as unknown as InetAddress, handler), /"listener"/);
    assert.throws(() => new StreamServer(['127.0.0.1', -1], handler), RangeError);
    assert.throws(() => new StreamServer(['127.0.0.1', 0], handler, { spawn: 'many' as 'default' }), { name: 'TypeError', message: /"options.spawn"/ });
    for (const size of [0, 1.5, NaN, -3]) {
      assert.throws(() => new StreamServer(['127.0.0.1', 0], handler, { spawn: size }), { name: 'RangeError', message: /"options.spawn"/ });
    }
    assert.throws(() => new StreamServer(['127.0.0.1', 0], handler, { backlog: -1 }), RangeError);
    assert.throws(() => new StreamServer(['127.0.0.1', 0], handler, { maxAccept: 0 }), RangeError);
    const server = new StreamServer(['127.0.0.1', 0], handler);
    assert.throws(() => server.stop({ timeout: -1 }), /"options.timeout"/);
    server.close();
    assert.throws(() => server.start(), { code: 'ERR_SERVER_CLOSED' });
    void getHub();
    void spawnSync;
  });
});
