import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ClosedError, ERROR, EVENTS, eventsToString, IoWatcher, Loop, READ, READWRITE, TIMER, WRITE } from '../../lib/loop';
import { addon } from '../../lib/loop/native';
import { closeFds, delay, makePipe, makeSocketPair, newLoop, readFd, tempDir, until, writeFd } from '../helpers';

const EAGAIN = -11;

/** Fills a non-blocking socket until the kernel refuses more. */
function fill(fd: number): number {
  const chunk = Buffer.alloc(65536, 1);
  let total = 0;
  for (;;) {
    const n = addon.syscalls.write(fd, chunk, 0, chunk.length);
    if (n < 0) {
      assert.equal(n, EAGAIN);
      return total;
    }
    total += n;
  }
}

/** Reads everything readable now. */
function drain(fd: number): number {
  let total = 0;
  for (;;) {
    const got = readFd(fd);
    if (typeof got === 'number' || got.length === 0) return total;
    total += got.length;
  }
}

describe('loop.io', () => {
  let loop: Loop;
  let fds: number[] = [];
  const pair = (): [number, number] => {
    const p = makeSocketPair();
    fds.push(...p);
    return p;
  };
  beforeEach(() => {
    loop = newLoop();
  });
  afterEach(() => {
    loop.close();
    closeFds(...fds);
    fds = [];
  });

  it('fires READ when the peer writes, and not before', async () => {
    const [a, b] = pair();
    const w = loop.io(a, READ);
    const seen: number[] = [];
    w.start((revents: number) => {
      seen.push(revents);
      readFd(a);
    }, EVENTS);
    assert.equal(w.active, true);
    await delay(50);
    assert.deepEqual(seen, []);
    writeFd(b, 'ping');
    await until(() => seen.length === 1);
    assert.deepEqual(seen, [READ]);
    assert.equal(w.active, true);
  });

  it('is level-triggered: fires again on every iteration until the data is drained', async () => {
    const [a, b] = pair();
    writeFd(b, 'abcde');
    const got: string[] = [];
    const w = loop.io(a, READ);
    w.start(() => {
      const one = Buffer.alloc(1);
      const n = addon.syscalls.read(a, one, 0, 1);
      // A spurious event would show here as EAGAIN.
      assert.equal(n, 1);
      got.push(one.toString());
    });
    await until(() => got.length === 5);
    await delay(50);
    assert.deepEqual(got, ['a', 'b', 'c', 'd', 'e']);
  });

  it('fires WRITE while the socket has room, and only after the peer reads once it is full', async () => {
    const [a, b] = pair();
    const w = loop.io(a, WRITE);
    let writable = 0;
    w.start(() => writable++);
    await until(() => writable >= 2);
    w.stop();
    fill(a);
    writable = 0;
    w.start(() => writable++);
    await delay(50);
    assert.equal(writable, 0);
    drain(b);
    await until(() => writable > 0);
  });

  it('multiplexes READ and WRITE watchers on one end of a socketpair (gevent test__core)', async () => {
    const [a, b] = pair();
    const reader = loop.io(a, READ);
    const writer = loop.io(a, WRITE);
    const reads: number[] = [];
    const writes: number[] = [];
    reader.start((revents: number) => {
      reads.push(revents);
      readFd(a);
    }, EVENTS);
    writer.start((revents: number) => writes.push(revents), EVENTS);
    await until(() => writes.length >= 2);
    assert.equal(reads.length, 0);
    writeFd(b, 'x');
    await until(() => reads.length === 1);
    // Each watcher hears only the bits it asked for.
    assert.ok(!reads.some((r) => r !== READ));
    assert.ok(!writes.some((r) => r !== WRITE));
    writer.stop();
    const writesAtStop = writes.length;
    writeFd(b, 'y');
    await until(() => reads.length === 2);
    assert.equal(writes.length, writesAtStop);
    reader.stop();
    writer.start((revents: number) => writes.push(revents), EVENTS);
    await until(() => writes.length > writesAtStop);
    writeFd(b, 'z');
    await delay(30);
    assert.equal(reads.length, 2);
  });

  it('a READ|WRITE watcher receives both bits at once', async () => {
    const [a, b] = pair();
    writeFd(b, 'x');
    const w = loop.io(a, READWRITE);
    let revents = 0;
    w.start((r: number) => {
      revents = r;
      w.stop();
    }, EVENTS);
    await until(() => revents !== 0);
    assert.equal(revents, READ | WRITE);
    assert.equal(w.eventsString, 'READ|WRITE');
  });

  it('several READ watchers on one fd all fire', async () => {
    const [a, b] = pair();
    const fired = [false, false, false];
    const watchers = fired.map((_, i) => {
      const w = loop.io(a, READ);
      w.start(() => {
        fired[i] = true;
        w.stop();
      });
      return w;
    });
    writeFd(b, 'x');
    await until(() => fired.every(Boolean));
    assert.ok(watchers.every((w) => !w.active));
  });

  it('fires READ at end of file when the peer closes', async () => {
    const [a, b] = makeSocketPair();
    fds.push(a);
    const w = loop.io(a, READ);
    let eof = false;
    w.start(() => {
      const got = readFd(a);
      if (got instanceof Buffer && got.length === 0) {
        eof = true;
        w.stop();
      }
    });
    closeFds(b);
    await until(() => eof);
  });

  it('reports ERROR and stops when the fd is closed behind the watcher', async () => {
    const [a, b] = makeSocketPair();
    fds.push(b);
    const w = loop.io(a, READ);
    let revents = 0;
    w.start((r: number) => (revents = r), EVENTS);
    closeFds(a);
    await until(() => revents !== 0);
    assert.ok((revents & ERROR) !== 0, `revents ${revents}`);
    assert.equal(w.active, false);
    assert.equal(w.callback, null);
  });

  it('watches a new fd that reuses the number of one closed between iterations', async () => {
    const [a, b] = makeSocketPair();
    const old = loop.io(a, READ);
    old.start(() => undefined);
    await delay(20); // the loop polls: `a` is registered with the kernel
    old.stop();
    closeFds(a, b);
    // Take fds until the kernel hands out `a`'s number again.
    let reused: [number, number] | undefined;
    for (let i = 0; i < 100 && reused === undefined; i++) {
      const p = pair();
      if (p[0] === a) reused = p;
    }
    assert.ok(reused !== undefined, 'the fd number was not reused');
    const [c, d] = reused;
    const w = loop.io(c, READ);
    let fired = false;
    w.start(() => {
      fired = true;
      w.stop();
    });
    writeFd(d, 'x');
    await until(() => fired, 2000, 'the watcher on the reused fd');
  });

  it('treats a regular file as always ready, for reading and for writing', async () => {
    const dir = tempDir();
    const fd = fs.openSync(path.join(dir, 'file'), 'w+');
    try {
      const reader = loop.io(fd, READ);
      const writer = loop.io(fd, WRITE);
      let reads = 0;
      let writes = 0;
      reader.start(() => reads++);
      writer.start(() => writes++);
      await until(() => reads >= 3 && writes >= 3);
      reader.stop();
      writer.stop();
      const [r, w] = [reads, writes];
      await delay(30);
      assert.deepEqual([reads, writes], [r, w]);
    } finally {
      fs.closeSync(fd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('watches pipes', async () => {
    const [r, w] = makePipe();
    fds.push(r, w);
    const watcher = loop.io(r, READ);
    let data = '';
    watcher.start(() => {
      const got = readFd(r);
      if (got instanceof Buffer) data += got.toString();
    });
    writeFd(w, 'through a pipe');
    await until(() => data === 'through a pipe');
  });

  it('handles many fds at once', async () => {
    const count = 300;
    let fired = 0;
    const pairs = Array.from({ length: count }, () => pair());
    for (const [a] of pairs) {
      const w = loop.io(a, READ);
      w.start(() => {
        readFd(a);
        fired++;
        w.stop();
      });
    }
    for (const [, b] of pairs) writeFd(b, 'x');
    await until(() => fired === count);
  });

  it('a watcher stopped by an earlier callback of the same batch does not run', async () => {
    const [a, b] = pair();
    const [c, d] = pair();
    writeFd(b, 'x');
    writeFd(d, 'x');
    const first = loop.io(a, READ);
    const second = loop.io(c, READ);
    const ran: string[] = [];
    let otherWasPending: boolean | undefined;
    const make = (name: string, other: IoWatcher) =>
      function (this: IoWatcher): void {
        ran.push(name);
        otherWasPending ??= other.pending;
        other.stop();
        this.stop();
      };
    // Start both before the loop polls, so that one poll sees both.
    first.start(make('first', second));
    second.start(make('second', first));
    await until(() => ran.length > 0);
    await delay(30);
    assert.deepEqual(ran.length, 1, `ran ${ran.slice(0, 5).join(', ')}`);
    assert.equal(otherWasPending, true);
  });

  it('stops when its callback throws, so that a failing callback cannot spin', async () => {
    const [a, b] = pair();
    const errors: unknown[] = [];
    loop.errorHandler = (error, context) => errors.push([error, context]);
    const w = loop.io(a, READ);
    const boom = new Error('boom');
    w.start(() => {
      throw boom;
    });
    writeFd(b, 'x');
    await until(() => errors.length > 0);
    await delay(30);
    assert.deepEqual(errors, [[boom, w]]);
    assert.equal(w.active, false);
  });

  it('can be stopped, restarted and changed with set() while inactive', async () => {
    const [a, b] = pair();
    const [c, d] = pair();
    const w = loop.io(a, READ);
    assert.equal(w.fd, a);
    assert.equal(w.events, READ);
    assert.equal(w.eventsString, 'READ');
    let fired = 0;
    w.start(() => {
      fired++;
      w.stop();
    });
    w.stop();
    writeFd(b, 'x');
    await delay(30);
    assert.equal(fired, 0);
    w.start(() => {
      fired++;
      w.stop();
    });
    await until(() => fired === 1);
    assert.throws(() => {
      w.start(() => undefined);
      w.set(c, READ);
    }, { code: 'ERR_WATCHER_ACTIVE' });
    w.stop();
    w.set(c, READ);
    w.events = READWRITE;
    assert.equal(w.fd, c);
    assert.equal(w.events, READWRITE);
    w.fd = c;
    let revents = 0;
    w.start((r: number) => {
      revents = r;
      w.stop();
    }, EVENTS);
    writeFd(d, 'y');
    await until(() => revents !== 0);
    assert.ok((revents & WRITE) !== 0);
  });

  it('eventsToString names the bits (gevent _events_to_str)', () => {
    assert.equal(eventsToString(READ | WRITE), 'READ|WRITE');
    assert.equal(eventsToString(READ | ERROR), 'READ|ERROR');
    assert.equal(eventsToString(0), '0');
    assert.throws(() => eventsToString('READ' as unknown as number), { name: 'TypeError', message: /"events"/ });
    assert.throws(() => eventsToString(1.5), { name: 'RangeError', message: /"events"/ });
  });

  it('rejects bad arguments with errors that name them', () => {
    const [a] = pair();
    for (const bad of [-1, 1.5, 2 ** 31, NaN, Infinity]) {
      assert.throws(() => loop.io(bad, READ), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"fd"/ });
    }
    for (const bad of ['3', null, undefined, {}]) {
      assert.throws(() => loop.io(bad as unknown as number, READ), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"fd"/ });
    }
    for (const bad of [0, 4, TIMER, READ | 8, -1, 1.5, NaN]) {
      assert.throws(() => loop.io(a, bad), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"events"/ });
    }
    assert.throws(() => loop.io(a, 'READ' as unknown as number), { name: 'TypeError', message: /"events"/ });
    const w = loop.io(a, READ);
    assert.throws(() => w.set(-1, READ), { name: 'RangeError', message: /"fd"/ });
    assert.throws(() => w.set(a, 0), { name: 'RangeError', message: /"events"/ });
    assert.throws(() => (w.events = 5), { name: 'RangeError', message: /"events"/ });
    for (const bad of [null, 5, 'f']) {
      assert.throws(() => w.start(bad as unknown as () => void), { name: 'TypeError', message: /"callback"/ });
    }
    assert.equal(w.active, false);
  });

  it('refuses closed fds with EBADF, at creation and at start', () => {
    const [a, b] = makeSocketPair();
    closeFds(b);
    assert.throws(() => loop.io(b, READ), { code: 'EBADF', syscall: 'fcntl' });
    const w = loop.io(a, READ);
    closeFds(a);
    assert.throws(() => w.start(() => undefined), { code: 'EBADF', syscall: 'fcntl' });
    assert.equal(w.active, false);
    assert.equal(w.callback, null);
    assert.throws(() => w.set(a, READ), { code: 'EBADF' });
  });

  it('refuses use after close with ClosedError; stop() and close() stay harmless', () => {
    const [a] = pair();
    const w = loop.io(a, READ);
    w.start(() => undefined);
    w.close();
    assert.equal(w.closed, true);
    assert.equal(w.active, false);
    assert.throws(() => w.start(() => undefined), (e: unknown) => e instanceof ClosedError && e.code === 'ERR_WATCHER_CLOSED');
    assert.throws(() => w.set(a, READ), ClosedError);
    assert.throws(() => (w.ref = false), ClosedError);
    w.stop();
    w.close();
  });
});
