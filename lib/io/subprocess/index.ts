// gevent.subprocess: child processes for greenlets.
import type { Command } from './errors';
import type { PopenOptions } from './options';
import { Popen as PopenClass } from './popen';
import type { BinaryMode, TextMode } from './run';

export { CalledProcessError, SubprocessError, TimeoutExpired, type Command } from './errors';
export type { PopenOptions, StdioOption, TextEncoding, TextOptions } from './options';
export type { WaitTimeoutOptions } from './popen';
export { call, checkCall, checkOutput, CompletedProcess, run, type BinaryMode, type RunOptions, type TextMode } from './run';

/** Popen's constructor: text mode (text or encoding) makes communicate() return strings. */
export interface PopenConstructor {
  new (args: Command, options: PopenOptions & TextMode): PopenClass<string>;
  new (args: Command, options?: PopenOptions & BinaryMode): PopenClass<Buffer>;
  readonly prototype: PopenClass<Buffer | string>;
}

/** A child process greenlets can wait for; see lib/io/subprocess/popen.ts. */
export type Popen<T extends Buffer | string = Buffer> = PopenClass<T>;
export const Popen = PopenClass as unknown as PopenConstructor;
