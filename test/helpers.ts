// Helpers shared by the test files.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Loop, type BackendName } from '../lib/loop';
import { addon } from '../lib/loop/native';

export const ROOT = path.resolve(__dirname, '..');

/** The backend under test: GREENHUB_LOOP (as defaultLoop() reads it), else 'uv'. */
export const BACKEND = (process.env.GREENHUB_LOOP || 'uv') as BackendName;

/** A fresh loop on the backend under test; close it when done. */
export function newLoop(): Loop {
  return new Loop({ backend: BACKEND });
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `condition()` holds; rejects after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(2);
  }
}

export function tempDir(prefix = 'greenhub-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A non-blocking pipe: [readFd, writeFd]. */
export function makePipe(): [number, number] {
  return addon.syscalls.pipe();
}

/** A non-blocking Unix stream socketpair. */
export function makeSocketPair(): [number, number] {
  return addon.syscalls.socketpair(1 /* AF_UNIX */, 1 /* SOCK_STREAM */);
}

/** Writes a string to a non-blocking fd; returns bytes written or -errno. */
export function writeFd(fd: number, data: string | Uint8Array): number {
  const buffer = typeof data === 'string' ? Buffer.from(data) : data;
  return addon.syscalls.write(fd, buffer, 0, buffer.length);
}

/** Reads up to `max` bytes from a non-blocking fd: the bytes, or -errno. */
export function readFd(fd: number, max = 65536): Buffer | number {
  const buffer = Buffer.alloc(max);
  const n = addon.syscalls.read(fd, buffer, 0, max);
  return n < 0 ? n : buffer.subarray(0, n);
}

/** Closes fds, ignoring ones already closed. */
export function closeFds(...fds: number[]): void {
  for (const fd of fds) addon.syscalls.close(fd);
}

// tsx writes its transform cache asynchronously: under load that write
// alone can keep a script's process alive for a while, which tests of what
// keeps a process alive must not see.
const SCRIPT_ENV = { TSX_DISABLE_CACHE: '1' };

function writeScript(source: string): { dir: string; file: string } {
  const dir = tempDir('greenhub-script-');
  const file = path.join(dir, 'script.ts');
  fs.writeFileSync(file, source.replace(/\bfrom '(lib\/[^']*)'/g, (_, p: string) => `from '${path.join(ROOT, p)}'`));
  return { dir, file };
}

/**
 * Runs a TypeScript snippet in a fresh node process (with greenhub's lib
 * loadable as `lib/...` from the repository root).
 */
export function runScript(
  source: string,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; nodeArgs?: string[] } = {},
): SpawnSyncReturns<string> {
  const { dir, file } = writeScript(source);
  try {
    return spawnSync(process.execPath, [...(options.nodeArgs ?? []), '--require', 'tsx/cjs', file], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ...SCRIPT_ENV, ...options.env },
      timeout: options.timeoutMs ?? 20000,
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface ScriptResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from start to exit. */
  elapsedMs: number;
}

/** runScript without blocking this process, so that several can run at once. */
export function runScriptAsync(source: string, options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ScriptResult> {
  const { dir, file } = writeScript(source);
  const started = Date.now();
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', file], {
    cwd: ROOT,
    env: { ...process.env, ...SCRIPT_ENV, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20000);
  return new Promise((resolve) => {
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ status, signal, stdout, stderr, elapsedMs: Date.now() - started });
    });
  });
}
