// Test driver for RequestParser: feeds input in given pieces the way the
// server's connection greenlet will (feed, then read heads and bodies until
// null), and records what came out. Each piece is fed from a scratch buffer
// that is scribbled over once the parser asks for more, so a parser that
// kept a reference to caller memory past that point produces garbage here.
import { HttpParseError, RequestParser, type RequestParserOptions } from '../../../lib/io/http';

export interface Message {
  method: string;
  url: string;
  version: string;
  headers: string[];
  keepAlive: boolean;
  expectContinue: boolean;
  upgrade: boolean;
  framing: string;
  contentLength: number;
  body: string;
  trailers: string[];
  complete: boolean;
}

export interface Outcome {
  messages: Message[];
  error: HttpParseError | null;
  /** Calls to readHead/readBody made, a measure of work. */
  calls: number;
  /** Largest buffer the parser held between pieces. */
  maxRetained: number;
}

/** Splits `input` into pieces at the given offsets. */
export function splitAt(input: Buffer, offsets: readonly number[]): Buffer[] {
  const pieces: Buffer[] = [];
  let from = 0;
  for (const at of offsets) {
    if (at > from && at < input.length) {
      pieces.push(input.subarray(from, at));
      from = at;
    }
  }
  pieces.push(input.subarray(from));
  return pieces;
}

export function bytewise(input: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  for (let i = 0; i < input.length; i++) pieces.push(input.subarray(i, i + 1));
  return pieces;
}

/** Internal view of the parser, to check its memory stays bounded. */
interface ParserInternals {
  buf: Buffer;
}

export function retainedBytes(parser: RequestParser): number {
  return (parser as unknown as ParserInternals).buf.length;
}

export function drive(pieces: readonly Buffer[], options?: RequestParserOptions, end = true): Outcome {
  const parser = new RequestParser(options);
  const messages: Message[] = [];
  let current: Message | null = null;
  let calls = 0;
  let maxRetained = 0;
  const scratch = Buffer.alloc(Math.max(1, ...pieces.map((p) => p.length)));
  const pump = (): void => {
    for (;;) {
      if (current !== null && !current.complete) {
        calls++;
        const chunk = parser.readBody();
        if (chunk !== null) {
          if (chunk.length === 0) throw new Error('readBody returned an empty chunk');
          current.body += chunk.toString('latin1');
          continue;
        }
        if (!parser.bodyComplete) return;
        current.complete = true;
        current.trailers = parser.trailers.raw();
        continue;
      }
      calls++;
      const head = parser.readHead();
      if (head === null) return;
      current = {
        method: head.method,
        url: head.url,
        version: head.httpVersion,
        headers: head.headers.raw(),
        keepAlive: head.keepAlive,
        expectContinue: head.expectContinue,
        upgrade: head.upgrade,
        framing: head.framing,
        contentLength: head.contentLength,
        body: '',
        trailers: [],
        complete: false,
      };
      messages.push(current);
    }
  };
  try {
    for (const piece of pieces) {
      const view = scratch.subarray(0, piece.length);
      piece.copy(view);
      parser.feed(view);
      pump();
      view.fill(0x58); // 'X': the parser must not read this memory any more
      maxRetained = Math.max(maxRetained, retainedBytes(parser));
    }
    if (end) parser.finish();
    return { messages, error: null, calls, maxRetained };
  } catch (error) {
    if (!(error instanceof HttpParseError)) throw error;
    return { messages, error, calls, maxRetained };
  }
}

/** What must not depend on how the input was split: messages, and the error's status, code and offset. */
export function summary(o: Outcome): string {
  return JSON.stringify({ messages: o.messages, status: o.error?.status, code: o.error?.code, offset: o.error?.offset });
}

/** Drives `input` whole, byte by byte and split at every offset; all runs must agree. */
export function driveAllWays(input: Buffer, options?: RequestParserOptions): Outcome {
  const whole = drive([input], options);
  const runs: [string, Outcome][] = [['byte by byte', drive(bytewise(input), options)]];
  for (let at = 1; at < input.length; at++) runs.push([`split at ${at}`, drive(splitAt(input, [at]), options)]);
  const expected = summary(whole);
  for (const [how, outcome] of runs) {
    const got = summary(outcome);
    if (got !== expected) throw new Error(`${how} differs from whole input:\n  whole: ${expected}\n  ${how}: ${got}`);
  }
  return whole;
}
