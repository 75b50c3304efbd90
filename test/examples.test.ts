import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';

import { ROOT } from './helpers';

function example(name: string): string {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'examples', name)], { cwd: ROOT, encoding: 'utf8', timeout: 20000 });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

describe('examples (the seed document, npm start)', () => {
  before(function () {
    // The examples import the built package.
    if (spawnSync(process.execPath, ['-e', "require('greenhub')"], { cwd: ROOT }).status !== 0) this.skip();
  });

  it('two greenlets interleave through sleep(0)', () => {
    assert.deepEqual(example('01-switching.mjs').trim().split('\n'), [
      'Running in foo',
      'Explicit context to bar',
      'Explicit context switch to foo again',
      'Implicit context switch back to bar',
    ]);
  });

  it('without sleep(0) they run one after the other', () => {
    const lines = example('02-sequential.mjs').trim().split('\n');
    assert.deepEqual(lines, ['Running in foo', 'Still in foo: no switch without a blocking call', 'Running in bar', 'Still in bar']);
  });

  it('I/O-bound greenlets finish in a different order than they started', () => {
    const out = example('03-io-order.mjs');
    assert.match(out, /started 1 2 3 4 5, finished 2 4 5 3 1/);
  });

  it('npm start ends with an HTTP server on PORT that answers', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn(process.execPath, [path.join(ROOT, 'examples', 'index.mjs')], { cwd: ROOT, env: { ...process.env, PORT: String(port) } });
    try {
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const deadline = Date.now() + 20000;
      while (!out.includes(`http://127.0.0.1:${port}/`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.match(out, new RegExp(`listening on http://127.0.0.1:${port}/`));
      const body = await new Promise<string>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: '/demo' }, (res) => {
          let t = '';
          res.on('data', (d) => (t += d));
          res.on('end', () => resolve(t));
        }).on('error', reject);
      });
      assert.equal(body, 'Hello, World! You asked for /demo\n');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
