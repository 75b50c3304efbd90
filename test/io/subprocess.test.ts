import { strict as assert } from 'node:assert';
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { GreenletExit, iwait, joinAll, run, sleep, spawn, wait } from '../../lib/core';
import {
  CalledProcessError,
  CompletedProcess,
  Popen,
  SubprocessError,
  TimeoutExpired,
  subprocess,
} from '../../lib/io';
import { caught } from '../core/helpers';
import { tempDir } from '../helpers';

const NODE = process.execPath;

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/** Zombie children of this process (exited, not reaped). */
function zombies(): number[] {
  const found: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z' && Number(fields[1]) === process.pid) found.push(Number(name));
    } catch {
      // Gone while we looked.
    }
  }
  return found;
}

function alive(pid: number): boolean {
  return fs.existsSync(`/proc/${pid}`);
}

describe('subprocess', () => {
  describe('Popen', () => {
    it('wait() returns the exit code; wait([popen]) then poll() (test__subprocess)', async () => {
      await run(function* () {
        const p = new Popen([NODE, '-e', 'process.exit(10)']);
        assert.equal(yield* p.wait(), 10);
        assert.equal(p.returncode, 10);
        const q = new Popen([NODE, '-e', 'process.exit(11)']);
        const ready = yield* wait([q]);
        assert.deepEqual(ready, [q]);
        assert.equal(q.poll(), 11);
        assert.ok(q.ready());
      });
    });

    it('a missing program throws ENOENT from the constructor, synchronously', () => {
      assert.throws(
        () => new Popen(['*']),
        (error: NodeJS.ErrnoException) => error.code === 'ENOENT' && error.errno === -2 && error.path === '*' && /spawn \* ENOENT/.test(error.message),
      );
    });

    it('a file that is not executable throws EACCES; a missing cwd is named', () => {
      const dir = tempDir();
      const file = path.join(dir, 'data.txt');
      fs.writeFileSync(file, 'not a program');
      assert.throws(() => new Popen([file]), { code: 'EACCES' });
      assert.throws(() => new Popen(['true'], { cwd: path.join(dir, 'missing') }), (error: NodeJS.ErrnoException) => {
        return error.code === 'ENOENT' && error.path === path.join(dir, 'missing') && /working directory/.test(error.message);
      });
      fs.rmSync(dir, { recursive: true });
    });

    it('leaks no fd: failed spawns, and wait() plus closing the pipes', async () => {
      await run(function* () {
        // The first pipe makes the loop's epoll set (once per thread).
        const warm = new Popen(['true'], { stdout: 'pipe' });
        yield* warm.wait();
        warm.close();
        yield* sleep(0.05);
        const before = openFds();
        for (let i = 0; i < 5; i++) assert.throws(() => new Popen(['nonexistent-program-xyz'], { stdin: 'pipe', stdout: 'pipe' }));
        assert.equal(openFds(), before);
        for (let i = 0; i < 3; i++) {
          const p = new Popen(['true'], { stdout: 'pipe', stderr: 'pipe', stdin: 'pipe' });
          yield* p.wait();
          p.close();
        }
        // The child watcher's pidfd is closed by libuv on the next turn.
        yield* sleep(0.05);
        assert.equal(openFds(), before);
      });
    });

    it("communicate(input) with all three pipes: ['banana', 'pineapple']", async () => {
      await run(function* () {
        const p = new Popen(
          [NODE, '-e', "process.stdin.pipe(process.stdout); process.stdin.on('end', () => process.stderr.write('pineapple'))"],
          { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' },
        );
        const [out, err] = yield* p.communicate(Buffer.from('banana'));
        assert.ok(Buffer.isBuffer(out));
        assert.equal(out.toString(), 'banana');
        assert.equal(String(err), 'pineapple');
        assert.equal(p.returncode, 0);
      });
    });

    it('text mode: universal newlines, strict decoding raised by communicate(), empty output is a string', async () => {
      await run(function* () {
        const p = new Popen(['printf', 'line1\\r\\nline2\\rline3\\n'], { stdout: 'pipe', text: true });
        const [out, err] = yield* p.communicate();
        assert.equal(out, 'line1\nline2\nline3\n');
        assert.equal(err, null);

        const bad = new Popen(['printf', '\\377\\376'], { stdout: 'pipe', text: true });
        const error = yield* caught(() => bad.communicate());
        assert.ok(error instanceof TypeError, String(error));
        assert.equal((error as NodeJS.ErrnoException).code, 'ERR_ENCODING_INVALID_ENCODED_DATA');

        const empty = new Popen(['true'], { stdout: 'pipe', encoding: 'utf8' });
        assert.deepEqual(yield* empty.communicate(), ['', null]);
      });
    });

    it('captures more than 1 MiB on stdout and stderr at once without deadlock, while input is fed', async () => {
      await run(function* () {
        const script =
          "let n=0; process.stdin.on('data', d => n += d.length); process.stdin.on('end', () => {" +
          "const out = Buffer.alloc(3 << 20, 111), err = Buffer.alloc(2 << 20, 101);" +
          "let a = false, b = false; const done = () => a && b && process.exit(n === (3 << 20) ? 0 : 5);" +
          'process.stdout.write(out, () => { a = true; done(); }); process.stderr.write(err, () => { b = true; done(); }); })';
        const p = new Popen([NODE, '-e', script], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' });
        const [out, err] = yield* p.communicate(Buffer.alloc(3 << 20, 105), { timeout: 30 });
        assert.equal(p.returncode, 0);
        assert.equal(out?.length, 3 << 20);
        assert.equal(err?.length, 2 << 20);
        assert.ok(out?.every((byte) => byte === 111));
        assert.ok(err?.every((byte) => byte === 101));
      });
    });

    it('the pipes are green sockets: line by line from stdout while the child runs', async () => {
      await run(function* () {
        const p = new Popen(['sh', '-c', 'echo one; sleep 0.2; echo two'], { stdout: 'pipe' });
        const stdout = p.stdout;
        assert.ok(stdout !== null);
        let ticks = 0;
        const ticker = spawn(function* () {
          for (;;) {
            yield* sleep(0.01);
            ticks++;
          }
        });
        assert.equal((yield* stdout.recv(100)).toString(), 'one\n');
        assert.equal((yield* stdout.recv(100)).toString(), 'two\n');
        assert.equal((yield* stdout.recv(100)).length, 0);
        assert.ok(ticks >= 3, `the hub kept running (${ticks} ticks)`);
        ticker.kill();
        assert.equal(yield* p.wait(), 0);
        p.close();
      });
    });

    it("stderr: 'stdout' merges both streams into stdout", async () => {
      await run(function* () {
        const p = new Popen(['sh', '-c', 'echo out; echo err >&2'], { stdout: 'pipe', stderr: 'stdout' });
        assert.equal(p.stderr, null);
        const [out, err] = yield* p.communicate();
        assert.equal(String(out), 'out\nerr\n');
        assert.equal(err, null);
      });
    });

    it('an fd or an object with fileno() as stdout', async () => {
      const dir = tempDir();
      const file = path.join(dir, 'out.txt');
      const fd = fs.openSync(file, 'w');
      await run(function* () {
        yield* new Popen(['echo', 'to a file'], { stdout: fd }).wait();
        yield* new Popen(['echo', 'and again'], { stdout: { fileno: () => fd } }).wait();
      });
      fs.closeSync(fd);
      assert.equal(fs.readFileSync(file, 'utf8'), 'to a file\nand again\n');
      fs.rmSync(dir, { recursive: true });
    });

    it('shell: a command line string, or an array with $0 and arguments; executable replaces argv[0]', async () => {
      await run(function* () {
        let p = new Popen('echo "$HOME" | wc -c', { shell: true, stdout: 'pipe', env: { HOME: 'abc' } });
        assert.equal(String((yield* p.communicate())[0]).trim(), '4');
        p = new Popen(['echo "$0:$1"', 'zero', 'one'], { shell: true, stdout: 'pipe' });
        assert.equal(String((yield* p.communicate())[0]), 'zero:one\n');
        p = new Popen(['fake-name', '-e', 'console.log(process.argv0)'], { executable: NODE, stdout: 'pipe' });
        assert.equal(String((yield* p.communicate())[0]), 'fake-name\n');
      });
    });

    it('returncode is minus the signal number; kill, terminate, sendSignal; no-op once exited', async () => {
      await run(function* () {
        const a = new Popen(['sleep', '10']);
        a.kill();
        assert.equal(yield* a.wait(), -9);
        const b = new Popen(['sleep', '10']);
        b.terminate();
        assert.equal(yield* b.wait(), -15);
        const c = new Popen(['sleep', '10']);
        c.sendSignal('SIGINT');
        assert.equal(yield* c.wait(), -2);
        c.kill(); // exited: nothing happens
        c.sendSignal(15);
        assert.throws(() => c.sendSignal('SIGBOGUS' as NodeJS.Signals), { code: 'ERR_INVALID_ARG_VALUE' });
        assert.throws(() => c.sendSignal(99), RangeError);
      });
    });

    it('wait({timeout}) raises TimeoutExpired and the child keeps running; a later wait() reaps it', async () => {
      await run(function* () {
        const p = new Popen(['sleep', '10']);
        const started = Date.now();
        const error = yield* caught(() => p.wait({ timeout: 0.05 }));
        assert.ok(error instanceof TimeoutExpired && error instanceof SubprocessError);
        assert.equal(error.timeout, 0.05);
        assert.deepEqual(error.cmd, ['sleep', '10']);
        assert.ok(Date.now() - started < 2000);
        assert.equal(p.poll(), null);
        assert.ok(alive(p.pid));
        p.kill();
        assert.equal(yield* p.wait({ timeout: 10 }), -9);
        assert.ok(!alive(p.pid), 'reaped: no zombie');
        assert.deepEqual(zombies(), []);
      });
    });

    it('communicate({timeout}) then communicate() again: nothing read is lost', async () => {
      await run(function* () {
        const p = new Popen(['sh', '-c', 'echo first; sleep 0.3; echo second'], { stdout: 'pipe' });
        const error = yield* caught(() => p.communicate(null, { timeout: 0.1 }));
        assert.ok(error instanceof TimeoutExpired);
        assert.equal(String(error.stdout), 'first\n');
        const [out] = yield* p.communicate();
        assert.equal(String(out), 'first\nsecond\n');
        assert.throws(() => p.communicate('more'), /after communication has started|stdin/);
      });
    });

    it('poll() alone sees the exit: a busy loop on poll() ends (test__subprocess_poll)', () => {
      const p = new Popen(['true']);
      const deadline = Date.now() + 3000;
      while (p.poll() === null) assert.ok(Date.now() < deadline, 'poll() never saw the exit');
      assert.equal(p.returncode, 0);
    });

    it('is waitable by iwait(), in exit order', async () => {
      await run(function* () {
        const slow = new Popen(['sleep', '0.3']);
        const fast = new Popen(['true']);
        const order: Popen[] = [];
        const it = iwait([slow, fast]);
        for (;;) {
          const step = yield* it.next();
          if (step.done === true) break;
          order.push(step.value);
        }
        assert.deepEqual(order, [fast, slow]);
      });
    });

    it('many concurrent children', async () => {
      await run(function* () {
        const children = Array.from({ length: 60 }, (_, i) => new Popen(['sh', '-c', `exit ${i % 7}`]));
        const waiters = children.map((child) => spawn(() => child.wait()));
        yield* joinAll(waiters, { raiseError: true });
        assert.deepEqual(
          waiters.map((g) => g.value),
          children.map((_, i) => i % 7),
        );
        assert.deepEqual(zombies(), []);
      });
    });

    it("Node's child_process keeps working alongside (no stolen exit status)", async () => {
      const execFile = promisify(childProcess.execFile);
      const [nodeResult, greenResult] = await Promise.all([
        Promise.all(Array.from({ length: 5 }, (_, i) => execFile('sh', ['-c', `echo node${i}`]))),
        run(function* () {
          const children = Array.from({ length: 5 }, () => new Popen(['sh', '-c', 'exit 3']));
          const codes: number[] = [];
          for (const child of children) codes.push(yield* child.wait());
          return codes;
        }),
      ]);
      assert.deepEqual(
        nodeResult.map((r) => r.stdout),
        ['node0\n', 'node1\n', 'node2\n', 'node3\n', 'node4\n'],
      );
      assert.deepEqual(greenResult, [3, 3, 3, 3, 3]);
      const exited = await new Promise<number | null>((resolve) => childProcess.spawn('sh', ['-c', 'exit 4']).on('exit', resolve));
      assert.equal(exited, 4);
    });

    it('a killed greenlet in communicate() stops its readers; the pipes stay usable', async () => {
      await run(function* () {
        const p = new Popen(['sh', '-c', 'echo ready; sleep 10'], { stdout: 'pipe' });
        const g = spawn(() => p.communicate());
        yield* sleep(0.2);
        yield* g.kill();
        assert.ok(g.dead && g.value instanceof GreenletExit);
        yield* sleep(0);
        assert.equal(p._communication?.running().length, 0);
        p.kill();
        yield* p.wait();
        p.close();
        assert.deepEqual(zombies(), []);
      });
    });

    it('checks its arguments', () => {
      assert.throws(() => new Popen(42 as unknown as string), { name: 'TypeError', message: /"args"/ });
      assert.throws(() => new Popen([]), { code: 'ERR_INVALID_ARG_VALUE', message: /"args"/ });
      assert.throws(() => new Popen(['echo', 3 as unknown as string]), { name: 'TypeError', message: /"args\[1\]"/ });
      assert.throws(() => new Popen(['echo', 'a\u0000b']), { code: 'ERR_INVALID_ARG_VALUE', message: /null bytes/ });
      assert.throws(() => new Popen(['true'], { stdin: 'bogus' as 'pipe' }), { name: 'TypeError', message: /"options.stdin"/ });
      assert.throws(() => new Popen(['true'], { stdout: 'stdout' as 'pipe' }), { name: 'TypeError', message: /"options.stdout"/ });
      assert.throws(() => new Popen(['true'], { stdout: -1 }), { name: 'RangeError', message: /"options.stdout"/ });
      assert.throws(() => new Popen(['true'], { stdout: 1.5 }), { name: 'RangeError' });
      assert.throws(() => new Popen(['true'], { cwd: 5 as unknown as string }), { name: 'TypeError', message: /"options.cwd"/ });
      assert.throws(() => new Popen(['true'], { env: { A: 1 as unknown as string } }), { name: 'TypeError', message: /"options.env.A"/ });
      assert.throws(() => new Popen(['true'], { shell: 1 as unknown as boolean }), { name: 'TypeError', message: /"options.shell"/ });
      assert.throws(() => new Popen(['true'], { encoding: 'hex' as 'utf8' }), { code: 'ERR_INVALID_ARG_VALUE', message: /"options.encoding"/ });
      assert.throws(() => new Popen(['true'], null as unknown as object), { name: 'TypeError', message: /"options"/ });
      // A closed fd as stdio: the spawn fails with EBADF, synchronously.
      assert.throws(() => new Popen(['true'], { stdout: 987 }), { code: 'EBADF', message: /options.stdout/ });
      // Also one just closed, whose number Popen's own pipes would take next.
      const closed = fs.openSync('/dev/null', 'r');
      fs.closeSync(closed);
      assert.throws(() => new Popen(['echo', 'hi'], { stdin: 'pipe', stdout: closed }), { code: 'EBADF', message: /options.stdout/ });
      const p = new Popen(['true']);
      assert.throws(() => p.wait({ timeout: -1 }), { name: 'RangeError', message: /"options.timeout"/ });
      assert.throws(() => p.communicate(null, { timeout: -0.5 }), { name: 'RangeError' });
      assert.throws(() => p.communicate('x'), { code: 'ERR_INVALID_ARG_VALUE', message: /stdin/ });
      assert.throws(() => p.communicate(5 as unknown as string), { name: 'TypeError', message: /"input"/ });
    });
  });

  describe('run', () => {
    it('returncode, checkReturncode() and check (test__subprocess run)', async () => {
      await run(function* () {
        const done = yield* subprocess.run(['sh', '-c', 'exit 47']);
        assert.ok(done instanceof CompletedProcess);
        assert.equal(done.returncode, 47);
        assert.equal(done.stdout, null);
        assert.throws(() => done.checkReturncode(), (e: CalledProcessError) => e instanceof CalledProcessError && e.returncode === 47);
        const error = yield* caught(() => subprocess.run(['sh', '-c', 'echo oops >&2; exit 47'], { check: true, capture: true }));
        assert.ok(error instanceof CalledProcessError);
        assert.equal(error.returncode, 47);
        assert.equal(String(error.stderr), 'oops\n');
        assert.match(error.message, /returned non-zero exit status 47/);
        assert.equal((yield* subprocess.run(['true'], { check: true })).returncode, 0);
      });
    });

    it('captures stdout; input is fed to stdin; a custom env is honoured', async () => {
      await run(function* () {
        assert.equal(String((yield* subprocess.run(['echo', 'BDFL'], { capture: true })).stdout), 'BDFL\n');
        const upper = yield* subprocess.run(['tr', 'a-z', 'A-Z'], { input: 'pear', capture: true, text: true });
        assert.equal(upper.stdout, 'PEAR');
        assert.equal(upper.stderr, '');
        const env = yield* subprocess.run(['sh', '-c', 'echo $GREENHUB_TEST'], { env: { GREENHUB_TEST: 'from env' }, stdout: 'pipe' });
        assert.equal(String(env.stdout), 'from env\n');
      });
    });

    it('input and stdin together are refused, naming both', () => {
      assert.throws(
        () => subprocess.run(['cat'], { input: 'x', stdin: 'pipe' }),
        (e: Error) => e instanceof TypeError && /options\.input/.test(e.message) && /options\.stdin/.test(e.message),
      );
      assert.throws(() => subprocess.run(['cat'], { capture: true, stdout: 'pipe' }), /options\.capture/);
      assert.throws(() => subprocess.run(['true'], { timeout: -1 }), RangeError);
      assert.throws(() => subprocess.run(['true'], { check: 'yes' as unknown as boolean }), { name: 'TypeError', message: /"options.check"/ });
    });

    it('a spawn failure is raised where run() is waited for', async () => {
      await assert.rejects(async () => {
        await subprocess.run(['nonexistent-program-xyz']);
      }, { code: 'ENOENT' });
    });

    it('a timeout kills and reaps the child, keeps the output so far, and leaves no zombie', async () => {
      await run(function* () {
        const started = Date.now();
        const error = yield* caught(() => subprocess.run(['sh', '-c', 'echo $$; echo BDFL; exec sleep 10'], { timeout: 0.5, capture: true }));
        assert.ok(error instanceof TimeoutExpired, String(error));
        assert.ok(Date.now() - started < 5000);
        const [pid, text] = String(error.stdout).split('\n');
        assert.equal(text, 'BDFL');
        assert.equal(error.output, error.stdout);
        assert.ok(!alive(Number(pid)), `child ${pid} is gone from /proc`);
        assert.deepEqual(zombies(), []);
      });
    });

    it('a tiny timeout on an endless loop raises TimeoutExpired', async () => {
      await run(function* () {
        const error = yield* caught(() => subprocess.run([NODE, '-e', 'for (;;) {}'], { timeout: 0.0001 }));
        assert.ok(error instanceof TimeoutExpired);
        assert.deepEqual(zombies(), []);
      });
    });

    it("run('sleep 3', shell, timeout 0.1, capture) raises promptly even though a grandchild holds the pipes", async () => {
      await run(function* () {
        const started = Date.now();
        const error = yield* caught(() => subprocess.run('sleep 3; true', { shell: true, timeout: 0.1, capture: true }));
        assert.ok(error instanceof TimeoutExpired);
        assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
      });
    });

    it('a killed greenlet in run() kills the child', async () => {
      await run(function* () {
        const dir = tempDir();
        const pidFile = path.join(dir, 'pid');
        const g = spawn(() => subprocess.run(['sh', '-c', `echo $$ > ${pidFile}; exec sleep 10`]));
        const deadline = Date.now() + 5000;
        while (!fs.existsSync(pidFile) || fs.readFileSync(pidFile, 'utf8') === '') {
          assert.ok(Date.now() < deadline);
          yield* sleep(0.01);
        }
        const pid = Number(fs.readFileSync(pidFile, 'utf8'));
        yield* g.kill();
        while (alive(pid)) {
          assert.ok(Date.now() < deadline, 'the child outlived the killed run()');
          yield* sleep(0.01);
        }
        fs.rmSync(dir, { recursive: true });
      });
    });

    it('call, checkCall and checkOutput', async () => {
      await run(function* () {
        assert.equal(yield* subprocess.call(['sh', '-c', 'exit 3']), 3);
        assert.equal(yield* subprocess.checkCall(['true']), 0);
        const error = yield* caught(() => subprocess.checkCall(['false']));
        assert.ok(error instanceof CalledProcessError && error.returncode === 1);
        assert.equal(yield* subprocess.checkOutput(['echo', 'hi'], { text: true }), 'hi\n');
        assert.ok(Buffer.isBuffer(yield* subprocess.checkOutput(['echo', 'hi'])));
        const failed = yield* caught(() => subprocess.checkOutput(['sh', '-c', 'echo partial; exit 2']));
        assert.ok(failed instanceof CalledProcessError);
        assert.equal(String(failed.output), 'partial\n');
        assert.throws(() => subprocess.checkOutput(['true'], { capture: true }), /options\.capture/);
      });
    });

    it('works from plain async code', async () => {
      const done = await subprocess.run(['echo', 'async'], { capture: true, text: true });
      assert.equal(done.stdout, 'async\n');
      assert.equal(await new Popen(['sh', '-c', 'exit 6']).wait(), 6);
    });
  });
});
