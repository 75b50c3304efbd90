#!/usr/bin/env node
// npm test: type-checks everything, rebuilds dist/, then runs the mocha suite on the uv
// backend and the loop and hub suites again on the ev backend (when this
// build has it). The last line is the total: "N passed, N failed".
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const files = process.argv.slice(2);
let passed = 0;
let failed = 0;

function run(label, command, args, env) {
  console.log(`\n=== ${label}`);
  const result = spawnSync(command, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['inherit', 'pipe', 'inherit'] });
  process.stdout.write(result.stdout ?? '');
  return result;
}

function mocha(label, specs, env) {
  const args = [require.resolve('mocha/bin/mocha.js'), ...specs];
  const result = run(label, process.execPath, args, env);
  const out = result.stdout ?? '';
  const pass = /(\d+) passing/.exec(out);
  const fail = /(\d+) failing/.exec(out);
  passed += pass ? Number(pass[1]) : 0;
  failed += fail ? Number(fail[1]) : 0;
  if (result.status !== 0 && !fail) failed += 1; // mocha itself failed to run
}

const typecheck = run('type check', process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit']);
if (typecheck.status !== 0) failed += 1;
// The examples and the ev check load dist/: rebuild it from this lib/.
const build = run('build dist/', process.execPath, [path.join(root, 'scripts', 'build.js')]);
if (build.status !== 0) failed += 1;

if (files.length > 0) {
  mocha('mocha (selected files)', files, {});
} else {
  mocha('mocha: whole suite, uv backend', ['test/**/*.test.ts'], { GREENHUB_LOOP: 'uv' });
  const { Loop } = require(path.join(root, 'dist', 'index.js'));
  if (Loop.backends.includes('ev')) {
    mocha('mocha: loop and hub suites, ev backend', ['test/loop/**/*.test.ts', 'test/core/**/*.test.ts'], { GREENHUB_LOOP: 'ev' });
  } else if (process.env.CI) {
    console.log('\nThe ev backend is not built: .ci/run must install libev-dev.');
    failed += 1;
  } else {
    console.log('\nThe ev backend is not built (libev-dev missing): its run is left out.');
  }
}

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
