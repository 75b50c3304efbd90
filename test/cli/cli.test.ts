import { strict as assert } from 'node:assert';
import { spawn as spawnProcess, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ROOT, tempDir } from '../helpers';

// The CLI from source (lib/cli/main.ts is what bin/greenhub runs, built).
const CLI = [process.execPath, '--require', 'tsx/cjs', path.join(ROOT, 'lib', 'cli', 'main.ts')];
const LIB = path.join(ROOT, 'lib', 'index.ts');

function greenhub(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(CLI[0], [...CLI.slice(1), ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    input: options.input,
    env: { ...process.env, ...options.env },
    timeout: 60000,
  });
}

describe('greenhub CLI', function () {
  this.timeout(60000);
  let dir: string;

  before(() => {
    dir = tempDir('greenhub-cli-');
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function script(name: string, source: string): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, source.replaceAll('GREENHUB', JSON.stringify(LIB)));
    return file;
  }

  describe('run', () => {
    it("runs a CommonJS script as the main module with the patches on; main's integer return is the exit status", () => {
      const file = script(
        'main.js',
        `const { getCurrent, monkey, sleep } = require(GREENHUB);
        console.log('top', require.main === module, JSON.stringify(process.argv.slice(2)));
        exports.main = function* (args) {
          const text = yield* require('node:fs/promises').readFile(__filename, 'utf8');
          yield* sleep(0.001);
          console.log(getCurrent().name, JSON.stringify(args), text.length > 0, monkey.patchNames.every((n) => monkey.isPatched(n)));
          return Number(args[0]);
        };`,
      );
      const result = greenhub(['run', file, '7', '--flag']);
      assert.equal(result.status, 7, result.stderr);
      assert.equal(result.stdout, 'top true ["7","--flag"]\nmain ["7","--flag"] true true\n');
    });

    it('runs an ES module whose default export is an async function; a non-integer result exits 0', () => {
      const file = script(
        'esm.mjs',
        `import { createRequire } from 'node:module';
        const { monkey } = createRequire(import.meta.url)(GREENHUB);
        export default async function (args) {
          await new Promise((resolve) => setTimeout(resolve, 1));
          console.log('esm', args.length, monkey.isPatched('timers'));
          return 'not a status';
        }`,
      );
      const result = greenhub(['run', file, 'a']);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, 'esm 1 true\n');
    });

    it('a main that throws exits 1 with the error printed', () => {
      const file = script('throws.js', `exports.main = function* () { throw new TypeError('main failed'); };`);
      const result = greenhub(['run', file]);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /TypeError: main failed/);
      assert.match(result.stderr, /the main greenlet of .*throws\.js failed with TypeError/);
    });

    it('a main that would block forever exits 1 with the LoopExit message', () => {
      const file = script(
        'stuck.js',
        `const { Greenlet } = require(GREENHUB);
        exports.main = function* () { yield* new Greenlet().join(); };`,
      );
      const result = greenhub(['run', file]);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /greenhub run: the main greenlet of .*stuck\.js would block forever: This operation would block forever/);
      assert.match(result.stderr, /"main" running .*waiting on greenlet/);
    });

    it('without main, the script ends as under node: its exit code, process.exit, a top-level throw', () => {
      assert.equal(greenhub(['run', script('code.js', 'process.exitCode = 4;')]).status, 4);
      assert.equal(greenhub(['run', script('exit.js', 'setTimeout(() => process.exit(5), 5);')]).status, 5);
      const thrown = greenhub(['run', script('top.js', "throw new Error('at top level');")]);
      assert.equal(thrown.status, 1);
      assert.match(thrown.stderr, /Error: at top level/);
    });

    it('--patch picks patches, --no-patch applies none', () => {
      const file = script(
        'which.js',
        `const { monkey } = require(GREENHUB);
        console.log(monkey.patchNames.filter((n) => monkey.isPatched(n)).join(',') || 'none');`,
      );
      assert.equal(greenhub(['run', '--patch', 'timers,context', file]).stdout, 'timers,context\n');
      assert.equal(greenhub(['run', '--patch=promises', file]).stdout, 'promises\n');
      assert.equal(greenhub(['run', '--no-patch', file]).stdout, 'none\n');
    });

    it('--monitor reports a main that blocks', () => {
      const file = script(
        'busy.js',
        `const { sleep } = require(GREENHUB);
        exports.main = function* busyMain() {
          yield* sleep(0.001);
          const end = Date.now() + 200;
          while (Date.now() < end);
          yield* sleep(0.01);
        };`,
      );
      const result = greenhub(['run', '--max-blocking-time', '0.05', file]);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stderr, /greenhub monitor: <Greenlet "main" running \(anonymous\)> blocked the event loop for \d+ ms \(maxBlockingTime 50 ms\)/);
      assert.match(result.stderr, /at busyMain/);
    });

    it('rejects bad input with status 2 (1 for a missing script) and says why', () => {
      const file = script('ok.js', '');
      const cases: [string[], number, RegExp][] = [
        [['run', '--patch', 'socket', file], 2, /unknown patch 'socket' in --patch \(known: promises, timers, context\)/],
        [['run', '--max-blocking-time', '0', file], 2, /--max-blocking-time must be a number of seconds from 0\.001 to 3600, not '0'/],
        [['run', '--max-blocking-time=soon', file], 2, /not 'soon'/],
        [['run', '--patch', 'timers', '--no-patch', file], 2, /exclude each other/],
        [['run', '--frobnicate', file], 2, /unknown option --frobnicate/],
        [['run', '--patch'], 2, /option --patch needs a value/],
        [['run'], 2, /no script given/],
        [['run', path.join(dir, 'missing.js')], 1, /cannot find script '.*missing\.js'/],
        [['frob'], 2, /unknown command 'frob'/],
        [[], 2, /usage: greenhub <command>/],
      ];
      for (const [args, status, message] of cases) {
        const result = greenhub(args);
        assert.equal(result.status, status, `${args.join(' ')}: ${result.stderr}`);
        assert.match(result.stderr, message, args.join(' '));
      }
    });

    it('options end at the script or at --', () => {
      const file = script('args.js', 'console.log(JSON.stringify(process.argv.slice(2)));');
      assert.equal(greenhub(['run', '--', file, '--patch', 'x']).stdout, '["--patch","x"]\n');
    });
  });

  describe('help and version', () => {
    it('--help lists the commands; <command> --help and help <command> show its usage', () => {
      const overview = greenhub(['--help']);
      assert.equal(overview.status, 0);
      assert.match(overview.stdout, /^usage: greenhub <command>/);
      assert.match(overview.stdout, /\n {2}run +run a script/);
      assert.match(overview.stdout, /\n {2}backdoor +connect this terminal/);
      assert.match(overview.stdout, /\n {2}serve +serve an app module/);
      assert.match(overview.stdout, /\n {2}celery +run a Celery worker/);
      assert.match(greenhub(['serve', '--help']).stdout, /^usage: greenhub serve <module>/);
      assert.match(greenhub(['celery', '--help']).stdout, /^usage: greenhub celery worker/);
      assert.match(greenhub(['run', '--help']).stdout, /^usage: greenhub run \[options\]/);
      assert.match(greenhub(['help', 'backdoor']).stdout, /^usage: greenhub backdoor/);
      const version = greenhub(['--version']);
      assert.match(version.stdout, /^greenhub \d+\.\d+\.\d+\n$/);
    });

    it('bin/greenhub runs the built CLI', function () {
      if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) this.skip();
      const result = spawnSync(path.join(ROOT, 'bin', 'greenhub'), ['--version'], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /^greenhub \d/);
      const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
      assert.equal(pkg.bin.greenhub, './bin/greenhub');
    });
  });

  describe('backdoor', () => {
    it('connects to a running process (greenhub run --backdoor), evaluates, lists greenlets, and changes it', async () => {
      const socketPath = path.join(dir, 'app.sock');
      const app = script(
        'app.js',
        `const { sleep, spawn } = require(GREENHUB);
        exports.main = function* () {
          const worker = spawn(function* () { yield* sleep(60); });
          worker.name = 'app-worker';
          let stop = false;
          process.on('app-stop', () => (stop = true));
          console.log('ready');
          while (!stop) yield* sleep(0.01);
          return 3;
        };`,
      );
      const child = spawnProcess(CLI[0], [...CLI.slice(1), 'run', '--backdoor', socketPath, '--backdoor-token', 'tok', app], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        await new Promise<void>((resolve, reject) => {
          child.stdout.on('data', (chunk: Buffer) => {
            if (chunk.toString().includes('ready')) resolve();
          });
          child.on('exit', () => reject(new Error(`the app exited early: ${stderr}`)));
        });
        const session = greenhub(['backdoor', '--token', 'tok', socketPath], {
          // The session has its own globalThis; process (and require) are the app's.
          input: 'greenlets().map((g) => g.name).join(" ")\nprocess.emit("app-stop")\n',
        });
        assert.equal(session.status, 0, session.stderr);
        assert.match(session.stdout, /greenhub> '.*app-worker.*'/);
        assert.match(session.stdout, /greenhub> true/);
        assert.equal(await exited, 3, stderr);
      } finally {
        child.kill();
      }
    });

    it('a wrong token is refused; a dead address is an error (status 1); bad arguments are usage errors', () => {
      const dead = greenhub(['backdoor', path.join(dir, 'nobody.sock')]);
      assert.equal(dead.status, 1);
      assert.match(dead.stderr, /greenhub backdoor: .*nobody\.sock: connect ENOENT/);
      assert.equal(greenhub(['backdoor']).status, 2);
      assert.match(greenhub(['backdoor', 'a', 'b']).stderr, /unexpected argument 'b'/);
      assert.match(greenhub(['backdoor', '127.0.0.1']).stderr, /needs a port/);
    });
  });
});
