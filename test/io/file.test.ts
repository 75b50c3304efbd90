import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ConcurrentObjectUseError, run, sleep, spawn } from '../../lib/core';
import { fdopen, file, File, Popen, readFile, writeFile } from '../../lib/io';
import { caught } from '../core/helpers';
import { makePipe, ROOT, tempDir } from '../helpers';

describe('files', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('readFile / writeFile', () => {
    it('round trip of bytes and text; append; exclusive create', async () => {
      const target = path.join(dir, 'a.bin');
      const data = randomBytes(3 << 20);
      await run(function* () {
        yield* writeFile(target, data);
        assert.ok((yield* readFile(target)).equals(data));
        yield* writeFile(target, 'héllo\n');
        yield* writeFile(target, 'more\n', { flag: 'a' });
        assert.equal(yield* readFile(target, { encoding: 'utf8' }), 'héllo\nmore\n');
        assert.equal(yield* readFile(target, { encoding: 'latin1' }), Buffer.from('héllo\nmore\n').toString('latin1'));
        const exists = yield* caught(() => writeFile(target, 'x', { flag: 'wx' }));
        assert.equal((exists as NodeJS.ErrnoException).code, 'EEXIST');
        yield* writeFile(path.join(dir, 'private'), 'secret', { mode: 0o600 });
        assert.equal(fs.statSync(path.join(dir, 'private')).mode & 0o777, 0o600);
      });
    });

    it('errors are fs errors (ENOENT, EISDIR)', async () => {
      await run(function* () {
        const missing = yield* caught(() => readFile(path.join(dir, 'missing')));
        assert.equal((missing as NodeJS.ErrnoException).code, 'ENOENT');
        const isDir = yield* caught(() => writeFile(dir, 'x'));
        assert.equal((isDir as NodeJS.ErrnoException).code, 'EISDIR');
      });
    });

    it('checks its arguments', () => {
      assert.throws(() => readFile(5 as unknown as string), { name: 'TypeError', message: /"path"/ });
      assert.throws(() => readFile('a\u0000b'), { code: 'ERR_INVALID_ARG_VALUE', message: /"path"/ });
      assert.throws(() => readFile('x', { encoding: 'bogus' as BufferEncoding }), { code: 'ERR_INVALID_ARG_VALUE', message: /"options.encoding"/ });
      assert.throws(() => readFile('x', { flag: 'q' as 'r' }), { code: 'ERR_INVALID_ARG_VALUE', message: /"options.flag"/ });
      assert.throws(() => writeFile('x', 5 as unknown as string), { name: 'TypeError', message: /"data"/ });
      assert.throws(() => writeFile('x', 'y', { mode: -1 }), { name: 'RangeError', message: /"options.mode"/ });
    });
  });

  describe('File', () => {
    it('write, then readline, read(n), read() to the end and read1()', async () => {
      const target = path.join(dir, 'lines.txt');
      await run(function* () {
        const out = yield* file.open(target, 'w');
        assert.ok(out instanceof File);
        assert.equal(out.kind, 'fs');
        assert.equal(yield* out.write('first line\n'), 11);
        yield* out.write(Buffer.from('second\nthird'));
        yield* out.close();
        yield* out.close();
        assert.equal(fs.readFileSync(target, 'utf8'), 'first line\nsecond\nthird');

        const f = yield* file.open(target);
        assert.equal(String(yield* f.readline()), 'first line\n');
        assert.equal(String(yield* f.read(3)), 'sec');
        assert.equal(String(yield* f.readline(2)), 'on');
        assert.equal(String(yield* f.read1(100)), 'd\nthird');
        assert.equal((yield* f.read()).length, 0);
        assert.equal((yield* f.readline()).length, 0);
        yield* f.close();

        const whole = yield* file.open(target);
        assert.equal(String(yield* whole.read()), 'first line\nsecond\nthird');
        yield* whole.close();
      });
    });

    it('a large file reads back whole and in pieces', async () => {
      const target = path.join(dir, 'big.bin');
      const data = randomBytes(5 << 20);
      await run(function* () {
        const out = yield* file.open(target, 'w');
        for (let offset = 0; offset < data.length; offset += 1 << 20) yield* out.write(data.subarray(offset, offset + (1 << 20)));
        yield* out.close();
        const f = yield* file.open(target);
        const head = yield* f.read(100);
        const rest = yield* f.read();
        yield* f.close();
        assert.ok(Buffer.concat([head, rest]).equals(data));
      });
    });

    it("a write after read-ahead lands at the reader's position (r+)", async () => {
      const target = path.join(dir, 'rw.txt');
      fs.writeFileSync(target, 'aaaa\nbbbb\ncccc\n');
      await run(function* () {
        const f = yield* file.open(target, 'r+');
        assert.equal(String(yield* f.readline()), 'aaaa\n');
        yield* f.write('BBBB');
        assert.equal(String(yield* f.read()), '\ncccc\n');
        yield* f.close();
      });
      assert.equal(fs.readFileSync(target, 'utf8'), 'aaaa\nBBBB\ncccc\n');
    });

    it("append mode writes at the end; 'wx' refuses an existing file", async () => {
      const target = path.join(dir, 'log.txt');
      fs.writeFileSync(target, 'one\n');
      await run(function* () {
        const f = yield* file.open(target, 'a');
        yield* f.write('two\n');
        yield* f.close();
        const error = yield* caught(() => file.open(target, 'wx'));
        assert.equal((error as NodeJS.ErrnoException).code, 'EEXIST');
        const missing = yield* caught(() => file.open(path.join(dir, 'nope')));
        assert.equal((missing as NodeJS.ErrnoException).code, 'ENOENT');
      });
      assert.equal(fs.readFileSync(target, 'utf8'), 'one\ntwo\n');
    });

    it('a closed file refuses work; two readers at once are a ConcurrentObjectUseError', async () => {
      await run(function* () {
        const [r, w] = makePipe();
        const reader = fdopen(r);
        const writer = fdopen(w);
        assert.equal(reader.kind, 'poll');
        const first = spawn(() => reader.read(5));
        yield* sleep(0.01);
        const second = yield* caught(() => reader.read(5));
        assert.ok(second instanceof ConcurrentObjectUseError);
        yield* writer.write('12345');
        assert.equal(String(yield* first.get()), '12345');
        yield* reader.close();
        yield* writer.close();
        assert.throws(() => reader.read(1), { code: 'ERR_FILE_CLOSED' });
        assert.throws(() => reader.fileno(), { code: 'ERR_FILE_CLOSED' });
      });
    });

    it('pipes: readers block cooperatively, writers wait for room, nothing is lost', async () => {
      await run(function* () {
        const [r, w] = makePipe();
        const reader = fdopen(r);
        const writer = fdopen(w);
        const data = randomBytes(2 << 20); // far more than a pipe holds
        let ticks = 0;
        const ticker = spawn(function* () {
          for (;;) {
            yield* sleep(0.001);
            ticks++;
          }
        });
        const producer = spawn(function* () {
          yield* writer.write(data);
          yield* writer.close();
        });
        const received = yield* reader.read();
        yield* producer.join();
        ticker.kill();
        assert.ok(received.equals(data));
        assert.ok(ticks > 0);
        yield* reader.close();
      });
    });

    it('closing a pipe under a blocked reader wakes it with EBADF; a killed reader can be replaced', async () => {
      await run(function* () {
        const [r, w] = makePipe();
        const reader = fdopen(r);
        const writer = fdopen(w);
        const killed = spawn(() => reader.readline());
        yield* sleep(0.01);
        yield* killed.kill();
        yield* writer.write('line\n');
        assert.equal(String(yield* reader.readline()), 'line\n');
        const blocked = spawn(() => caught(() => reader.readline()));
        yield* sleep(0.01);
        yield* reader.close();
        const error = yield* blocked.get();
        assert.equal((error as NodeJS.ErrnoException).code, 'EBADF');
        yield* writer.close();
      });
    });

    it('fdopen checks its arguments; close: false leaves the fd open', async () => {
      assert.throws(() => fdopen(-1), { name: 'RangeError', message: /"fd"/ });
      assert.throws(() => fdopen(987654), { code: 'EBADF' });
      assert.throws(() => fdopen(0, { close: 'no' as unknown as boolean }), { name: 'TypeError', message: /"options.close"/ });
      const fd = fs.openSync(path.join(dir, 'keep'), 'w+');
      await run(function* () {
        const f = fdopen(fd, { close: false });
        assert.equal(f.kind, 'fs');
        yield* f.write('kept');
        yield* f.close();
      });
      fs.writeSync(fd, '!');
      fs.closeSync(fd);
      assert.equal(fs.readFileSync(path.join(dir, 'keep'), 'utf8'), 'kept!');
    });

    it('checks its arguments', async () => {
      assert.throws(() => file.open(5 as unknown as string), { name: 'TypeError', message: /"path"/ });
      assert.throws(() => file.open('x', 'z' as 'r'), { code: 'ERR_INVALID_ARG_VALUE', message: /"flags"/ });
      assert.throws(() => file.open('x', 'r', 0o10000), { name: 'RangeError', message: /"mode"/ });
      await run(function* () {
        const f = yield* file.open(path.join(dir, 'x'), 'w+');
        assert.throws(() => f.read(-1), { name: 'RangeError', message: /"n"/ });
        assert.throws(() => f.read1(1.5), RangeError);
        assert.throws(() => f.readline(-2), { name: 'RangeError', message: /"limit"/ });
        assert.throws(() => f.write(5 as unknown as string), { name: 'TypeError', message: /"data"/ });
        yield* f.close();
      });
    });
  });

  describe('stdin / stdout', () => {
    /** Runs a TypeScript child that uses greenhub's green stdin and stdout. */
    function child(source: string, stdin: 'pipe' | number = 'pipe', stdout: 'pipe' | number = 'pipe'): Popen {
      const script = path.join(dir, 'child.ts');
      fs.writeFileSync(script, source.replace(/'lib\//g, `'${ROOT}/lib/`));
      return new Popen([process.execPath, '--require', 'tsx/cjs', script], { stdin, stdout, stderr: 'pipe', cwd: ROOT });
    }

    const echoUpper = `
      import * as fs from 'node:fs';
      import { run } from 'lib/core';
      import { stdin, stdout } from 'lib/io';
      const flags = (fd: number) => fs.readFileSync('/proc/self/fdinfo/' + fd, 'utf8').match(/flags:\\s*(\\d+)/)![1];
      const before = [flags(0), flags(1)];
      run(function* () {
        const input = stdin();
        const output = stdout();
        for (;;) {
          const line = yield* input.readline();
          if (line.length === 0) break;
          yield* output.write(line.toString().toUpperCase());
        }
        const after = [flags(0), flags(1)];
        yield* output.write(input.kind + ' ' + output.kind + ' ' + (before.join() === after.join() ? 'fd flags unchanged' : 'fd flags changed') + '\\n');
      });
    `;

    it('pipes: green line-by-line copy; fds 0 and 1 keep their flags (reopened, not switched)', async function () {
      this.timeout(30000);
      await run(function* () {
        const [inRead, inWrite] = makePipe();
        const [outRead, outWrite] = makePipe();
        const p = child(echoUpper, inRead, outWrite);
        fs.closeSync(inRead);
        fs.closeSync(outWrite);
        const toChild = fdopen(inWrite);
        const fromChild = fdopen(outRead);
        yield* toChild.write('one\ntwo\n');
        yield* toChild.close();
        const out = yield* fromChild.read();
        yield* fromChild.close();
        const [, err] = yield* p.communicate(null, { timeout: 25 });
        assert.equal(String(err), '');
        assert.equal(String(out), 'ONE\nTWO\npoll poll fd flags unchanged\n');
        assert.equal(p.returncode, 0);
      });
    });

    it('sockets on fds 0 and 1 are used as they are (made non-blocking)', async function () {
      this.timeout(30000);
      await run(function* () {
        const p = child(echoUpper);
        const [out, err] = yield* p.communicate('one\ntwo\n', { timeout: 25 });
        assert.equal(String(err), '');
        assert.equal(String(out), 'ONE\nTWO\npoll poll fd flags changed\n');
      });
    });

    it('a regular file as stdin goes through fs', async function () {
      this.timeout(30000);
      const input = path.join(dir, 'input.txt');
      fs.writeFileSync(input, 'from a file\n');
      const fd = fs.openSync(input, 'r');
      try {
        await run(function* () {
          const p = child(echoUpper, fd);
          const [out, err] = yield* p.communicate(null, { timeout: 25 });
          assert.equal(String(err), '');
          assert.equal(String(out), 'FROM A FILE\nfs poll fd flags unchanged\n');
        });
      } finally {
        fs.closeSync(fd);
      }
    });
  });
});
