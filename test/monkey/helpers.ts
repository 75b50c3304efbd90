// Helpers for the monkey tests.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ROOT } from '../helpers';

/**
 * Runs a file in a fresh node process from a temporary directory inside
 * the package, where `require('greenhub/...')` resolves through the
 * package's own exports (the built dist/).
 */
export function runInPackage(
  name: string,
  source: string,
  options: { args?: string[]; env?: NodeJS.ProcessEnv; command?: string[] } = {},
): SpawnSyncReturns<string> {
  const dir = fs.mkdtempSync(path.join(ROOT, '.tmp-test-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, source);
  try {
    return spawnSync(process.execPath, [...(options.command ?? []), file, ...(options.args ?? [])], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, ...options.env },
      timeout: 60000,
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether dist/ (what the package exports point to) is built. */
export function distBuilt(): boolean {
  return fs.existsSync(path.join(ROOT, 'dist', 'index.js')) && fs.existsSync(path.join(ROOT, 'dist', 'promises.js'));
}
