// Node stream interop: a green socket seen as a Node Duplex, so libraries
// written for Node streams can talk over it.
import { Duplex } from 'node:stream';

import type { Operation } from '../core/operation';
import { run } from '../core/task';
import { untilOperation } from '../core/until';
import { getHub } from '../core/hub';
import { invalidArgType } from '../loop/errors';
import { Socket } from './socket';

export interface SocketStreamOptions {
  /** Bytes asked of the socket per read (default 65536). */
  chunkSize?: number;
  /** Close the socket when the stream is destroyed or ends (default true). */
  closeSocket?: boolean;
}

/**
 * A Duplex over a stream socket. Reading runs in one greenlet that stops
 * while the stream's buffer is full; each write runs sendall() in a
 * greenlet (Node calls _write one at a time). end() shuts the socket's
 * write side down; destroy() closes it.
 */
export function socketStream(socket: Socket, options: SocketStreamOptions = {}): Duplex {
  if (!(socket instanceof Socket)) throw invalidArgType('socket', 'a Socket', socket);
  const chunkSize = options.chunkSize ?? 65536;
  const closeSocket = options.closeSocket ?? true;
  let reading = false;
  let resumeReading: (() => void) | null = null;

  function* pump(stream: Duplex): Operation<void> {
    for (;;) {
      const chunk = yield* socket.recv(chunkSize);
      if (chunk.length === 0) {
        stream.push(null);
        return;
      }
      if (!stream.push(chunk)) {
        // Backpressure: wait until Node asks for more.
        yield* untilOperation(getHub(), new Promise<void>((resolve) => (resumeReading = resolve)));
      }
    }
  }

  const stream: Duplex = new Duplex({
    read(): void {
      if (resumeReading !== null) {
        const resume = resumeReading;
        resumeReading = null;
        resume();
        return;
      }
      if (reading) return;
      reading = true;
      run(pump, stream).catch((error: unknown) => stream.destroy(error as Error));
    },
    write(chunk: Buffer, _encoding, callback): void {
      run(() => socket.sendall(chunk)).then(() => callback(), callback);
    },
    writev(chunks: { chunk: Buffer }[], callback): void {
      const data = Buffer.concat(chunks.map((c) => c.chunk));
      run(() => socket.sendall(data)).then(() => callback(), callback);
    },
    final(callback): void {
      try {
        if (!socket.closed) socket.shutdown('write');
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    destroy(error, callback): void {
      if (closeSocket) socket.close();
      callback(error);
    },
  });
  return stream;
}
