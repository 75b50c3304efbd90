// A buffered reader over a stream socket: readline() and read(n), as
// gevent's socket.makefile('rb') gives.
import { invalidArgType } from '../loop/errors';
import { validateInteger } from '../loop/validate';
import type { Operation, Task } from '../core/operation';
import { awaitable } from '../core/task';
import type { Socket } from './socket';

export interface ReaderOptions {
  /** Bytes asked of the socket per recv (default 65536). */
  chunkSize?: number;
}

export class SocketReader {
  readonly socket: Socket;
  private readonly _chunkSize: number;
  private _buffered: Buffer = Buffer.alloc(0);
  private _eof = false;

  constructor(socket: Socket, options: ReaderOptions = {}) {
    if (socket === null || typeof socket !== 'object' || typeof (socket as Socket).recv !== 'function') {
      throw invalidArgType('socket', 'a Socket', socket);
    }
    const chunkSize = options.chunkSize ?? 65536;
    validateInteger('options.chunkSize', chunkSize, 1, 0x7fffffff);
    this.socket = socket;
    this._chunkSize = chunkSize;
  }

  /** Bytes read from the socket and not handed out yet. */
  get buffered(): number {
    return this._buffered.length;
  }

  /**
   * The next line, with its '\n'; at end of stream what is left (maybe
   * empty). With `limit`, at most that many bytes.
   */
  readline(limit = Infinity): Task<Buffer> {
    if (limit !== Infinity) validateInteger('limit', limit, 0, 0x7fffffff);
    return readlineTask(this, limit);
  }

  /**
   * Exactly `n` bytes (fewer only at end of stream); without `n`,
   * everything up to the end of the stream.
   */
  read(n?: number): Task<Buffer> {
    if (n !== undefined) validateInteger('n', n, 0, 0x7fffffff);
    return readTask(this, n ?? Infinity);
  }

  /** @internal */
  *_fill(): Operation<boolean> {
    if (this._eof) return false;
    const chunk = yield* this.socket.recv(this._chunkSize);
    if (chunk.length === 0) {
      this._eof = true;
      return false;
    }
    this._buffered = this._buffered.length === 0 ? chunk : Buffer.concat([this._buffered, chunk]);
    return true;
  }

  /** @internal */
  _take(n: number): Buffer {
    const out = this._buffered.subarray(0, n);
    this._buffered = this._buffered.subarray(n);
    return out;
  }
}

const readlineTask = awaitable(function* readline(reader: SocketReader, limit: number): Operation<Buffer> {
  let searched = 0;
  for (;;) {
    const buffered = (reader as unknown as { _buffered: Buffer })._buffered;
    const newline = buffered.indexOf(10, searched);
    if (newline >= 0 && newline < limit) return reader._take(newline + 1);
    if (buffered.length >= limit) return reader._take(limit);
    searched = buffered.length;
    if (!(yield* reader._fill())) return reader._take(buffered.length);
  }
});

const readTask = awaitable(function* read(reader: SocketReader, n: number): Operation<Buffer> {
  while (reader.buffered < n) {
    if (!(yield* reader._fill())) break;
  }
  return reader._take(Math.min(n, reader.buffered));
});
