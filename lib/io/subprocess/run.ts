// run() and its shorthands (call, checkCall, checkOutput): start, feed,
// capture, wait. A timeout kills and reaps the child before it raises; so
// does any other way out (a kill of the calling greenlet, an outer Timeout).
import { waitOn } from '../../core/linkable';
import type { Operation, Task } from '../../core/operation';
import { awaitable } from '../../core/task';
import { invalidArgValue } from '../../loop/errors';
import { validateBoolean, validateObject, validateTimeout } from '../../loop/validate';
import { communicateOperation } from './communicate';
import { CalledProcessError, TimeoutExpired, type Command } from './errors';
import { textEncoding, type PopenOptions, type TextOptions } from './options';
import { Popen } from './popen';
import { encodeInput } from './text';

export interface RunOptions extends PopenOptions, TextOptions {
  /** Sent to the child's stdin (which becomes a pipe); not with options.stdin. */
  input?: Buffer | Uint8Array | string | null;
  /** Seconds the whole run may take; then the child is killed and TimeoutExpired raised. */
  timeout?: number | null;
  /** Raise CalledProcessError for a non-zero returncode. */
  check?: boolean;
  /** Capture stdout and stderr (Python's capture_output); not with options.stdout/stderr. */
  capture?: boolean;
}

/** A finished run(): what it ran, how it ended, what it printed (when captured). */
export class CompletedProcess<T extends Buffer | string = Buffer> {
  constructor(
    readonly args: Command,
    readonly returncode: number,
    readonly stdout: T | null = null,
    readonly stderr: T | null = null,
  ) {}

  /** Raises CalledProcessError if returncode is not 0. */
  checkReturncode(): void {
    if (this.returncode !== 0) throw new CalledProcessError<T>(this.returncode, this.args, this.stdout, this.stderr);
  }
}

interface CheckedRun {
  popenOptions: PopenOptions & TextOptions;
  input: Buffer | null;
  timeout: number | null;
  check: boolean;
}

function checkRunOptions(options: unknown): CheckedRun {
  validateObject('options', options);
  const { input, timeout, check = false, capture = false, ...popenOptions } = options as RunOptions;
  validateTimeout('options.timeout', timeout);
  validateBoolean('options.check', check);
  validateBoolean('options.capture', capture);
  const encoding = textEncoding(popenOptions);
  let data: Buffer | null = null;
  if (input !== undefined && input !== null) {
    if (popenOptions.stdin !== undefined) {
      throw invalidArgValue('options.input', 'cannot be used together with options.stdin (input makes stdin a pipe)', input);
    }
    data = encodeInput('options.input', input, encoding);
    popenOptions.stdin = 'pipe';
  }
  if (capture) {
    if (popenOptions.stdout !== undefined || popenOptions.stderr !== undefined) {
      throw invalidArgValue('options.capture', 'cannot be used together with options.stdout or options.stderr', capture);
    }
    popenOptions.stdout = 'pipe';
    popenOptions.stderr = 'pipe';
  }
  return { popenOptions, input: data, timeout: timeout ?? null, check };
}

function* runOperation(args: Command, checked: CheckedRun): Operation<CompletedProcess<Buffer | string>> {
  const popen = new Popen<Buffer | string>(args, checked.popenOptions);
  let out: Buffer | null;
  let err: Buffer | null;
  try {
    [out, err] = yield* communicateOperation(popen, checked.input, checked.timeout);
  } catch (error) {
    // However the wait ended (timeout, kill, outer Timeout, pipe error), the
    // child must not outlive run().
    popen.kill();
    if (error instanceof TimeoutExpired) {
      // Reap it, and keep what it printed before the kill.
      yield* waitOn(popen, null, 'run()');
      const communication = popen._communication;
      if (communication !== null) {
        yield* communication.drain();
        error.stdout = communication.out?.data() ?? null;
        error.stderr = communication.err?.data() ?? null;
      }
    }
    popen.close();
    throw error;
  }
  popen.close();
  const returncode = popen.returncode as number;
  const stdout = popen._decode(out);
  const stderr = popen._decode(err);
  if (checked.check && returncode !== 0) throw new CalledProcessError(returncode, popen.args, stdout, stderr);
  return new CompletedProcess(popen.args, returncode, stdout, stderr);
}

const runTask = awaitable(runOperation);

const callTask = awaitable(function* call(args: Command, checked: CheckedRun): Operation<number> {
  return (yield* runOperation(args, checked)).returncode;
});

const checkOutputTask = awaitable(function* checkOutput(args: Command, checked: CheckedRun): Operation<Buffer | string> {
  return (yield* runOperation(args, checked)).stdout as Buffer | string;
});

/** Text mode on: output is a string. */
export type TextMode = { text: true; encoding?: TextOptions['encoding'] } | { encoding: NonNullable<TextOptions['encoding']>; text?: true };
/** Text mode off: output is a Buffer. */
export type BinaryMode = { text?: false; encoding?: undefined };

/**
 * Runs `args` to completion: input, capture, timeout (kill, reap, then
 * TimeoutExpired with the output so far) and check (CalledProcessError).
 */
export function run(args: Command, options: RunOptions & TextMode): Task<CompletedProcess<string>>;
export function run(args: Command, options?: RunOptions & BinaryMode): Task<CompletedProcess<Buffer>>;
export function run(args: Command, options: RunOptions = {}): Task<CompletedProcess<Buffer | string>> {
  return runTask(args, checkRunOptions(options));
}

/** Runs `args` and returns its returncode. */
export function call(args: Command, options: Omit<RunOptions, 'check'> = {}): Task<number> {
  return callTask(args, checkRunOptions({ ...options, check: false }));
}

/** Runs `args`; raises CalledProcessError unless it exits with 0; returns 0. */
export function checkCall(args: Command, options: Omit<RunOptions, 'check'> = {}): Task<number> {
  return callTask(args, checkRunOptions({ ...options, check: true }));
}

/** Runs `args` with stdout captured; raises CalledProcessError unless it exits with 0; returns stdout. */
export function checkOutput(args: Command, options: Omit<RunOptions, 'check' | 'stdout'> & TextMode): Task<string>;
export function checkOutput(args: Command, options?: Omit<RunOptions, 'check' | 'stdout'> & BinaryMode): Task<Buffer>;
export function checkOutput(args: Command, options: Omit<RunOptions, 'check' | 'stdout'> = {}): Task<Buffer | string> {
  validateObject('options', options);
  if ((options as RunOptions).capture === true) {
    // Python's check_output refuses capture_output: stdout is captured already.
    throw invalidArgValue('options.capture', 'cannot be used with checkOutput (stdout is captured already)', true);
  }
  return checkOutputTask(args, checkRunOptions({ ...options, stdout: 'pipe', check: true }));
}
