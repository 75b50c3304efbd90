#!/usr/bin/env node
// npm run test:asan: builds the addon with AddressSanitizer into build/Debug
// (GREENHUB_SANITIZE=address; binding.gyp adds the flags), puts the normal
// configuration back so that build/Release stays an ordinary build, and runs
// the loop suite against the sanitized addon: node itself is not built with
// ASan, so its runtime is preloaded (LD_PRELOAD) in this process and in
// every process and worker the tests start. Leak checking is off: V8 and
// Node keep memory until exit on purpose.
// Extra arguments are mocha's: npm run test:asan -- test/loop/io.test.ts
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');

function gyp(args, env) {
  execFileSync(process.execPath, [nodeGyp, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
}

const libasan = execFileSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
if (!path.isAbsolute(libasan)) {
  console.error(`gcc does not know libasan.so (got "${libasan}"): install gcc's ASan runtime`);
  process.exit(1);
}

console.log('=== building build/Debug/greenhub.node with -fsanitize=address');
try {
  gyp(['configure', '--debug'], { GREENHUB_SANITIZE: 'address' });
  gyp(['build', '--debug'], { GREENHUB_SANITIZE: 'address' });
} finally {
  // The Makefile is shared by both build types: configure it back, so that
  // the next `node-gyp build` makes an ordinary Release addon again.
  gyp(['configure'], { GREENHUB_SANITIZE: '' });
}

const specs = process.argv.slice(2);
console.log(`=== mocha ${specs.length > 0 ? specs.join(' ') : 'test/loop'} with ${libasan}`);
// Not .mocharc.json, whose spec would add every suite; ASan's slower code
// gets a longer timeout.
const mochaArgs = ['--no-config', '--require', 'tsx/cjs', '--extension', 'ts', '--timeout', '60000', '--slow', '5000', '--exit'];
const result = spawnSync(process.execPath, [require.resolve('mocha/bin/mocha.js'), ...mochaArgs, ...(specs.length > 0 ? specs : ['test/loop/**/*.test.ts'])], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    GREENHUB_ADDON: path.join(root, 'build', 'Debug', 'greenhub.node'),
    LD_PRELOAD: libasan,
    ASAN_OPTIONS: 'detect_leaks=0',
  },
});
process.exit(result.status ?? 1);
