// Prefork serving: a master process and worker processes sharing a port,
// driven through `greenhub serve` (real signals, kill -9) and through the
// serve() API. Every request opens a new connection, so the pid in each
// answer shows which worker accepted it.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as path from 'node:path';

import { main as serveMain, parseServeArgs, UsageError } from '../../lib/cli/serve';
import { HttpServer } from '../../lib/io';
import { Socket } from '../../lib/io/socket';
import { checkAppServer, CrashLoopError, factoryOf, serve, WorkerBootError, type Prefork } from '../../lib/scale';
import { delay, ROOT } from '../helpers';
import { FIXTURES, request, startLoad, startMaster, type Master } from './harness';

const quiet = (): void => undefined;

async function distinctPids(port: number, waves = 4, perWave = 10): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let w = 0; w < waves; w++) {
    const outcomes = await Promise.all(Array.from({ length: perWave }, () => request(port)));
    for (const o of outcomes) {
      assert.ok(o.ok, `request failed: ${o.error}`);
      pids.add(o.pid as number);
    }
  }
  return pids;
}

describe('prefork: greenhub serve', function () {
  this.timeout(60_000);
  let master: Master | null = null;

  afterEach(async () => {
    if (master && master.child.exitCode === null && master.child.signalCode === null) {
      master.kill('SIGKILL');
      await master.exited;
    }
    master = null;
  });

  it('spreads requests over the workers, each answering with its own pid', async () => {
    master = await startMaster('pid-app.ts', ['--workers', '2', '--graceful-timeout', '2'], 2);
    assert.match(master.output(), /\(reuseport\)/);
    const workers = master.accepting();
    assert.equal(workers.length, 2);
    const pids = await distinctPids(master.port);
    assert.deepEqual([...pids].sort(), [...workers].sort(), 'both workers answered, and only they');
    assert.ok(!pids.has(master.child.pid as number), 'the master never answers');
  });

  it('restarts a worker killed with kill -9; only requests in flight on it fail', async () => {
    master = await startMaster('pid-app.ts', ['--workers', '2', '--graceful-timeout', '2'], 2);
    const [victim, survivor] = master.accepting();
    const load = startLoad(master.port, 6, { slowEvery: 3, slowMs: 200 });
    await delay(600);
    const killedAt = Date.now();
    process.kill(victim, 'SIGKILL');
    await master.waitFor(/accepting/, 3);
    await delay(800);
    const outcomes = await load.stop();
    const replacement = master.accepting()[2];
    const failed = outcomes.filter((o) => !o.ok);
    for (const f of failed) assert.ok(f.start < killedAt, `a request started ${f.end - killedAt} ms after the kill failed: ${f.error}`);
    assert.ok(failed.length <= 6, `at most the requests in flight fail, got ${failed.length}`);
    const after = outcomes.filter((o) => o.ok && o.start > killedAt + 50);
    assert.ok(after.length > 20, `the load went on (${after.length} requests after the kill)`);
    assert.ok(after.every((o) => o.pid === survivor || o.pid === replacement), 'nobody answers for the dead worker');
    assert.ok(after.some((o) => o.pid === replacement), 'the replacement serves');
    assert.match(master.output(), new RegExp(`worker ${victim} \\(slot \\d\\) died \\(signal SIGKILL\\); restarting in 0.1 s`));
  });

  it('SIGHUP reloads the workers one by one without dropping a request', async () => {
    master = await startMaster('pid-app.ts', ['--workers', '2', '--graceful-timeout', '5'], 2);
    const old = master.accepting();
    const load = startLoad(master.port, 6, { slowEvery: 4, slowMs: 300 });
    await delay(500);
    master.kill('SIGHUP');
    await master.waitFor(/reload done/, 1, 30_000);
    const reloadedAt = Date.now();
    await delay(500);
    const outcomes = await load.stop();
    const failed = outcomes.filter((o) => !o.ok);
    assert.deepEqual(failed, [], 'no request failed during the reload');
    const fresh = master.accepting().slice(2);
    assert.equal(fresh.length, 2);
    const late = outcomes.filter((o) => o.start > reloadedAt);
    assert.ok(late.length > 10);
    assert.ok(late.every((o) => fresh.includes(o.pid as number)), 'after the reload only new workers answer');
    for (const pid of old) assert.match(master.output(), new RegExp(`worker ${pid} \\(slot \\d\\) exited \\(code 0\\)`));
    // One slot at a time: the second new worker starts after the first old one was told to go.
    const log = master.output();
    assert.ok(log.indexOf(`worker ${fresh[0]} (slot`) < log.indexOf(`worker ${fresh[1]} (slot`));
  });

  it('SIGTERM stops gracefully: requests in flight finish, then the master exits 0', async () => {
    master = await startMaster('pid-app.ts', ['--workers', '2', '--graceful-timeout', '5'], 2);
    const slow = Array.from({ length: 4 }, () => request(master!.port, '/?ms=1500'));
    await delay(500);
    const stoppedAt = Date.now();
    master.kill('SIGTERM');
    const outcomes = await Promise.all(slow);
    assert.ok(outcomes.every((o) => o.ok), `in-flight requests finished: ${JSON.stringify(outcomes.map((o) => o.error))}`);
    assert.equal(await master.exited, 0);
    assert.ok(Date.now() - stoppedAt < 4000, 'the master did not wait for the whole timeout');
    const after = await request(master.port);
    assert.equal(after.error, 'ECONNREFUSED');
  });

  it('kills a worker that does not finish within the graceful timeout', async () => {
    master = await startMaster('stubborn-app.ts', ['--workers', '1', '--graceful-timeout', '0.5'], 1);
    void request(master.port, '/?spin=20000');
    await delay(300);
    const stoppedAt = Date.now();
    master.kill('SIGTERM');
    assert.equal(await master.exited, 0);
    const took = Date.now() - stoppedAt;
    assert.ok(took >= 2000 && took < 8000, `killed after the timeout + 2 s, took ${took} ms`);
    assert.match(master.output(), /still running after the graceful timeout; killing it/);
  });

  it('falls back to one shared listening socket (GREENHUB_PREFORK_LISTEN=shared)', async () => {
    master = await startMaster('pid-app.ts', ['--workers', '2', '--graceful-timeout', '2'], 2, { GREENHUB_PREFORK_LISTEN: 'shared' });
    assert.match(master.output(), /\(shared\)/);
    const workers = master.accepting();
    const pids = await distinctPids(master.port, 6);
    for (const pid of pids) assert.ok(workers.includes(pid));
    // The shared socket survives a worker too.
    process.kill(workers[0], 'SIGKILL');
    await master.waitFor(/accepting/, 3);
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => request(master!.port)));
    assert.ok(outcomes.every((o) => o.ok));
  });

  it('exits 1 when the app cannot start, with the reason', async () => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'lib/cli/main.ts', 'serve', path.join(FIXTURES, 'broken-app.ts'), '--port', '0', '--workers', '2'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 1);
    assert.match(output, /before accepting/);
    assert.match(output, /broken app: no database/);
  });

  it('serve(factory) forks the script itself; the factory runs only in workers', async () => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(FIXTURES, 'factory-script.ts')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 20_000;
      while (!/PORT \d+/.test(output)) {
        assert.ok(Date.now() < deadline, `no PORT line: ${output}`);
        await delay(20);
      }
      const [, port, masterPid] = /PORT (\d+) MASTER (\d+)/.exec(output) as RegExpExecArray;
      assert.equal(output.match(/PORT/g)?.length, 1, 'code after serve() runs in the master only');
      const outcome = await request(Number(port));
      assert.ok(outcome.ok);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.notEqual(outcome.pid, Number(masterPid));
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('prefork: serve() API', function () {
  this.timeout(60_000);
  const app = path.join(FIXTURES, 'pid-app.ts');
  let master: Prefork | null = null;

  afterEach(async () => {
    if (master && !master.stopping) await master.stop();
    master = null;
  });

  it('resolves once every worker accepts; reload() and stop() without signals', async () => {
    const events: string[] = [];
    master = await serve(app, { workers: 2, port: 0, handleSignals: false, gracefulTimeout: 2, logger: quiet });
    master.on('listening', (info: { slot: number }) => events.push(`listening ${info.slot}`));
    master.on('exit', (info: { slot: number }) => events.push(`exit ${info.slot}`));
    assert.equal(master.mode, 'reuseport');
    assert.ok(master.port > 0);
    const before = master.pids();
    assert.equal(before.length, 2);
    assert.deepEqual(master.workers().map((w) => w.state), ['listening', 'listening']);
    const answered = (await request(master.port)).pid as number;
    assert.ok(before.includes(answered));
    await master.reload();
    const after = master.pids();
    assert.equal(after.length, 2);
    assert.ok(after.every((pid) => !before.includes(pid)));
    assert.deepEqual(events, ['listening 0', 'exit 0', 'listening 1', 'exit 1']);
    assert.ok(master.workers().every((w) => w.generation === 1));
    assert.equal(await master.stop(), 0);
    assert.deepEqual(master.workers(), []);
    assert.equal((await request(master.port)).error, 'ECONNREFUSED');
  });

  it('gives up with a CrashLoopError after crashLimit crashes in a row', async () => {
    master = await serve(path.join(FIXTURES, 'crashing-app.ts'), {
      workers: 1,
      port: 0,
      handleSignals: false,
      restartDelay: 0.05,
      crashLimit: 3,
      logger: quiet,
    });
    const exits: number[] = [];
    master.on('exit', (_info, code: number) => exits.push(code));
    assert.equal(await master.closed, 1);
    assert.deepEqual(exits, [3, 3, 3]);
  });

  it('rejects with WorkerBootError when the first workers cannot start', async () => {
    await assert.rejects(
      serve(path.join(FIXTURES, 'broken-app.ts'), { workers: 1, port: 0, handleSignals: false, logger: quiet }),
      (error: Error) => error instanceof WorkerBootError && /broken app: no database/.test(error.message),
    );
    assert.ok(CrashLoopError.prototype instanceof Error);
  });

  it('checks its arguments before forking anything', async () => {
    await assert.rejects(serve(42 as never), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"app"/ });
    await assert.rejects(serve(''), { name: 'TypeError', message: /"app"/ });
    await assert.rejects(serve(app, { workers: 0 }), { name: 'RangeError', message: /"options\.workers"/ });
    await assert.rejects(serve(app, { workers: 1.5 }), { name: 'RangeError', message: /"options\.workers"/ });
    await assert.rejects(serve(app, { port: 70000 }), { name: 'RangeError', message: /"options\.port"/ });
    await assert.rejects(serve(app, { host: '' }), { name: 'TypeError', message: /"options\.host"/ });
    await assert.rejects(serve(app, { gracefulTimeout: -1 }), { name: 'RangeError', message: /"options\.gracefulTimeout"/ });
    await assert.rejects(serve(app, { listen: 'bogus' as never }), { name: 'TypeError', message: /"options\.listen"/ });
    await assert.rejects(serve(app, { logger: 'loud' as never }), { name: 'TypeError', message: /"options\.logger"/ });
    await assert.rejects(serve(app, { execArgv: [1] as never }), { name: 'TypeError', message: /"options\.execArgv"/ });
    await assert.rejects(serve(path.join(FIXTURES, 'no-such-app.ts'), { port: 0 }), { code: 'MODULE_NOT_FOUND' });
  });
});

describe('prefork: the app contract', () => {
  it('factoryOf() takes module.exports, default or createServer, and names the module otherwise', () => {
    const f = () => undefined;
    assert.equal(factoryOf(f, 'a.js'), f);
    assert.equal(factoryOf({ default: f }, 'a.js'), f);
    assert.equal(factoryOf({ createServer: f }, 'a.js'), f);
    assert.throws(() => factoryOf({ app: f }, 'a.js'), { name: 'TypeError', message: /the module "a\.js"/ });
    assert.throws(() => factoryOf(null, 'b.js'), { name: 'TypeError', message: /"b\.js"/ });
  });

  it('checkAppServer() wants a server that is not started', () => {
    assert.throws(() => checkAppServer({}, 'app.js'), { name: 'TypeError', message: /made by app\.js/ });
    assert.throws(() => checkAppServer(null, 'app.js'), { name: 'TypeError' });
    const [a, b] = Socket.pair();
    b.close();
    const server = new HttpServer(a, () => undefined);
    assert.equal(checkAppServer(server, 'app.js'), server);
    assert.throws(() => checkAppServer({ start() {}, stop() {}, started: true }, 'app.js'), { message: /not started/ });
    server.close();
  });
});

describe('prefork: greenhub serve arguments', () => {
  it('parses the options', () => {
    assert.deepEqual(parseServeArgs(['app.js', '-w', '3', '--port', '0', '--host', '::1', '--graceful-timeout', '2.5', '--listen', 'shared']), {
      module: 'app.js',
      options: { workers: 3, port: 0, host: '::1', gracefulTimeout: 2.5, listen: 'shared' },
    });
    assert.equal(parseServeArgs(['--help']), 'help');
  });

  it('refuses bad command lines with a UsageError naming the option', () => {
    assert.throws(() => parseServeArgs([]), { name: 'UsageError', message: /which module/ });
    assert.throws(() => parseServeArgs(['a.js', 'b.js']), UsageError);
    assert.throws(() => parseServeArgs(['a.js', '--workers', 'x']), { message: /--workers/ });
    assert.throws(() => parseServeArgs(['a.js', '--workers', '0']), { message: /--workers/ });
    assert.throws(() => parseServeArgs(['a.js', '--port', '70000']), { message: /--port/ });
    assert.throws(() => parseServeArgs(['a.js', '--graceful-timeout', '-1']), { message: /--graceful-timeout/ });
    assert.throws(() => parseServeArgs(['a.js', '--listen', 'udp']), { message: /--listen/ });
    assert.throws(() => parseServeArgs(['a.js', '--frobnicate']), UsageError);
  });

  it('main() answers a usage error with status 2', async () => {
    const write = process.stderr.write;
    let text = '';
    process.stderr.write = ((chunk: string) => ((text += chunk), true)) as typeof process.stderr.write;
    try {
      assert.equal(await serveMain(['--workers']), 2);
    } finally {
      process.stderr.write = write;
    }
    assert.match(text, /usage: greenhub serve/);
  });
});
