// communicate(): one greenlet per pipe, so the child can fill stdout and
// stderr (and wait to be fed stdin) in any order without a deadlock. The
// greenlets and what they read outlive a call that timed out: the next
// call resumes, nothing read is lost.
import { performance } from 'node:perf_hooks';

import { GreenletExit } from '../../core/errors';
import { Greenlet } from '../../core/greenlet';
import { waitOn, type Linkable } from '../../core/linkable';
import type { Operation } from '../../core/operation';
import { invalidArgValue } from '../../loop/errors';
import type { Socket } from '../socket';
import { TimeoutExpired } from './errors';
import type { Popen } from './popen';

const CHUNK = 65536;

function errorCode(error: unknown): unknown {
  return error !== null && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
}

/** One output pipe being read to its end. */
class Capture {
  readonly chunks: Buffer[] = [];
  eof = false;
  reader: Greenlet | null = null;

  constructor(readonly socket: Socket) {}

  data(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** @internal The state of communicate() on one Popen, across calls. */
export class Communication {
  readonly out: Capture | null;
  readonly err: Capture | null;
  writer: Greenlet | null = null;
  /** Input went to (or stdin was closed on) the first call. */
  stdinDone = false;
  /** The first error a reader or the writer met (not a closed pipe). */
  failure: unknown = undefined;

  constructor(popen: Popen<Buffer | string>) {
    this.out = popen.stdout !== null ? new Capture(popen.stdout) : null;
    this.err = popen.stderr !== null ? new Capture(popen.stderr) : null;
  }

  /** Starts a reader for each pipe not at its end and not being read. */
  startReaders(): void {
    for (const capture of [this.out, this.err]) {
      if (capture === null || capture.eof || capture.socket.closed) continue;
      if (capture.reader !== null && !capture.reader.dead) continue;
      capture.reader = Greenlet.spawn(readToEnd, this, capture);
      capture.reader.name = `communicate-reader-${capture === this.out ? 'stdout' : 'stderr'}`;
    }
  }

  /** The greenlets still working. */
  running(): Greenlet[] {
    return [this.writer, this.out?.reader ?? null, this.err?.reader ?? null].filter(
      (g): g is Greenlet => g !== null && !g.dead,
    );
  }

  /** Stops the greenlets (not waiting for them); what they read stays. */
  stop(): void {
    for (const greenlet of this.running()) greenlet.kill(undefined, { block: false });
  }

  /**
   * After the child was killed: stops the readers, takes what is already
   * in the pipes without waiting (a grandchild may hold them open), and
   * closes them.
   */
  *drain(): Operation<void> {
    for (const capture of [this.out, this.err]) {
      if (capture === null) continue;
      if (capture.reader !== null && !capture.reader.dead) yield* capture.reader.kill();
      const socket = capture.socket;
      if (!capture.eof && !socket.closed) {
        socket.settimeout(0);
        try {
          for (;;) {
            const chunk = yield* socket.recv(CHUNK);
            if (chunk.length === 0) break;
            capture.chunks.push(chunk);
          }
        } catch {
          // EAGAIN: nothing more is there now.
        }
      }
      socket.close();
    }
  }
}

function* readToEnd(communication: Communication, capture: Capture): Operation<void> {
  try {
    for (;;) {
      const chunk = yield* capture.socket.recv(CHUNK);
      if (chunk.length === 0) break;
      capture.chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof GreenletExit) throw error;
    // A reset is the child going away with data of ours unread: an end.
    if (errorCode(error) !== 'ECONNRESET') {
      communication.failure ??= error;
      return;
    }
  }
  capture.eof = true;
  capture.socket.close();
}

function* writeInput(communication: Communication, stdin: Socket, input: Buffer): Operation<void> {
  try {
    yield* stdin.sendall(input);
  } catch (error) {
    if (error instanceof GreenletExit) throw error;
    // The child exited or closed its stdin without reading everything: as
    // in Python, that is the child's business, not an error here.
    const code = errorCode(error);
    if (code !== 'EPIPE' && code !== 'ECONNRESET') communication.failure ??= error;
  } finally {
    stdin.close();
  }
}

function remaining(deadline: number | null): number | null {
  return deadline === null ? null : Math.max(0, (deadline - performance.now()) / 1000);
}

/**
 * @internal communicate() without decoding: [stdout, stderr] as bytes.
 * Raises TimeoutExpired (greenlets kept for the next call) or the first
 * pipe error; any other exit (a kill, an outer Timeout) stops the readers.
 */
export function* communicateOperation(
  popen: Popen<Buffer | string>,
  input: Buffer | null,
  timeout: number | null,
): Operation<[Buffer | null, Buffer | null]> {
  let communication = popen._communication;
  if (communication === null) {
    communication = popen._communication = new Communication(popen);
  } else if (input !== null && input.length > 0) {
    // Popen.communicate() checks this first; run() never gets here twice.
    throw invalidArgValue('input', 'cannot be sent after communication has started', input);
  }
  if (!communication.stdinDone) {
    communication.stdinDone = true;
    const stdin = popen.stdin;
    if (stdin !== null && !stdin.closed) {
      if (input !== null && input.length > 0) {
        communication.writer = Greenlet.spawn(writeInput, communication, stdin, input);
        communication.writer.name = 'communicate-writer';
      } else {
        stdin.close();
      }
    }
  }
  communication.startReaders();
  const deadline = timeout === null ? null : performance.now() + timeout * 1000;
  const expired = (): TimeoutExpired =>
    new TimeoutExpired(popen.args, timeout as number, communication.out?.data() ?? null, communication.err?.data() ?? null);
  try {
    for (const greenlet of communication.running()) {
      if (!(yield* waitOn(greenlet, remaining(deadline), 'Popen.communicate()'))) throw expired();
    }
    if (communication.failure !== undefined) throw communication.failure;
    if (!popen.ready() && !(yield* waitOn(popen as Linkable, remaining(deadline), 'Popen.communicate()'))) throw expired();
  } catch (error) {
    if (!(error instanceof TimeoutExpired)) communication.stop();
    throw error;
  }
  return [communication.out?.data() ?? null, communication.err?.data() ?? null];
}
