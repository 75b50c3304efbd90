#!/usr/bin/env node
// Compiles lib/ to dist/ (CommonJS + .d.ts) and writes the ESM entry, which
// re-exports the CommonJS build so that both entry points share one hub.
// Runs after the addon is built (npm runs `install` before `prepare`).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const tsc = require.resolve('typescript/bin/tsc');
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });

// The ESM entry lists the names the CommonJS build exports.
const names = Object.keys(require(path.join(root, 'dist', 'index.js'))).filter((n) => n !== 'default');
const sorted = names.sort();
fs.writeFileSync(
  path.join(root, 'dist', 'index.mjs'),
  `import greenhub from './index.js';\n\nexport const {\n${sorted.map((n) => `  ${n},`).join('\n')}\n} = greenhub;\nexport default greenhub;\n`,
);
fs.writeFileSync(
  path.join(root, 'dist', 'index.d.mts'),
  "export * from './index.js';\nimport * as greenhub from './index.js';\nexport default greenhub;\n",
);
