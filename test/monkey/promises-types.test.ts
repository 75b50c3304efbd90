import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ROOT } from '../helpers';
import { distBuilt } from './helpers';

// Type-checks a small program in a separate tsc run (the augmentation is
// global: inside this project's own program it would hide real errors).
function typecheck(source: string): { status: number | null; output: string } {
  const dir = fs.mkdtempSync(path.join(ROOT, '.tmp-types-'));
  try {
    fs.writeFileSync(path.join(dir, 'program.ts'), source);
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'node16', moduleResolution: 'node16', types: ['node'], skipLibCheck: true },
        files: ['program.ts'],
      }),
    );
    const result = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', dir], { cwd: dir, encoding: 'utf8' });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("monkey: promises typing (import 'greenhub/promises')", function () {
  this.timeout(120000);

  before(function () {
    if (!distBuilt()) this.skip();
  });

  it('types `yield* promise` as the promise\'s value', () => {
    const { status, output } = typecheck(`
      import 'greenhub/promises';
      import { run } from 'greenhub';
      async function fetchCount(): Promise<number> { return 3; }
      const total: Promise<number> = run(function* () {
        const count = yield* fetchCount();
        const text = yield* Promise.resolve('abc');
        // @ts-expect-error: a number is not a string
        const wrong: string = yield* fetchCount();
        return count + text.length + wrong.length;
      });
      void total;
    `);
    assert.equal(status, 0, output);
  });

  it('without it, `yield* promise` stays a type error', () => {
    const { status, output } = typecheck(`
      import { run } from 'greenhub';
      run(function* () { return yield* Promise.resolve(1); });
    `);
    assert.notEqual(status, 0);
    assert.match(output, /TS2488|must have a '\\[Symbol\\.iterator\\]\\(\\)' method/);
  });
});
