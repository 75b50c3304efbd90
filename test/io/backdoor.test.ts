import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

import { BackdoorServer, sleep, spawn } from '../../lib';
import { parseBackdoorAddress } from '../../lib/io/backdoor';
import { tempDir } from '../helpers';

/** A backdoor client on a plain Node socket: send lines, wait for output. */
class Client {
  output = '';
  readonly closed: Promise<void>;
  private readonly socket: net.Socket;
  private waiters: (() => void)[] = [];

  constructor(target: net.NetConnectOpts) {
    this.socket = net.connect(target);
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => {
      this.output += chunk;
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => this.socket.on('close', () => resolve()));
    this.socket.on('error', () => undefined);
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** Waits until the output (from `from` on) matches. */
  async waitFor(pattern: RegExp, from = 0, timeoutMs = 10000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output.slice(from))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; got ${JSON.stringify(this.output)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.output.slice(from);
  }

  /** Sends one line and returns what came back up to the next prompt. */
  async eval(line: string): Promise<string> {
    const from = this.output.length;
    this.send(`${line}\n`);
    const text = await this.waitFor(/greenhub> $/, from);
    return text.replace(/greenhub> $/, '').trim();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function tcpTarget(server: BackdoorServer): net.NetConnectOpts {
  const [host, port] = server.address as [string, number];
  return { host, port };
}

describe('BackdoorServer', () => {
  let server: BackdoorServer | null = null;

  afterEach(async () => {
    await server?.stop({ timeout: 0.5 });
    server = null;
  });

  it('gives a REPL over a real TCP socket on 127.0.0.1: evaluate, list greenlets, dump the hub', async () => {
    server = new BackdoorServer(0, { locals: { answer: 42 } });
    server.start();
    assert.equal((server.address as [string, number])[0], '127.0.0.1');
    const worker = spawn(function* () {
      yield* sleep(60);
    });
    worker.name = 'visible-worker';
    const client = new Client(tcpTarget(server));
    const banner = await client.waitFor(/greenhub> $/);
    assert.match(banner, /^greenhub backdoor into .* \(pid \d+, Node v\d+/);
    assert.equal(await client.eval('6 * 7'), '42');
    assert.equal(await client.eval('answer + 1'), '43');
    assert.match(await client.eval('greenlets().map((g) => g.name)'), /'visible-worker'/);
    const dump = await client.eval('dump()');
    assert.match(dump, /^Hub: \d+ greenlet\(s\), loop backend/);
    assert.match(dump, /"visible-worker" running .*waiting on a timer watcher/);
    assert.equal(await client.eval('hub === greenhub.getHub()'), 'true');
    assert.equal(await client.eval("await greenhub.sleep(0.01), 'slept in a greenlet'"), "'slept in a greenlet'");
    assert.match(await client.eval('throw new RangeError("oops")'), /RangeError: oops/);
    client.send('.exit\n');
    await client.closed;
    await worker.kill();
  });

  it('quit() and .exit close only their own connection', async () => {
    server = new BackdoorServer(0, { banner: 'custom banner' });
    server.start();
    const first = new Client(tcpTarget(server));
    const second = new Client(tcpTarget(server));
    assert.match(await first.waitFor(/greenhub> $/), /^custom banner\n/);
    await second.waitFor(/greenhub> $/);
    second.send('quit()\n');
    await second.closed;
    assert.equal(await first.eval('1 + 1'), '2');
    first.send('.exit\n');
    await first.closed;
    assert.equal(server.started, true, 'the server itself goes on');
  });

  it('serves on a Unix socket', async () => {
    const dir = tempDir();
    const socketPath = path.join(dir, 'backdoor.sock');
    try {
      server = new BackdoorServer(socketPath);
      server.start();
      const client = new Client({ path: socketPath });
      await client.waitFor(/greenhub> $/);
      assert.equal(await client.eval('typeof hub.dump'), "'function'");
      client.send('.exit\n');
      await client.closed;
    } finally {
      await server?.stop();
      server = null;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with a token, the first line must be it (bytes after it reach the REPL); a wrong one is refused', async () => {
    server = new BackdoorServer(0, { token: 's3cret' });
    server.start();
    const good = new Client(tcpTarget(server));
    good.send('s3cret\n21 * 2\n');
    assert.match(await good.waitFor(/42\n/), /greenhub> 42/);
    good.destroy();
    const bad = new Client(tcpTarget(server));
    bad.send('guess\n1 + 1\n');
    await bad.closed;
    assert.equal(bad.output, 'greenhub backdoor: authentication failed\n');
  });

  it('closes a client that does not send the token in time, or sends an overlong line', async () => {
    server = new BackdoorServer(0, { token: 't', handshakeTimeout: 0.05 });
    server.start();
    const silent = new Client(tcpTarget(server));
    await silent.closed;
    assert.equal(silent.output, 'greenhub backdoor: authentication failed\n');
    const flood = new Client(tcpTarget(server));
    flood.send('x'.repeat(5000));
    await flood.closed;
    assert.equal(flood.output, 'greenhub backdoor: authentication failed\n');
  });

  it('stop() ends the sessions in flight', async () => {
    server = new BackdoorServer(0);
    server.start();
    const client = new Client(tcpTarget(server));
    await client.waitFor(/greenhub> $/);
    await server.stop({ timeout: 0.05 });
    server = null;
    await client.closed;
  });

  it('refuses to listen off loopback without a token, and rejects bad options', () => {
    assert.throws(() => new BackdoorServer(['0.0.0.0', 0]), { code: 'ERR_INVALID_ARG_VALUE', message: /not a loopback address: .*needs options\.token/ });
    assert.throws(() => new BackdoorServer(['', 0]), { message: /not a loopback address/ });
    assert.doesNotThrow(() => new BackdoorServer(['0.0.0.0', 0], { token: 'x' }).close());
    assert.doesNotThrow(() => new BackdoorServer(['::1', 0]).close());
    assert.throws(() => new BackdoorServer(70000), { message: /"listener" argument must be a port from 0 to 65535/ });
    assert.throws(() => new BackdoorServer(0, { token: '' }), { message: /"options\.token" argument must be a non-empty line/ });
    assert.throws(() => new BackdoorServer(0, { token: 'a\nb' }), { message: /options\.token/ });
    assert.throws(() => new BackdoorServer(0, { token: 42 as never }), { name: 'TypeError', message: /"options\.token"/ });
    assert.throws(() => new BackdoorServer(0, { locals: 'x' as never }), { message: /"options\.locals"/ });
    assert.throws(() => new BackdoorServer(0, { handshakeTimeout: -1 }), { name: 'RangeError', message: /"options\.handshakeTimeout"/ });
    assert.throws(() => new BackdoorServer(0, { banner: 1 as never }), { message: /"options\.banner"/ });
    assert.throws(() => new BackdoorServer(0, null as never), { message: /"options"/ });
  });

  it('parses the CLI\'s address forms', () => {
    assert.deepEqual(parseBackdoorAddress('5001'), { host: '127.0.0.1', port: 5001 });
    assert.deepEqual(parseBackdoorAddress('localhost:5001'), { host: 'localhost', port: 5001 });
    assert.deepEqual(parseBackdoorAddress(':5001'), { host: '127.0.0.1', port: 5001 });
    assert.deepEqual(parseBackdoorAddress('[::1]:5001'), { host: '::1', port: 5001 });
    assert.deepEqual(parseBackdoorAddress('/run/app/backdoor.sock'), { path: '/run/app/backdoor.sock' });
    assert.deepEqual(parseBackdoorAddress('backdoor.sock'), { path: 'backdoor.sock' });
    assert.throws(() => parseBackdoorAddress('127.0.0.1'), { message: /needs a port/ });
    assert.throws(() => parseBackdoorAddress('host:99999'), { message: /port above 65535/ });
    assert.throws(() => parseBackdoorAddress(''), { name: 'TypeError' });
  });
});
