import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Transform, Writable } from 'node:stream';

import { run, spawn } from '../../lib/core';
import { Socket, SocketReader, socketStream } from '../../lib/io';
import { addon } from '../../lib/loop/native';

describe('socketStream: a green socket as a Node Duplex', () => {
  it('Node stream code reads and writes through it', async () => {
    const [green, other] = Socket.pair();
    const duplex = socketStream(other);
    // The green side answers in upper case, line by line.
    const answering = spawn(function* () {
      const reader = new SocketReader(green);
      for (;;) {
        const line = yield* reader.readline();
        if (line.length === 0) break;
        yield* green.sendall(line.toString().toUpperCase());
      }
      green.close();
    });
    duplex.write('hello\n');
    duplex.end('world\n');
    const chunks: Buffer[] = [];
    for await (const chunk of duplex) chunks.push(chunk as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'HELLO\nWORLD\n');
    await answering.join();
  });

  it('pipeline() through a Transform with backpressure keeps every byte', async function () {
    this.timeout(30000);
    const [a, b] = Socket.pair();
    const payload = randomBytes(8 * 1024 * 1024);
    const expected = createHash('sha256').update(payload).digest('hex');
    const sender = spawn(function* () {
      yield* a.sendall(payload);
      a.shutdown('write');
    });
    const hash = createHash('sha256');
    let slow = 0;
    await pipeline(
      socketStream(b),
      new Transform({
        transform(chunk: Buffer, _e, callback) {
          // Slow down now and then so the reading greenlet must pause.
          if (++slow % 16 === 0) setTimeout(() => callback(null, chunk), 1);
          else callback(null, chunk);
        },
      }),
      new Writable({
        write(chunk: Buffer, _e, callback) {
          hash.update(chunk);
          callback();
        },
      }),
    );
    await sender.join();
    a.close();
    assert.equal(hash.digest('hex'), expected);
  });

  it('destroy() closes the socket; a non-socket is refused', async () => {
    const [a, b] = Socket.pair();
    const duplex = socketStream(b);
    duplex.destroy();
    await new Promise((resolve) => duplex.on('close', resolve));
    assert.equal(b.closed, true);
    a.close();
    assert.throws(() => socketStream({} as Socket), { name: 'TypeError', message: /"socket"/ });
  });

  it('adopts an fd made elsewhere (Socket.fromFd)', async () => {
    const [fd1, fd2] = addon.syscalls.socketpair(1, 1);
    const left = Socket.fromFd(fd1, { family: 'unix' });
    const right = Socket.fromFd(fd2, { family: 'unix' });
    const text = await run(function* () {
      yield* left.sendall('adopted');
      left.close();
      return (yield* new SocketReader(right).read()).toString();
    });
    right.close();
    assert.equal(text, 'adopted');
  });
});
