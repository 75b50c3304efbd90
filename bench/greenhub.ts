// The benchmarks load the compiled library from dist/, as users run it:
// tsx's transpile of lib/ reads every imported binding through a getter,
// which alone adds several nanoseconds to each dispatched event. Types come
// from lib/, so that type-checking needs no build.
import * as fs from 'node:fs';
import * as path from 'node:path';

import type * as Loop from '../lib/loop';
import type * as Native from '../lib/loop/native';

const root = path.resolve(__dirname, '..');

function newest(dir: string): number {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, fs.statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return latest;
}

function load<T>(module: string): T {
  const dist = path.join(root, 'dist');
  if (!fs.existsSync(dist) || newest(path.join(root, 'lib')) > newest(dist)) {
    throw new Error('dist/ is missing or older than lib/: run `npm run build` first (`npm run bench` does)');
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(dist, module)) as T;
}

export const greenhub = load<typeof Loop>('loop');
export const { addon } = load<typeof Native>('loop/native');
