// The subprocess module's exceptions, as Python's subprocess names them.
// Captured output rides on the error, so a failed or timed-out run still
// tells what the child printed.

/** The command as it was given: one string (shell, or a bare program) or argv. */
export type Command = string | readonly string[];

function describeCommand(cmd: Command): string {
  return typeof cmd === 'string' ? cmd : JSON.stringify(cmd);
}

/** Base class of CalledProcessError and TimeoutExpired. */
export class SubprocessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubprocessError';
  }
}

/**
 * A child run with `check` (run, checkCall, checkOutput) exited with a
 * non-zero status. `returncode` is negative when a signal killed it.
 */
export class CalledProcessError<T extends Buffer | string = Buffer | string> extends SubprocessError {
  readonly returncode: number;
  readonly cmd: Command;
  /** What the child wrote to stdout, when it was captured (else null). */
  stdout: T | null;
  /** What the child wrote to stderr, when it was captured (else null). */
  stderr: T | null;

  constructor(returncode: number, cmd: Command, stdout: T | null = null, stderr: T | null = null) {
    const how = returncode < 0 ? `died with signal ${-returncode}` : `returned non-zero exit status ${returncode}`;
    super(`Command ${describeCommand(cmd)} ${how}.`);
    this.name = 'CalledProcessError';
    this.returncode = returncode;
    this.cmd = cmd;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /** Python's alias of stdout. */
  get output(): T | null {
    return this.stdout;
  }
}

/**
 * wait(), communicate() or run() gave up after `timeout` seconds. The
 * output captured until then is kept (always as bytes, as in Python); after
 * wait()/communicate() the child is still running, after run() it was
 * killed and reaped.
 */
export class TimeoutExpired extends SubprocessError {
  readonly cmd: Command;
  readonly timeout: number;
  stdout: Buffer | null;
  stderr: Buffer | null;

  constructor(cmd: Command, timeout: number, stdout: Buffer | null = null, stderr: Buffer | null = null) {
    super(`Command ${describeCommand(cmd)} timed out after ${timeout} seconds`);
    this.name = 'TimeoutExpired';
    this.cmd = cmd;
    this.timeout = timeout;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /** Python's alias of stdout. */
  get output(): Buffer | null {
    return this.stdout;
  }
}
