// Errors the loop layer throws, in Node's style: TypeError/RangeError with a
// `code`, and system errors with `code`, `errno` and `syscall`.
import * as os from 'node:os';
import * as util from 'node:util';

export type ErrorWithCode = Error & { code: string };

function withCode<E extends Error>(error: E, code: string): E & { code: string } {
  return Object.assign(error, { code });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  const shown = util.inspect(value).slice(0, 40);
  return `type ${typeof value} (${shown})`;
}

export function invalidArgType(name: string, expected: string, actual: unknown): TypeError & { code: string } {
  return withCode(
    new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(actual)}`),
    'ERR_INVALID_ARG_TYPE',
  );
}

export function outOfRange(name: string, range: string, actual: unknown): RangeError & { code: string } {
  return withCode(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${util.inspect(actual)}`),
    'ERR_OUT_OF_RANGE',
  );
}

export function invalidArgValue(name: string, reason: string, actual: unknown): TypeError & { code: string } {
  return withCode(
    new TypeError(`The "${name}" argument ${reason}. Received ${util.inspect(actual)}`),
    'ERR_INVALID_ARG_VALUE',
  );
}

/** Using a watcher (or loop) after close(). */
export class ClosedError extends Error {
  readonly code: string;
  constructor(what: string, code = 'ERR_WATCHER_CLOSED') {
    super(`${what} is closed`);
    this.name = 'ClosedError';
    this.code = code;
  }
}

export interface SystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
}

/** A Node-style error for a negative errno returned by the addon. */
export function systemError(errno: number, syscall: string, extra?: { path?: string; message?: string }): SystemError {
  const [code, description] = util.getSystemErrorMap().get(errno) ?? errnoName(errno);
  const where = extra?.path !== undefined ? `${syscall} '${extra.path}'` : syscall;
  const error = new Error(extra?.message ?? `${code}: ${description}, ${where}`) as SystemError;
  error.code = code;
  error.errno = errno;
  error.syscall = syscall;
  if (extra?.path !== undefined) error.path = extra.path;
  return error;
}

// libuv's map (what Node reports) lacks errnos libuv never returns itself,
// such as ECHILD; the OS's constants still name them.
function errnoName(errno: number): [string, string] {
  for (const [name, value] of Object.entries(os.constants.errno)) {
    if (value === -errno) return [name, `system error ${name}`];
  }
  return [`Unknown system error ${errno}`, 'unknown error'];
}
