// `greenhub celery worker|beat`: the command line (the commands themselves
// run in worker.test.ts and beat.test.ts).
import { strict as assert } from 'node:assert';
import * as path from 'node:path';

import { cliLogger, expandNodeName, loadCeleryApp, main, parseCeleryArgs } from '../../lib/cli/celery';
import { UsageError } from '../../lib/cli/usage';
import { CeleryApp } from '../../lib/celery';

const FIXTURES = path.join(__dirname, 'js');

async function quietly<T>(fn: () => Promise<T>): Promise<{ value: T; stderr: string }> {
  const write = process.stderr.write;
  let stderr = '';
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  try {
    return { value: await fn(), stderr };
  } finally {
    process.stderr.write = write;
  }
}

describe('greenhub celery: command line', () => {
  it('parses worker options like celery worker does', () => {
    assert.deepEqual(parseCeleryArgs(['worker', '-A', 'proj.js', '-c', '50', '-Q', 'a, b', '-n', 'w1@h', '--prefetch-multiplier', '0', '--shutdown-timeout', '2.5', '-l', 'INFO']), {
      command: 'worker',
      app: 'proj.js',
      loglevel: 'INFO',
      worker: { concurrency: 50, queues: ['a', 'b'], hostname: 'w1@h', prefetchMultiplier: 0, shutdownTimeout: 2.5 },
    });
    assert.deepEqual(parseCeleryArgs(['beat', '--app', 'proj.js']), { command: 'beat', app: 'proj.js', loglevel: 'info', worker: {} });
    assert.equal(parseCeleryArgs(['-h']), 'help');
  });

  it("expands Celery's node name variables", () => {
    assert.equal(expandNodeName('w1@%h', 'box.example.com'), 'w1@box.example.com');
    assert.equal(expandNodeName('%n-%d@x', 'box.example.com'), 'box-example.com@x');
    assert.equal(expandNodeName('w@%n', 'box'), 'w@box');
    assert.equal(expandNodeName('100%%@h', 'box'), '100%@h');
  });

  it('refuses bad command lines with a UsageError that says what is wrong', () => {
    assert.throws(() => parseCeleryArgs([]), { name: 'UsageError', message: /worker or beat/ });
    assert.throws(() => parseCeleryArgs(['flower', '-A', 'x']), { message: /unknown command "flower"/ });
    assert.throws(() => parseCeleryArgs(['worker']), { message: /-A module/ });
    assert.throws(() => parseCeleryArgs(['worker', '-A', 'x', '-c', '0']), { message: /--concurrency/ });
    assert.throws(() => parseCeleryArgs(['worker', '-A', 'x', '-c', 'many']), { message: /--concurrency/ });
    assert.throws(() => parseCeleryArgs(['worker', '-A', 'x', '-Q', ',']), { message: /--queues/ });
    assert.throws(() => parseCeleryArgs(['worker', '-A', 'x', '-l', 'loud']), { message: /--loglevel/ });
    assert.throws(() => parseCeleryArgs(['worker', '-A', 'x', '--shutdown-timeout', '-1']), { message: /--shutdown-timeout/ });
    assert.throws(() => parseCeleryArgs(['beat', '-A', 'x', '-c', '5']), { message: /--concurrency is a worker option/ });
    assert.throws(() => parseCeleryArgs(['worker', '-A', 'x', 'extra']), UsageError);
    assert.throws(() => parseCeleryArgs(['worker', '-A', 'x', '--bogus']), UsageError);
  });

  it('finds the app a module exports, and says when there is none', () => {
    const app = loadCeleryApp(path.join(FIXTURES, 'tasks.ts'));
    assert.ok(app instanceof CeleryApp);
    assert.ok(app.tasks.has('js.add'));
    assert.throws(() => loadCeleryApp(path.join(FIXTURES, 'reserve-and-hang.ts').replace('reserve-and-hang', 'nope')), { code: 'MODULE_NOT_FOUND' });
    assert.throws(() => loadCeleryApp(path.join(__dirname, 'harness.ts')), { name: 'UsageError', message: /exports no CeleryApp/ });
  });

  it('main() answers 2 for usage errors and 1 when the app cannot load', async () => {
    const usage = await quietly(() => main(['worker']));
    assert.equal(usage.value, 2);
    assert.match(usage.stderr, /usage: greenhub celery worker/);
    const missing = await quietly(() => main(['worker', '-A', path.join(FIXTURES, 'missing.ts')]));
    assert.equal(missing.value, 1);
    assert.match(missing.stderr, /cannot load the app/);
  });

  it("logs in Celery's format at or above the level", async () => {
    const { stderr } = await quietly(async () => {
      const log = cliLogger('warning');
      log('info', 'hidden');
      log('warn', 'shown');
      log('error', 'also shown');
    });
    assert.doesNotMatch(stderr, /hidden/);
    assert.match(stderr, /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}: WARNING\/MainProcess\] shown$/m);
    assert.match(stderr, /ERROR\/MainProcess\] also shown/);
    assert.throws(() => cliLogger('chatty'), UsageError);
  });
});
