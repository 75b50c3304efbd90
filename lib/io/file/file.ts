// File: a binary file object whose reads and writes are operations
// (gevent's FileObject): read(n), read1(n), readline(), write(), close().
// Reads are buffered (readline reads ahead); writes are not: when write()
// returns, every byte reached the kernel, or it raised.
import { ConcurrentObjectUseError } from '../../core/errors';
import type { Operation, Task } from '../../core/operation';
import { awaitable, completed } from '../../core/task';
import { invalidArgType } from '../../loop/errors';
import { validateInteger } from '../../loop/validate';
import type { RawFile } from './raw';

const CHUNK = 65536;
const EMPTY = Buffer.alloc(0);

function toBuffer(data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === 'string') return Buffer.from(data);
  throw invalidArgType('data', 'a Buffer, Uint8Array or string', data);
}

function closedError(): Error {
  return Object.assign(new Error('I/O operation on closed file'), { code: 'ERR_FILE_CLOSED' });
}

export class File implements Disposable {
  /** The path it was opened with, or '<fd N>'. */
  readonly name: string;
  /** @internal */ _raw: RawFile;
  /** @internal Read ahead and not handed out yet. */
  _buffered: Buffer = EMPTY;
  private _closed = false;
  private _reading = false;
  private _writing = false;

  /** @internal Use open(), fdopen(), stdin()... */
  constructor(raw: RawFile, name: string) {
    this._raw = raw;
    this.name = name;
  }

  /**
   * How it does I/O: 'fs' (libuv's thread pool: regular files) or 'poll'
   * (non-blocking, waiting for readiness: pipes, sockets, terminals).
   */
  get kind(): 'fs' | 'poll' {
    return this._raw.kind;
  }

  get closed(): boolean {
    return this._closed;
  }

  fileno(): number {
    if (this._closed) throw closedError();
    return this._raw.fd;
  }

  /**
   * `n` bytes, fewer only at end of file; without `n`, everything up to
   * the end of file.
   */
  read(n?: number): Task<Buffer> {
    if (n !== undefined) validateInteger('n', n, 0, 0x7fffffff);
    this._check();
    return readTask(this, n ?? Infinity);
  }

  /** At most `n` bytes with at most one read of the fd (what is there now, for a pipe or terminal). */
  read1(n = CHUNK): Task<Buffer> {
    validateInteger('n', n, 0, 0x7fffffff);
    this._check();
    if (this._buffered.length > 0 || n === 0) return completed(this._take(n));
    return read1Task(this, n);
  }

  /**
   * The next line with its '\n'; at end of file what is left (maybe
   * empty). With `limit`, at most that many bytes.
   */
  readline(limit = Infinity): Task<Buffer> {
    if (limit !== Infinity) validateInteger('limit', limit, 0, 0x7fffffff);
    this._check();
    return readlineTask(this, limit);
  }

  /** Writes all of `data`; returns its length. */
  write(data: Uint8Array | string): Task<number> {
    const buffer = toBuffer(data);
    this._check();
    return writeTask(this, buffer);
  }

  /** Closes the file; a greenlet blocked on it (a pipe) gets EBADF. Closing twice is fine. */
  close(): Task<void> {
    if (this._closed) return completed(undefined);
    this._closed = true;
    this._buffered = EMPTY;
    return closeTask(this._raw);
  }

  [Symbol.dispose](): void {
    if (this._closed) return;
    this._closed = true;
    // Dispose cannot block: hand the close to the hub's loop.
    void closeTask(this._raw).then(undefined, () => {});
  }

  toString(): string {
    return `<File ${this.name} ${this.kind}${this._closed ? ' closed' : ''}>`;
  }

  /** @internal */
  _check(): void {
    if (this._closed) throw closedError();
  }

  /** @internal */
  _take(n: number): Buffer {
    const out = this._buffered.subarray(0, n);
    this._buffered = this._buffered.subarray(out.length);
    return out;
  }

  /** @internal One read of the fd (up to `size` bytes); null at end of file. */
  *_readChunk(size: number): Operation<Buffer | null> {
    this._check();
    const chunk = Buffer.allocUnsafe(size);
    const n = yield* this._raw.readInto(chunk, size);
    return n === 0 ? null : chunk.subarray(0, n);
  }

  /** @internal Reads one chunk into the buffer; false at end of file. */
  *_fill(size = CHUNK): Operation<boolean> {
    const data = yield* this._readChunk(size);
    if (data === null) return false;
    this._buffered = this._buffered.length === 0 ? data : Buffer.concat([this._buffered, data]);
    return true;
  }

  /** @internal One reader at a time (and one writer): a second is a programming error. */
  _begin(reading: boolean): void {
    if (reading ? this._reading : this._writing) {
      throw new ConcurrentObjectUseError(`This file is already being ${reading ? 'read' : 'written'} by another greenlet`);
    }
    if (reading) this._reading = true;
    else this._writing = true;
  }

  /** @internal */
  _end(reading: boolean): void {
    if (reading) this._reading = false;
    else this._writing = false;
  }
}

const MAX_READ = 8 << 20;

const readTask = awaitable(function* read(file: File, n: number): Operation<Buffer> {
  file._begin(true);
  try {
    // Chunks are joined once at the end: reading a large file stays linear.
    const parts: Buffer[] = [];
    let total = file._buffered.length;
    if (total > 0) parts.push(file._take(total));
    while (total < n) {
      const chunk = yield* file._readChunk(n === Infinity ? CHUNK : Math.min(Math.max(CHUNK, n - total), MAX_READ));
      if (chunk === null) break;
      parts.push(chunk);
      total += chunk.length;
    }
    const all = parts.length === 1 ? parts[0] : Buffer.concat(parts, total);
    if (all.length <= n) return all;
    file._buffered = all.subarray(n);
    return all.subarray(0, n);
  } finally {
    file._end(true);
  }
});

const read1Task = awaitable(function* read1(file: File, n: number): Operation<Buffer> {
  file._begin(true);
  try {
    yield* file._fill(Math.min(n, CHUNK));
    return file._take(n);
  } finally {
    file._end(true);
  }
});

const readlineTask = awaitable(function* readline(file: File, limit: number): Operation<Buffer> {
  file._begin(true);
  try {
    let searched = 0;
    for (;;) {
      const buffered = file._buffered;
      const newline = buffered.indexOf(10, searched);
      if (newline >= 0 && newline < limit) return file._take(newline + 1);
      if (buffered.length >= limit) return file._take(limit);
      searched = buffered.length;
      if (!(yield* file._fill())) return file._take(file._buffered.length);
    }
  } finally {
    file._end(true);
  }
});

const writeTask = awaitable(function* write(file: File, data: Buffer): Operation<number> {
  file._begin(false);
  try {
    // Bytes read ahead are given back first, so the write lands where the
    // reader is (a seekable file); a stream keeps them for the next read.
    if (file._buffered.length > 0 && file._raw.rewind(file._buffered.length)) file._buffered = EMPTY;
    let offset = 0;
    while (offset < data.length) {
      file._check();
      offset += yield* file._raw.write(data, offset);
    }
    return data.length;
  } finally {
    file._end(false);
  }
});

const closeTask = awaitable(function* close(raw: RawFile): Operation<void> {
  yield* raw.close();
});
