// Starting a child process so that a failure is thrown where Popen is
// constructed. child_process.spawn() learns of ENOENT/EACCES synchronously
// (libuv's fork reports exec errors through a pipe before uv_spawn returns)
// but only emits them as 'error' on the next tick. ChildProcess.spawn(),
// which child_process.spawn() calls, returns that errno: calling it directly
// with the options child_process.spawn() would have built gives the error
// now, and the process stays an ordinary Node child (Node reaps it and emits
// 'exit'), so Node's own child_process keeps working alongside.
import { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as util from 'node:util';

import type { SystemError } from '../../loop/errors';

/** What libuv gets for one of the child's fds 0–2. */
export type ChildStdio = 'inherit' | 'ignore' | number;

export interface SpawnRequest {
  /** The program to execute (looked up on PATH when it has no slash). */
  file: string;
  /** argv, argv[0] included. */
  argv: string[];
  cwd: string | undefined;
  /** NAME=value pairs: the child's whole environment. */
  envPairs: string[];
  stdio: [ChildStdio, ChildStdio, ChildStdio];
}

/** The options object ChildProcess.prototype.spawn takes (normalizeSpawnArguments' output). */
interface NativeSpawnOptions {
  file: string;
  args: string[];
  cwd?: string;
  envPairs: string[];
  stdio: ChildStdio[];
  detached: boolean;
  windowsHide: boolean;
  windowsVerbatimArguments: boolean;
}

interface SpawnableChild {
  spawn(options: NativeSpawnOptions): number | undefined;
}

/** Node's error for a failed spawn: `spawn <file> ENOENT`, with errno, code, syscall, path, spawnargs. */
function spawnError(errno: number, request: SpawnRequest): SystemError & { spawnargs: string[] } {
  const code = util.getSystemErrorName(errno);
  let message = `spawn ${request.file} ${code}`;
  let where = request.file;
  // ENOENT names the program even when the working directory is what is
  // missing; say which it was.
  if (code === 'ENOENT' && request.cwd !== undefined && !fs.existsSync(request.cwd)) {
    message += ` (the working directory ${request.cwd} does not exist)`;
    where = request.cwd;
  }
  const error = new Error(message) as SystemError & { spawnargs: string[] };
  error.errno = errno;
  error.code = code;
  error.syscall = `spawn ${request.file}`;
  error.path = where;
  error.spawnargs = request.argv.slice(1);
  return error;
}

/**
 * Starts the child; throws a Node-style system error (ENOENT, EACCES,
 * EBADF...) if it could not start.
 */
export function spawnChild(request: SpawnRequest): ChildProcess {
  const child = new ChildProcess();
  // A failed spawn is also emitted as 'error' on the next tick; it is
  // thrown below instead, so the event must not crash the process.
  const swallow = (): void => {};
  child.on('error', swallow);
  const options: NativeSpawnOptions = {
    file: request.file,
    args: request.argv,
    envPairs: request.envPairs,
    stdio: request.stdio,
    detached: false,
    windowsHide: false,
    windowsVerbatimArguments: false,
  };
  if (request.cwd !== undefined) options.cwd = request.cwd;
  // Errors other than ENOENT, EACCES, EAGAIN, EMFILE and ENFILE are thrown
  // by spawn() itself, already Node-style.
  const result = (child as unknown as SpawnableChild).spawn(options);
  if (typeof result === 'number' && result < 0) throw spawnError(result, request);
  if (child.pid === undefined) throw spawnError(-os.constants.errno.EAGAIN, request); // no pid, no errno: say "try again"
  child.removeListener('error', swallow);
  return child;
}
