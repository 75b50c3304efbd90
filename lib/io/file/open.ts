// Opening files for greenlets: open() and fdopen() give a File;
// readFile()/writeFile() do the whole file in one operation. All run on
// libuv's fs (its thread pool), so the hub never waits on a disk.
import * as fs from 'node:fs';
import * as util from 'node:util';

import { getHub } from '../../core/hub';
import type { Operation, Task } from '../../core/operation';
import { awaitable } from '../../core/task';
import { untilOperation } from '../../core/until';
import { invalidArgType, invalidArgValue } from '../../loop/errors';
import { validateBoolean, validateInteger, validateObject } from '../../loop/validate';
import { File } from './file';
import { FsRaw, PollRaw, type RawFile } from './raw';

/** A path as fs takes it. */
export type PathLike = string | Buffer | URL;

/** Node's string flags ('r', 'w+', 'ax'...). */
export type OpenFlags = 'r' | 'rs' | 'sr' | 'r+' | 'rs+' | 'sr+' | 'w' | 'wx' | 'xw' | 'w+' | 'wx+' | 'xw+' | 'a' | 'ax' | 'xa' | 'as' | 'sa' | 'a+' | 'ax+' | 'xa+' | 'as+' | 'sa+';

const FLAGS: readonly string[] = [
  'r', 'rs', 'sr', 'r+', 'rs+', 'sr+', 'w', 'wx', 'xw', 'w+', 'wx+', 'xw+',
  'a', 'ax', 'xa', 'as', 'sa', 'a+', 'ax+', 'xa+', 'as+', 'sa+',
];

const fsOpen = util.promisify(fs.open);
const fsFstat = util.promisify(fs.fstat);
const fsClose = util.promisify(fs.close);

function validatePath(name: string, path: unknown): asserts path is PathLike {
  if (typeof path === 'string' || Buffer.isBuffer(path) || path instanceof URL) {
    if ((typeof path === 'string' && path.includes('\u0000')) || (Buffer.isBuffer(path) && path.includes(0))) {
      throw invalidArgValue(name, 'must be a path without null bytes', path);
    }
    return;
  }
  throw invalidArgType(name, 'a string, Buffer or URL', path);
}

function validateFlags(name: string, flags: unknown): asserts flags is OpenFlags {
  if (typeof flags !== 'string' || !FLAGS.includes(flags)) throw invalidArgValue(name, `must be one of ${FLAGS.join(', ')}`, flags);
}

function displayName(path: PathLike): string {
  return path instanceof URL ? path.href : path.toString();
}

/** The raw I/O for an open fd: pipes, sockets and terminals poll; everything else goes through fs. */
export function rawFor(fd: number, stats: fs.Stats, closeFd: boolean, append: boolean, position: number | null): RawFile {
  if (stats.isFIFO() || stats.isSocket() || stats.isCharacterDevice()) return new PollRaw(fd, closeFd);
  return new FsRaw(fd, append ? null : position, append, closeFd);
}

const openTask = awaitable(function* open(path: PathLike, flags: OpenFlags, mode: number): Operation<File> {
  const hub = getHub();
  const fd = yield* untilOperation(hub, fsOpen(path, flags, mode));
  try {
    const stats = yield* untilOperation(hub, fsFstat(fd));
    return new File(rawFor(fd, stats, true, flags.includes('a'), 0), displayName(path));
  } catch (error) {
    yield* untilOperation(hub, fsClose(fd).catch(() => {}));
    throw error;
  }
});

/**
 * Opens `path` (Node's flags: 'r', 'w', 'a+', 'wx'...; `mode` for a new
 * file) and returns a binary File. Errors are fs's (ENOENT, EACCES...).
 */
export function open(path: PathLike, flags: OpenFlags = 'r', mode = 0o666): Task<File> {
  validatePath('path', path);
  validateFlags('flags', flags);
  validateInteger('mode', mode, 0, 0o7777);
  return openTask(path, flags, mode);
}

export interface FdopenOptions {
  /** Close the fd when the File is closed (default true). */
  close?: boolean;
}

/**
 * A green File over an open fd. Pipes, FIFOs, sockets and terminals are
 * switched to non-blocking mode (for everyone sharing that open file) and
 * read and written as they become ready; other files go through fs from
 * the fd's current position.
 */
export function fdopen(fd: number, options: FdopenOptions = {}): File {
  validateInteger('fd', fd, 0, 0x7fffffff);
  validateObject('options', options);
  const close = options.close ?? true;
  validateBoolean('options.close', close);
  const stats = fs.fstatSync(fd);
  return new File(rawFor(fd, stats, close, false, null), `<fd ${fd}>`);
}

export interface ReadFileOptions {
  /** Decode to a string with this encoding. */
  encoding?: BufferEncoding | null;
  /** Node's flags (default 'r'). */
  flag?: OpenFlags;
}

export interface WriteFileOptions {
  /** For a string `data` (default 'utf8'). */
  encoding?: BufferEncoding | null;
  /** Permissions of a new file (default 0o666, less the umask). */
  mode?: number;
  /** Node's flags (default 'w'; 'a' appends, 'wx' refuses an existing file). */
  flag?: OpenFlags;
}

const readFileTask = awaitable(function* readFile(path: PathLike, options: fs.ObjectEncodingOptions & { flag: string }): Operation<Buffer | string> {
  return yield* untilOperation(getHub(), fs.promises.readFile(path, options));
});

const writeFileTask = awaitable(function* writeFile(
  path: PathLike,
  data: Uint8Array | string,
  options: fs.WriteFileOptions,
): Operation<void> {
  yield* untilOperation(getHub(), fs.promises.writeFile(path, data, options));
});

function validateEncoding(name: string, encoding: unknown): asserts encoding is BufferEncoding | null | undefined {
  if (encoding === undefined || encoding === null) return;
  if (typeof encoding !== 'string' || !Buffer.isEncoding(encoding)) throw invalidArgValue(name, 'must be a Buffer encoding', encoding);
}

/** The whole file: a Buffer, or a string with `encoding`. */
export function readFile(path: PathLike, options: ReadFileOptions & { encoding: BufferEncoding }): Task<string>;
export function readFile(path: PathLike, options?: ReadFileOptions): Task<Buffer>;
export function readFile(path: PathLike, options: ReadFileOptions = {}): Task<Buffer | string> {
  validatePath('path', path);
  validateObject('options', options);
  validateEncoding('options.encoding', options.encoding);
  const flag = options.flag ?? 'r';
  validateFlags('options.flag', flag);
  return readFileTask(path, { encoding: options.encoding ?? null, flag });
}

/** Writes `data` as the file's whole content (or appends, with flag 'a'); done when every byte was written. */
export function writeFile(path: PathLike, data: Uint8Array | string, options: WriteFileOptions = {}): Task<void> {
  validatePath('path', path);
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) throw invalidArgType('data', 'a string, Buffer or Uint8Array', data);
  validateObject('options', options);
  validateEncoding('options.encoding', options.encoding);
  const flag = options.flag ?? 'w';
  validateFlags('options.flag', flag);
  const mode = options.mode ?? 0o666;
  validateInteger('options.mode', mode, 0, 0o7777);
  return writeFileTask(path, data, { encoding: options.encoding ?? 'utf8', flag, mode });
}
